using System.Collections.Generic;
using System.Linq;
using Boinc.Persist.Core.Lifecycle;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;
using static Boinc.Persist.Properties.Generators;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>
/// Recovery runs at every start before anything is decided (re-attach and the no-generation case included), and
/// the checkpoint CPU time BOINC hears comes only from a generation recovery verified or a commit acknowledged.
/// </summary>
public class RecoveryFirstTests
{
    private static readonly TaskFacts Task = Facts() with { HostBoot = Boot };

    [Fact]
    public void Every_start_begins_with_recovery_then_the_observation()
    {
        Assert.Equal(new Effect[] { new Effect.RecoverStore(), new Effect.ObserveWorld() }, JobLifecycle.Begin(Task).Effects);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Nothing_is_decided_before_recovery_has_reported_even_for_a_running_container(bool withGeneration)
    {
        var begin = JobLifecycle.Begin(Task);
        var seen = JobLifecycle.Decide(begin.State, new Command.WorldObserved(Option<Journal>.None, new Observation.Running("c1")));
        var store = withGeneration ? new StoreSummary(new GenerationSummary(7, 70)) : StoreSummary.Empty;
        var recovered = JobLifecycle.Decide(seen.State, new Command.StoreRecovered(store));

        Assert.Empty(seen.Effects);
        Assert.Contains(new Effect.FollowContainer(TaskContainer, true), recovered.Effects);
        Assert.Equal(withGeneration ? 70 : 0, recovered.State.CheckpointCpuNanos);
    }

    [Fact]
    public void A_killed_container_in_a_running_wrapper_goes_through_recovery_again()
    {
        var s = Drive.Started(Task, new StoreSummary(new GenerationSummary(2, 20))).State;

        var d = JobLifecycle.Decide(s, new Command.ContainerEnded(new Observation.Absent()));

        Assert.Equal(new Effect[] { new Effect.RecoverStore(), new Effect.ObserveWorld() }, d.Effects.Skip(1));
    }

    [Property(MaxTest = 300)]
    public Property Until_recovery_and_the_observation_are_both_in_no_effect_touches_engine_or_files() =>
        Prop.ForAll(Arb.From(CommandGen().Where(c => c is not Command.StoreRecovered and not Command.WorldObserved).ListOf()), commands =>
        {
            var d = Drive.Decide(JobLifecycle.Begin(Task).State, commands);
            // An abort may act at once (kill and remove by name need nothing recovered); nothing else may.
            var acted = d.Effects.Filter(e => e is not (Effect.TemporaryExit or Effect.WriteJournal or Effect.KillContainer
                or Effect.RemoveContainer or Effect.RemoveImageIfUnused or Effect.ExitAborted));
            return acted.IsEmpty.Label($"{string.Join(", ", commands)} -> {d.Effects}");
        });

    [Property(MaxTest = 300)]
    public Property The_checkpoint_CPU_time_reported_is_always_that_of_a_recovered_or_acknowledged_generation() =>
        Prop.ForAll(Arb.From(StoreGen()), Arb.From(CommandGen().ListOf()), (store, commands) =>
        {
            var begin = JobLifecycle.Begin(Task);
            var all = new List<Command> { new Command.StoreRecovered(store), new Command.WorldObserved(Option<Journal>.None, new Observation.Absent()) };
            all.AddRange(commands);
            var durable = new System.Collections.Generic.HashSet<long> { 0 };
            var state = begin.State;
            var bad = new List<string>();
            foreach (var c in all)
            {
                if (c is Command.StoreRecovered r)
                    r.Store.Latest.Iter(g => durable.Add(g.CpuNanos));
                if (c is Command.CheckpointCommitted cc)
                    durable.Add(cc.Generation.CpuNanos);
                var d = JobLifecycle.Decide(state, c);
                state = d.State;
                bad.AddRange(d.Effects.OfType<Effect.ReportStatus>().Where(s => !durable.Contains(s.CheckpointCpuNanos)).Select(s => s.ToString()));
            }

            return (bad.Count == 0).Label(string.Join("; ", bad));
        });
}
