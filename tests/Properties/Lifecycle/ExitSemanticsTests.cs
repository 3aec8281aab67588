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
/// A container that ended while no wrapper watched: its own exit is the job's result, reported once and never
/// re-run, whatever the boot id; a kill (signal, OOM, engine stop, host reboot) means recover and run again.
/// </summary>
public class ExitSemanticsTests
{
    private static readonly TaskFacts Task = Facts() with { HostBoot = Boot };
    private static readonly StoreSummary Gen5 = new(new GenerationSummary(5, 9_000));

    private static Decision Restart(Observation observed, Journal journal) =>
        Drive.Started(Task, Gen5, journal, observed);

    private static bool Runs(Seq<Effect> effects) =>
        effects.Exists(e => e is Effect.CreateContainer or Effect.StartContainer or Effect.RestoreGeneration or Effect.UnpauseContainer);

    [Fact]
    public void A_job_that_exited_0_on_its_own_while_the_wrapper_was_away_is_reported_finished_and_never_rerun()
    {
        // Given the wrapper was killed (journal: run, no result) and the job then finished, in an earlier boot
        var journal = Journal.New(TaskContainer) with { ContainerId = "c9", BootId = "boot-0", CommittedGeneration = 5L };
        var exited = new Observation.Exited("c9", 0) { Run = new RunFacts(Boot.AddHours(-2), Boot.AddHours(-1), false) };

        // When the wrapper starts again (after the reboot)
        var d = Restart(exited, journal);

        // Then it records and reports the result, and runs nothing
        Assert.False(Runs(d.Effects));
        Assert.Equal(0, Assert.IsType<Effect.WriteJournal>(d.Effects.First(e => e is Effect.WriteJournal)).Journal.FinishedExitCode);
        Assert.Equal(new Effect.Finish(0), d.Effects.Last);

        // And a further start reports it again, still running nothing
        var written = d.Effects.OfType<Effect.WriteJournal>().Last().Journal;
        var again = Drive.Started(Task, Gen5, written, new Observation.Absent());
        Assert.False(Runs(again.Effects));
        Assert.Equal(new Effect.Finish(0), again.Effects.Last);
    }

    [Fact]
    public void Its_own_non_zero_exit_is_one_compute_error()
    {
        var d = Restart(new Observation.Exited("c9", 3) { Run = new RunFacts(Boot.AddHours(1), Boot.AddHours(2), false) }, Journal.New(TaskContainer));

        Assert.False(Runs(d.Effects));
        Assert.Equal(new Effect.Finish(3), d.Effects.Last);
    }

    [Theory]
    [InlineData(137, false, false)]
    [InlineData(143, false, false)]
    [InlineData(129, false, false)]
    [InlineData(0, true, false)]
    [InlineData(255, false, true)]
    [InlineData(0, false, true)]
    public void A_killed_container_is_recovered_and_run_again(int code, bool oom, bool acrossReboot)
    {
        var run = acrossReboot
            ? new RunFacts(Boot.AddHours(-1), Boot.AddMinutes(1), oom)
            : new RunFacts(Boot.AddHours(1), Boot.AddHours(2), oom);

        var d = Restart(new Observation.Exited("c9", code) { Run = run }, Journal.New(TaskContainer));

        Assert.DoesNotContain(d.Effects, e => e is Effect.Finish);
        Assert.Contains(d.Effects, e => e is Effect.RestoreGeneration { Number: 5 });
        Assert.Contains(new Effect.StartContainer(TaskContainer), d.Effects);
    }

    [Fact]
    public void A_container_podman_reset_to_created_after_a_reboot_is_recovered_not_started_on_unrecovered_files()
    {
        var d = Restart(new Observation.Created("c9") { Run = new RunFacts(Boot.AddHours(-1), Option<System.DateTimeOffset>.None, false) }, Journal.New(TaskContainer));

        Assert.Equal(new Effect.RemoveContainer(TaskContainer), d.Effects.SkipWhile(e => e is not Effect.RemoveContainer).First());
        Assert.Contains(d.Effects, e => e is Effect.RestoreGeneration { Number: 5 });
    }

    [Fact]
    public void While_the_wrapper_watches_an_outside_kill_restarts_within_the_budget_then_leaves_it_to_BOINC()
    {
        var s = Drive.Started(Task, Gen5).State;
        for (var i = 1; i <= Task.MaxRestarts; i++)
        {
            var killed = JobLifecycle.Decide(s, new Command.ContainerEnded(new Observation.Exited("c1", 137)));
            Assert.Equal(new Effect[] { new Effect.RecoverStore(), new Effect.ObserveWorld() }, killed.Effects.Skip(1));
            s = Drive.Decide(killed.State, new Command[] { new Command.StoreRecovered(Gen5), new Command.WorldObserved(Option<Journal>.None, new Observation.Exited("c1", 137)) }).State;
            Assert.IsType<Phase.Running>(s.Phase);
        }

        var last = JobLifecycle.Decide(s, new Command.ContainerEnded(new Observation.Exited("c1", 137)));
        Assert.IsType<Effect.TemporaryExit>(Assert.Single(last.Effects));
    }

    [Property(MaxTest = 500)]
    public Property An_own_exit_while_away_is_reported_once_and_never_rerun_whatever_the_boot() =>
        Prop.ForAll(
            Arb.From(from j in UnfinishedJournalGen() from c in OwnExitCodeGen() from r in Gen.OneOf(ThisBootRunGen(), BeforeBootRunGen()) select (j, c, r)),
            Arb.From(StoreGen()),
            (exit, store) =>
            {
                var (journal, code, run) = exit;
                var first = Drive.Started(Task, store, journal, new Observation.Exited("c9", code) { Run = run });
                var written = first.Effects.OfType<Effect.WriteJournal>().Select(w => w.Journal).LastOrDefault();
                var second = Drive.Started(Task, store, written ?? journal, new Observation.Absent());
                return (!Runs(first.Effects) && !Runs(second.Effects)
                        && first.Effects.Last == new Effect.Finish(code) && second.Effects.Last == new Effect.Finish(code)
                        && written?.FinishedExitCode == code)
                    .Label($"first {first.Effects}; second {second.Effects}");
            });

    [Property(MaxTest = 500)]
    public Property A_kill_while_away_recovers_the_newest_generation_and_runs_again() =>
        Prop.ForAll(
            Arb.From(UnfinishedJournalGen()),
            Arb.From(Gen.OneOf(
                from c in OutsideSignalCodeGen() from r in Gen.OneOf(ThisBootRunGen(), BeforeBootRunGen()) select (c, r),
                from c in Gen.Choose(0, 255) from r in ThisBootRunGen() select (c, r with { OomKilled = true }),
                from c in Gen.Choose(0, 255) from r in AcrossRebootRunGen() select (c, r))),
            Arb.From(StoreGen()),
            (journal, exit, store) =>
            {
                var d = Drive.Started(Task, store, journal, new Observation.Exited("c9", exit.Item1) { Run = exit.Item2 });
                var restored = d.Effects.OfType<Effect.RestoreGeneration>().Select(r => r.Number).ToArray();
                return (!d.Effects.Exists(e => e is Effect.Finish)
                        && d.Effects.Contains(new Effect.StartContainer(TaskContainer))
                        && restored.SequenceEqual(store.Latest.Map(g => g.Number).ToArray()))
                    .Label($"{exit}: {d.Effects}");
            });
}
