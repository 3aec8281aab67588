using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Engine;
using Xunit;
using static Boinc.Persist.Integration.Engine.AdapterSpecs;

namespace Boinc.Persist.Integration.Engine;

/// <summary>EnsureImage: one build for concurrent callers, an empty context, our labels, reuse afterwards.
/// Alone: that the image goes once unused needs no build elsewhere on the host for longer than the patience.</summary>
[Collection(EngineAloneCollection.Name)]
public sealed class ImageBuildTests(EngineFixture engine)
{
    [Fact]
    public async Task Two_concurrent_callers_get_one_build_from_an_empty_context_and_later_callers_reuse_it()
    {
        // Given a Dockerfile that records what its build context held, and a fresh content tag
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var tag = $"boinc-persist/test-job:{engine.RunId}-{Guid.NewGuid().ToString("N")[..8]}";
        var image = Image(engine, tag, (Core.Planning.Labels.ContentHash, tag.Split(':')[1]));
        var dockerfile = $"FROM {engine.BaseImage}\nCOPY . /ctx\nRUN ls -A /ctx > /ctx-list && echo {Guid.NewGuid():N} > /nonce\n";
        using var a = new DockerEngine(new EngineEndpoint(engine.Endpoint, "test"));
        using var b = new DockerEngine(new EngineEndpoint(engine.Endpoint, "test"));
        var logA = new StringWriter();
        var logB = new StringWriter();
        var name = NewName(engine, "ctx");
        try
        {
            // When two wrappers need it at the same time, then a third later
            var results = await Task.WhenAll(
                a.EnsureImage(image, dockerfile, TextWriter.Synchronized(logA), cts.Token),
                b.EnsureImage(image, dockerfile, TextWriter.Synchronized(logB), cts.Token));
            var first = Ok(results[0]);
            var second = Ok(results[1]);
            var later = Ok(await a.EnsureImage(image, dockerfile, TextWriter.Null, cts.Token));

            // Then exactly one built it, all got the same image, and the build's output went to its log
            Assert.Equal(1, new[] { first, second }.Count(r => r.Built));
            Assert.Equal(first.Id, second.Id);
            Assert.Equal(first.Id, later.Id);
            Assert.False(later.Built);
            Assert.Contains("COPY", (first.Built ? logA : logB).ToString(), StringComparison.OrdinalIgnoreCase);

            // And it carries our labels, and its context held nothing but the Dockerfile
            var inspected = await engine.Call((d, ct) => d.Images.InspectImageAsync(tag, ct));
            Assert.Equal(Core.Planning.Labels.OwnerValue, inspected.Config!.Labels![Core.Planning.Labels.Owner]);
            Assert.Equal("true", inspected.Config!.Labels![EngineFixture.TestLabel]);
            Ok(await a.Create(Container(engine, name, tag), Sh("cat /ctx-list"), cts.Token));
            Ok(await a.Start(name, cts.Token));
            Assert.Equal(0, Ok(await a.WaitForExit(name, TimeSpan.FromSeconds(60), cts.Token)));
            var output = new StringWriter();
            Ok(await a.StreamLogs(name, "", output, cts.Token));
            Assert.Equal("Dockerfile" + Environment.NewLine, output.ToString());

            // And it is not removed while a container uses it, but is once none does (and the other wrapper,
            // which holds the image while it runs (ImageUse), has ended)
            b.Dispose();
            Assert.False(Ok(await a.RemoveImageIfUnused(tag, cts.Token)));
            Ok(await a.Remove(name, cts.Token));
            Assert.True(Ok(await a.RemoveImageIfUnused(tag, cts.Token)));
        }
        finally
        {
            await a.Remove(name, CancellationToken.None);
            await a.RemoveImageIfUnused(tag, CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_failing_build_is_an_error_value_with_the_engines_message()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var tag = $"boinc-persist/test-job:{engine.RunId}-{Guid.NewGuid().ToString("N")[..8]}";
        using var adapter = new DockerEngine(new EngineEndpoint(engine.Endpoint, "test"));

        var r = await adapter.EnsureImage(Image(engine, tag), $"FROM {engine.BaseImage}\nRUN exit 3\n", TextWriter.Null, cts.Token);

        var error = r.Match(_ => null!, e => e);
        Assert.IsType<EngineError.Failed>(error);
        Assert.Contains("exit", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
