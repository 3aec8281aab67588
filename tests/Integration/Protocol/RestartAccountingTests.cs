using System;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Verification.Fakes;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Protocol;

/// <summary>
/// BOINC issues #6824/#6830 end to end with the fake client: after quit and restart the client hands back the
/// checkpoint CPU time as wu_cpu_time (client/app_start.cpp: aid.wu_cpu_time = checkpoint_cpu_time), and the
/// wrapper's first status continues from it: no reset to zero, no double count, no spurious checkpoint.
/// </summary>
public sealed class RestartAccountingTests
{
    private static T Ok<T>(Fin<T> f) => f.Match(v => v, e => throw new InvalidOperationException(e.Message));

    [Fact]
    public void Cpu_time_continues_from_the_committed_checkpoint_across_a_quit_and_restart()
    {
        // Given a first run: 40 s of container CPU, a generation committed at 25 s
        using var dir = new FakeDataDir();
        var ctx = dir.Context();
        Assert.Equal(ContainerEngine.Docker, ctx.HostInfo.Engine);
        var ledger = CpuLedger.Start(ctx.WuCpuTime).Observe(new CpuSample("run1", 25));
        var snapshot = ledger.SnapshotCpu;
        ledger = ledger.Committed(snapshot).Observe(new CpuSample("run1", 40));
        using (var client = Ok(FakeClient.Attach(dir.Slot.SlotDir)))
        using (var link = Ok(ClientLink.Open(dir.Slot.SlotDir, ctx, new ManualClock())))
        {
            client.Request(ControlMessage.QuitRequest);
            client.Tick();
            Assert.Contains(ControlMessage.QuitRequest, link.Poll());
            Assert.True(link.TrySendStatus(ledger.Status(0.4)));
            client.Tick();
            Assert.Equal(new ClientRecord(40, 25, 0.4, 1), client.Record);

            // When the client restarts the task with the checkpoint it recorded
            dir.Slot.Restart(client.Record.CheckpointCpuTime);
        }

        // Then the new wrapper starts from 25 s, reports it without a new checkpoint, and counts on from there
        var ctx2 = dir.Context();
        Assert.Equal(25, ctx2.WuCpuTime);
        var ledger2 = CpuLedger.Start(ctx2.WuCpuTime);
        using var client2 = Ok(FakeClient.Attach(dir.Slot.SlotDir, ctx2.WuCpuTime));
        using var link2 = Ok(ClientLink.Open(dir.Slot.SlotDir, ctx2, new ManualClock()));
        client2.Tick();
        Assert.True(link2.TrySendStatus(ledger2.Status(0)));
        Assert.True(client2.ReadStatus().IsSome);
        Assert.Equal(new ClientRecord(25, 25, 0, 0), client2.Record);

        ledger2 = ledger2.Observe(new CpuSample("run2", 10));
        Assert.True(link2.TrySendStatus(ledger2.Status(0.5)));
        client2.ReadStatus();
        Assert.Equal(new ClientRecord(35, 25, 0.5, 0), client2.Record);
    }
}
