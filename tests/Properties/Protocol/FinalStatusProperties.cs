using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Run;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.ClientProtocol;

/// <summary>
/// The finish does not wait for the client to read a status that already carries the final CPU times
/// (<see cref="Interpreter.AlreadyPending"/>), and does wait for any other (the credit would be short).
/// </summary>
public sealed class FinalStatusProperties
{
    private static Arbitrary<(double Cpu, double Checkpoint, double Fraction)> Times =>
        Arb.From(Gen.Choose(0, 1_000_000).SelectMany(c => Gen.Choose(0, c).SelectMany(k => Gen.Choose(0, 100)
            .Select(f => (c / 1000.0, k / 1000.0, f / 100.0)))));

    [Property(MaxTest = 300)]
    public Property A_pending_status_with_the_final_cpu_times_is_enough_whatever_its_fraction_and_memory() =>
        Prop.ForAll(Times, Times, (final, other) =>
        {
            var last = AppStatus.Of(final.Cpu, final.Checkpoint, other.Fraction, workingSetBytes: 1e6);
            var fin = AppStatus.Of(final.Cpu, final.Checkpoint, 1, workingSetBytes: 2e6);
            return Interpreter.AlreadyPending(Option<AppStatus>.Some(last), fin);
        });

    [Property(MaxTest = 300)]
    public Property A_pending_status_with_other_cpu_times_is_waited_for() =>
        Prop.ForAll(Times, Times, (final, pending) =>
        {
            var fin = AppStatus.Of(final.Cpu, final.Checkpoint, 1);
            var last = AppStatus.Of(pending.Cpu, pending.Checkpoint, final.Fraction);
            var same = last.CurrentCpuTime == fin.CurrentCpuTime && last.CheckpointCpuTime == fin.CheckpointCpuTime;
            return (Interpreter.AlreadyPending(Option<AppStatus>.Some(last), fin) == same).Label($"same CPU times: {same}");
        });

    [Fact]
    public void With_nothing_sent_yet_the_finish_waits()
    {
        Assert.False(Interpreter.AlreadyPending(Option<AppStatus>.None, AppStatus.Of(3, 1, 1)));
        // A tick one second short of the final CPU time is exactly what the wait exists for.
        Assert.False(Interpreter.AlreadyPending(Option<AppStatus>.Some(AppStatus.Of(2.05, 1, 0.9)), AppStatus.Of(3.05, 1, 1)));
    }
}
