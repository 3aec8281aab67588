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
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Run;

/// <summary>
/// Issue 16 point 7: a sporadic app (<c>--sporadic</c>, docker_wrapper's flag) under the fake client. The real
/// client 8.2.15 never sends <c>&lt;sporadic_ca&gt;</c> (its <c>APP::parse</c> never sets
/// <c>have_sporadic_app</c>, so <c>sporadic_poll</c> never runs: docs/APPS.md, "Sporadic apps"), so the client's
/// side is played by the fake client's heartbeats. The job inside the container speaks only through WORKDIR/ac and
/// WORKDIR/ca, as an app written for docker_wrapper does.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class SporadicTests(EngineFixture engine) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    private readonly TempRoot temp = engine.NewTempRoot();
    private readonly List<JobSlot> slots = new();

    public void Dispose()
    {
        var leaked = JobSlot.RemoveLeftovers(engine, slots);
        temp.Dispose();
        Assert.True(leaked.Count == 0, "containers left behind: " + string.Join(", ", leaked));
    }

    /// <summary>
    /// The job says it wants to compute (ac = 2), waits until ca says computing (3), does its work, then says it no
    /// longer wants to compute (ac = 1) and ends a few seconds later.
    /// </summary>
    private const string Job =
        "echo 2 > ac; " +
        "while [ \"$(cat ca 2>/dev/null)\" != 3 ]; do sleep 0.2; done; " +
        "echo computed > out.txt; echo 1 > ac; sleep 4";

    [Fact]
    public async Task The_client_state_reaches_ca_and_the_jobs_ac_reaches_the_client()
    {
        // Given a sporadic job and a client that says "you could compute" (2)
        var dockerfile = $"FROM {engine.BaseImage}\nWORKDIR /app\nCMD [\"/bin/sh\", \"-c\", \"{Job.Replace("\"", "\\\"")}\"]\n";
        var slot = JobSlot.Create(temp, engine, "", dockerfile);
        slots.Add(slot);
        File.WriteAllBytes(slot.SlotFile(SharedMemory.FileName), new byte[SharedMemory.Size]);
        using var client = FakeClient.Attach(slot.SlotDir).Match(c => c, e => throw new InvalidOperationException(e.Message));
        var could = Heartbeat(SporadicCa.CouldCompute);
        client.SendHeartbeat(could);
        using var wrapper = WrapperProcess.Start(slot.SlotDir, "--sporadic");

        // When the job has said it wants to compute
        await Drive(client, wrapper, could, () => Said(client, SporadicAc.WantCompute));

        // Then the client's state is in ca, and the job has not computed (it waits for 3)
        Assert.Equal("2", slot.ReadSlotFile("ca").Trim());
        Assert.False(File.Exists(slot.SlotFile("out.txt")));

        // When the client says "computing" (3), the job computes, says it is done wanting (1) and ends
        var computing = Heartbeat(SporadicCa.Computing);
        await Drive(client, wrapper, computing, () => Said(client, SporadicAc.DontWantCompute) || wrapper.HasExited);
        await Drive(client, wrapper, computing, () => wrapper.HasExited);
        Assert.Equal(0, await wrapper.WaitForExit(Timeout));

        // Then the work was done once the client allowed it, and the job's last word reached the client
        Assert.Equal("computed", slot.ReadSlotFile("out.txt").Trim());
        Assert.Equal("3", slot.ReadSlotFile("ca").Trim());
        Assert.True(Said(client, SporadicAc.DontWantCompute), "no status carried <sporadic_ac>1; stderr.txt:\n" + wrapper.StderrTail());
        Assert.Equal(Option<int>.Some(0), client.FinishStatus());
        Assert.Contains("sporadic app", wrapper.StderrTail(), StringComparison.Ordinal);
    }

    private static Heartbeat Heartbeat(SporadicCa ca) =>
        new(Option<double>.Some(1e8), Option<double>.Some(5e8), false) { SporadicCa = ca };

    private static bool Said(FakeClient client, SporadicAc ac) =>
        client.StatusTexts.Exists(t => ClientStatusReading.Parse(t).SporadicAc == Option<long>.Some((int)ac));

    private static async Task Drive(FakeClient client, WrapperProcess wrapper, Heartbeat heartbeat, Func<bool> until)
    {
        var clock = Stopwatch.StartNew();
        while (!until())
        {
            if (clock.Elapsed > Timeout)
                throw new TimeoutException($"condition not met within {Timeout}; client saw {client.Record}; stderr.txt:\n{wrapper.StderrTail()}");
            client.Tick(heartbeat);
            if (wrapper.HasExited && !until())
                throw new InvalidOperationException($"the wrapper exited; statuses: {string.Join(" | ", client.StatusTexts.Map(t => t.Replace("\n", " ")))}; stderr.txt:\n{wrapper.StderrTail()}");
            await Task.Delay(250);
        }
    }
}
