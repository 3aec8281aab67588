using System;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Verification.Fakes;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Protocol;

public sealed class ClientLinkTests
{
    private static T Ok<T>(Fin<T> f) => f.Match(v => v, e => throw new InvalidOperationException(e.Message));

    [Fact]
    public void Heartbeats_keep_the_client_alive_and_30s_of_silence_lose_it()
    {
        // Given
        using var dir = new FakeDataDir();
        var clock = new ManualClock();
        using var client = Ok(FakeClient.Attach(dir.Slot.SlotDir));
        using var link = Ok(ClientLink.Open(dir.Slot.SlotDir, dir.Context(), clock));

        // When the client beats every second for two minutes
        for (var i = 0; i < 120; i++)
        {
            client.Tick(new Heartbeat(Option<double>.Some(1e6 + i), Option<double>.Some(5e8), i % 2 == 0));
            clock.Advance(TimeSpan.FromSeconds(1));
            link.Poll();
            Assert.False(link.ClientLost);
        }

        Assert.Equal(Option<double>.Some(1e6 + 119), link.LastHeartbeat.Bind(h => h.WorkingSetBytes));

        // Then silence is tolerated for 30 s, not one second more
        clock.Advance(TimeSpan.FromSeconds(30));
        link.Poll();
        Assert.False(link.ClientLost);
        clock.Advance(TimeSpan.FromSeconds(1));
        link.Poll();
        Assert.True(link.ClientLost);

        // And a heartbeat brings it back
        client.Tick();
        link.Poll();
        Assert.False(link.ClientLost);
    }

    [Fact]
    public void A_client_pid_that_is_gone_is_lost_at_once()
    {
        // Given a live process standing in for the client
        using var stand_in = ChildProcess.Python("import time\nprint('up',flush=True)\ntime.sleep(600)");
        stand_in.ReadLine();
        using var dir = new FakeDataDir(FakeTask.Default() with { ClientPid = Option<int>.Some(stand_in.Pid) });
        using var link = Ok(ClientLink.Open(dir.Slot.SlotDir, dir.Context(), new ManualClock()));
        Assert.False(link.ClientLost);

        // When it dies (and is reaped)
        stand_in.Kill();

        // Then
        Assert.True(link.ClientLost);
    }

    [Fact]
    public void System_V_shared_memory_is_refused_with_a_reason()
    {
        using var dir = new FakeDataDir();
        var ctx = dir.Context() with { ShmKey = Option<int>.Some(12345) };
        var opened = ClientLink.Open(dir.Slot.SlotDir, ctx, new ManualClock());
        Assert.Contains("shm_key 12345", opened.Match(_ => "", e => e.Message));
    }
}
