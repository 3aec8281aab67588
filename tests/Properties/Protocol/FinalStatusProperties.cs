using Boinc.Persist.Core.Protocol;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Boinc.Persist.Properties.ClientProtocol;

/// <summary>
/// The finish does not wait for the client to read a status when the unread one already credits the same CPU
/// times (<see cref="AppStatus.CreditsAs"/>, what the interpreter's final status asks), and does wait for any
/// other (the credit would be short).
/// </summary>
public sealed class FinalStatusProperties
{
    /// <summary>A final status's CPU time, checkpoint CPU time (never above it) and fraction done.</summary>
    private static Gen<(double Cpu, double Checkpoint, double Fraction)> Times =>
        Gen.Choose(0, 1_000_000).SelectMany(c => Gen.Choose(0, c).SelectMany(k => Gen.Choose(0, 100)
            .Select(f => (c / 1000.0, k / 1000.0, f / 100.0))));

    [Property(MaxTest = 300)]
    public Property A_pending_status_with_the_final_cpu_times_credits_as_the_final_whatever_its_fraction_and_memory() =>
        Prop.ForAll(Arb.From(Times), Arb.From(Times), (final, other) =>
        {
            var pending = AppStatus.Of(final.Cpu, final.Checkpoint, other.Fraction, workingSetBytes: 1e6);
            var fin = AppStatus.Of(final.Cpu, final.Checkpoint, 1, workingSetBytes: 2e6);
            return pending.CreditsAs(fin);
        });

    /// <summary>The pending status short of the final by a positive amount of CPU time, of checkpoint CPU time, or both.</summary>
    [Property(MaxTest = 300)]
    public Property A_pending_status_short_of_either_cpu_time_is_waited_for() =>
        Prop.ForAll(Arb.From(Times), Arb.From(Gen.Choose(1, 5_000).Select(d => d / 1000.0)), Arb.From(Gen.Elements(0, 1, 2)),
            (t, s, which) =>
            {
                // Every status valid (checkpoint CPU never above CPU): the final is ahead by s in one figure or both.
                var (pending, fin) = which switch
                {
                    0 => (AppStatus.Of(t.Cpu, t.Checkpoint, t.Fraction), AppStatus.Of(t.Cpu + s, t.Checkpoint, 1)),
                    1 => (AppStatus.Of(t.Cpu + s, t.Checkpoint, t.Fraction), AppStatus.Of(t.Cpu + s, t.Checkpoint + s, 1)),
                    _ => (AppStatus.Of(t.Cpu, t.Checkpoint, t.Fraction), AppStatus.Of(t.Cpu + s, t.Checkpoint + s, 1)),
                };
                return (!pending.CreditsAs(fin)).Label($"short by {s} s in {(which == 0 ? "CPU" : which == 1 ? "checkpoint CPU" : "both")}");
            });

    [Fact]
    public void A_tick_one_second_short_of_the_final_cpu_time_is_waited_for()
    {
        // Exactly what the wait exists for: the last tick went out a second before the container ended.
        Assert.False(AppStatus.Of(2.05, 1, 0.9).CreditsAs(AppStatus.Of(3.05, 1, 1)));
        Assert.True(AppStatus.Of(3.05, 1, 0.9).CreditsAs(AppStatus.Of(3.05, 1, 1)));
    }
}
