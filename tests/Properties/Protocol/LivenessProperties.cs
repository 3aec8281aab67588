using System;
using Boinc.Persist.Core.Protocol;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.ClientProtocol;

[Properties(MaxTest = 500)]
public class LivenessProperties
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Property]
    public Property Lost_exactly_after_30s_of_silence_or_when_the_pid_is_gone(int millis, bool? pidAlive)
    {
        var pid = pidAlive.HasValue ? Option<bool>.Some(pidAlive.Value) : Option<bool>.None;
        var state = Liveness.Judge(T0, T0 + TimeSpan.FromMilliseconds(Math.Abs((long)millis)), pid);
        var expectLost = pidAlive == false || Math.Abs((long)millis) > 30_000;
        return ((state == ClientState.Lost) == expectLost).Label($"{state}");
    }

    [Property]
    public bool Once_lost_by_silence_it_stays_lost_until_a_heartbeat(PositiveInt a, PositiveInt b)
    {
        var first = T0 + TimeSpan.FromMilliseconds(30_000 + a.Get);
        var later = first + TimeSpan.FromMilliseconds(b.Get);
        return Liveness.Judge(T0, first, Option<bool>.None) == ClientState.Lost
               && Liveness.Judge(T0, later, Option<bool>.None) == ClientState.Lost
               && Liveness.Judge(later, later, Option<bool>.None) == ClientState.Alive;
    }

    [Fact]
    public void Thirty_seconds_is_still_alive_one_more_tick_is_lost()
    {
        Assert.Equal(ClientState.Alive, Liveness.Judge(T0, T0.AddSeconds(30), Option<bool>.Some(true)));
        Assert.Equal(ClientState.Lost, Liveness.Judge(T0, T0.AddSeconds(30).AddTicks(1), Option<bool>.Some(true)));
    }
}
