using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Integration.Engine;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Verification.Fakes;
using Docker.DotNet;
using Docker.DotNet.Models;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Run;

/// <summary>
/// Issue 16 point 2: while the client says network activity is suspended, an image that is not there yet is not
/// built (its base could need a pull); the wrapper says it wants the network, and builds once the network is
/// allowed again.
/// </summary>
[Collection(ClientCollection.Name)]
public sealed class NetworkSuspendedTests(EngineFixture engine) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    private readonly TempRoot temp = engine.NewTempRoot();
    private readonly List<JobSlot> slots = new();
    private readonly string nonce = Guid.NewGuid().ToString("N");

    public void Dispose()
    {
        var leaked = JobSlot.RemoveLeftovers(engine, slots);
        // The image this test built (its Dockerfile is unique to the run, so nothing else uses it).
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"test.nonce={nonce}"] = true } };
        foreach (var image in engine.Call((docker, ct) => docker.Images.ListImagesAsync(new ImagesListParameters { Filters = filter }, ct)).GetAwaiter().GetResult())
            engine.Call((docker, ct) => docker.Images.DeleteImageAsync(image.ID, new ImageDeleteParameters { Force = true }, ct)).GetAwaiter().GetResult();
        temp.Dispose();
        Assert.True(leaked.Count == 0, "containers left behind: " + string.Join(", ", leaked));
    }

    [Fact]
    public async Task No_build_while_the_network_is_suspended_and_the_job_runs_once_it_is_allowed()
    {
        // Given a job whose image is not built yet, and a client whose heartbeats say the network is suspended
        var dockerfile = $"FROM {engine.BaseImage}\nWORKDIR /app\nLABEL test.nonce={nonce}\nCMD [\"/bin/sh\", \"-c\", \"echo done > out.txt\"]\n";
        var slot = JobSlot.Create(temp, engine, "project_dir_mount = \"/project\"\n", dockerfile);
        slots.Add(slot);
        File.WriteAllBytes(slot.SlotFile(SharedMemory.FileName), new byte[SharedMemory.Size]);
        using var client = FakeClient.Attach(slot.SlotDir).Match(c => c, e => throw new InvalidOperationException(e.Message));
        var suspended = new Heartbeat(Option<double>.Some(1e8), Option<double>.Some(5e8), NetworkSuspended: true);
        client.SendHeartbeat(suspended);
        using var wrapper = WrapperProcess.Start(slot.SlotDir);

        // When the wrapper has told the client, three times, that it waits for the network
        await Drive(client, wrapper, suspended, () => WantsNetwork(client) >= 3);

        // Then nothing was built or created meanwhile
        Assert.Empty(await Images());
        Assert.Null(await Container(slot));
        Assert.Contains("network activity is suspended", wrapper.StderrTail(), StringComparison.Ordinal);

        // When the network is allowed again, the image is built and the job runs to its end
        var allowed = new Heartbeat(Option<double>.Some(1e8), Option<double>.Some(5e8), NetworkSuspended: false);
        await Drive(client, wrapper, allowed, () => wrapper.HasExited);
        Assert.Equal(0, await wrapper.WaitForExit(Timeout));
        Assert.Equal(Option<int>.Some(0), client.FinishStatus());
        Assert.Equal("done", slot.ReadSlotFile("out.txt").Trim());
        Assert.Single(await Images());
        Assert.Contains(client.StatusTexts, t => t.Contains("<want_network>0", StringComparison.Ordinal));
    }

    private static int WantsNetwork(FakeClient client) =>
        client.StatusTexts.Count(t => ClientStatusReading.Parse(t).WantNetwork == Option<long>.Some(1));

    private async Task<IList<ImagesListResponse>> Images()
    {
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"test.nonce={nonce}"] = true } };
        return await engine.Call((docker, ct) => docker.Images.ListImagesAsync(new ImagesListParameters { Filters = filter }, ct));
    }

    private async Task<string?> Container(JobSlot slot)
    {
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [slot.SlotLabel] = true } };
        var found = await engine.Call((docker, ct) => docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }, ct));
        return found.FirstOrDefault()?.ID;
    }

    private static async Task Drive(FakeClient client, WrapperProcess wrapper, Heartbeat heartbeat, Func<bool> until)
    {
        var clock = Stopwatch.StartNew();
        while (!until())
        {
            if (clock.Elapsed > Timeout)
                throw new TimeoutException($"condition not met within {Timeout}; client saw {client.Record}; stderr.txt:\n{wrapper.StderrTail()}");
            client.Tick(heartbeat);
            if (wrapper.HasExited && !until())
                throw new InvalidOperationException($"the wrapper exited; client saw {client.Record}; stderr.txt:\n{wrapper.StderrTail()}");
            await Task.Delay(250);
        }
    }
}
