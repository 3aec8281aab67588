using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Shell.Engine;
using Xunit;
using static Boinc.Persist.Integration.Engine.AdapterSpecs;

namespace Boinc.Persist.Integration.Engine;

/// <summary>
/// The private Podman service the wrapper starts when Podman is installed but nothing serves its API: started
/// once for concurrent wrappers, alive while a wrapper follows a container's logs, gone by itself once idle, and
/// the container lives on without it. Needs podman installed (scripts/podman-up.sh), whichever engine the
/// suite runs against.
/// </summary>
[Collection(EngineAloneCollection.Name)]
public sealed class PodmanServiceTests(EngineFixture engine)
{
    private const int Idle = 4;

    [Fact]
    public async Task Concurrent_wrappers_start_one_service_which_lives_while_used_and_exits_when_idle()
    {
        Assert.True(PodmanService.Executable() is not null, "podman is not installed: run scripts/podman-up.sh");
        var dir = $"/tmp/bpp-{Guid.NewGuid().ToString("N")[..8]}";
        var socket = Path.Combine(dir, "podman.sock");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var name = NewName(engine, "private");
        try
        {
            // Given no service on our socket, When three wrappers ensure it at once
            var endpoints = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
                Task.Run(() => PodmanService.Ensure(socket, "test", "", Idle))));

            // Then one started it and the others found it (the host lock serialises them), and it answers
            Assert.Single(endpoints, e => e.Why.Contains("started now", StringComparison.Ordinal));
            Assert.Equal(2, endpoints.Count(e => e.Why.Contains("started by another wrapper", StringComparison.Ordinal)));
            Assert.Equal(SocketState.Answers, EngineProbe.Probe(socket));

            // And it runs in "/", never in the starting wrapper's slot, which BOINC deletes when the task ends
            // (conmon inherits the service's directory and fails every container once it is gone)
            Assert.Equal("/", ServiceWorkingDirectory(socket));

            // When a wrapper runs a container and follows its logs for longer than the idle time
            using var adapter = new DockerEngine(endpoints[0]);
            Ok(await adapter.Create(Container(engine, name, engine.BaseImage), Sh("for i in $(seq 8); do echo tick $i; sleep 1; done; sleep 300"), cts.Token));
            Ok(await adapter.Start(name, cts.Token));
            using var follow = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            var sink = new StringWriter();
            var streaming = adapter.StreamLogs(name, "[job] ", sink, follow.Token);
            await Task.Delay(TimeSpan.FromSeconds(Idle + 3), cts.Token);

            // Then the open stream kept the service alive
            Assert.Equal(SocketState.Answers, EngineProbe.Probe(socket));

            // When the wrapper stops following (it exits) and the idle time passes
            await follow.CancelAsync();
            await streaming;
            adapter.Dispose();
            var sw = Stopwatch.StartNew();
            while (EngineProbe.Probe(socket) == SocketState.Answers && sw.Elapsed < TimeSpan.FromSeconds(Idle + 30))
                await Task.Delay(250, cts.Token);

            // Then the service is gone by itself
            Assert.NotEqual(SocketState.Answers, EngineProbe.Probe(socket));
            Assert.Contains("[job] tick 1", sink.ToString());

            // And the next wrapper starts it again and sees the container still running: it never needed the
            // service (conmon keeps it)
            var again = PodmanService.Ensure(socket, "test", "", Idle);
            Assert.Contains("started now", again.Why);
            using var next = new DockerEngine(again);
            Assert.IsType<Observation.Running>(Ok(await next.Inspect(name, cts.Token)));
        }
        finally
        {
            using (var rm = Process.Start("podman", new[] { "rm", "-f", "--ignore", name }))
                await rm!.WaitForExitAsync(CancellationToken.None);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The working directory of the <c>podman system service</c> process serving <paramref name="socket"/>.</summary>
    private static string ServiceWorkingDirectory(string socket)
    {
        var services = Directory.GetDirectories("/proc")
            .Where(d => int.TryParse(Path.GetFileName(d), out _))
            .Select(d =>
            {
                try
                {
                    var argv = File.ReadAllText(Path.Combine(d, "cmdline")).Split('\0');
                    return argv.Contains("service") && argv.Any(a => a.EndsWith(socket, StringComparison.Ordinal))
                        ? new FileInfo(Path.Combine(d, "cwd")).LinkTarget
                        : null;
                }
                catch (IOException)
                {
                    return null; // the process ended while we looked
                }
                catch (UnauthorizedAccessException)
                {
                    return null;
                }
            })
            .Where(cwd => cwd is not null)
            .ToList();
        Assert.True(services.Count == 1, $"expected one podman service on {socket}, found {services.Count}");
        return services[0]!;
    }
}
