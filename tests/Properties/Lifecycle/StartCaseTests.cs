using System;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;
using static Boinc.Persist.Properties.Generators;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>Each decision a (re)started wrapper takes, as a named case with its exact effects.</summary>
public class StartCaseTests
{
    private static readonly TaskFacts Task = Facts();
    private static readonly StoreSummary Gen5 = new(new GenerationSummary(5, 9_000));

    private static StartDecision Start(Observation observed, StoreSummary store, Option<Journal> journal = default) =>
        JobLifecycle.Start(new StartInput(Task, journal, observed, store));

    private static Effect.RestoreGeneration Restore(StartDecision d) =>
        d.Effects.Choose(e => e is Effect.RestoreGeneration r ? Option<Effect.RestoreGeneration>.Some(r) : Option<Effect.RestoreGeneration>.None).Head;

    private static Journal Written(StartDecision d) =>
        d.Effects.Choose(e => e is Effect.WriteJournal w ? Option<Journal>.Some(w.Journal) : Option<Journal>.None).Last;

    [Fact]
    public void No_container_restores_the_newest_generation_then_creates_and_starts()
    {
        var d = Start(new Observation.Absent(), Gen5);

        Assert.Equal(StartCase.CreateFromNewest, d.Case);
        Assert.Equal(
            new Effect[]
            {
                new Effect.BuildImage(TaskImage), new Effect.RestoreGeneration(5, Restore(d).Why), new Effect.WriteJournal(Written(d)),
                new Effect.CreateContainer(TaskContainer, TaskImage), new Effect.StartContainer(TaskContainer),
            },
            d.Effects.Take(5));
        Assert.Equal(5L, Written(d).CommittedGeneration);
        Assert.Equal(9_000, Written(d).CpuBaseNanos);
        Assert.Equal("boot-1", Written(d).BootId);
    }

    [Fact]
    public void No_container_and_no_generation_starts_from_the_beginning_without_a_restore()
    {
        var d = Start(new Observation.Absent(), StoreSummary.Empty);

        Assert.Equal(StartCase.CreateFromNewest, d.Case);
        Assert.DoesNotContain(d.Effects, e => e is Effect.RestoreGeneration);
        Assert.Equal(0, Written(d).CpuBaseNanos);
    }

    [Fact]
    public void Created_is_started_without_a_restore()
    {
        var d = Start(new Observation.Created("c9"), Gen5);

        Assert.Equal(StartCase.StartCreated, d.Case);
        Assert.Equal(new Effect[] { new Effect.StartContainer(TaskContainer), new Effect.FollowContainer(TaskContainer, false) }, d.Effects.Skip(d.Effects.Count - 2));
        Assert.DoesNotContain(d.Effects, e => e is Effect.RestoreGeneration or Effect.CreateContainer);
        Assert.Equal("c9", Written(d).ContainerId);
    }

    [Fact]
    public void Created_under_an_earlier_boot_is_recreated_from_the_newest_generation()
    {
        // Given a journal written at boot-0 (restore done, container created) and a host that has rebooted since
        var journal = Journal.New(TaskContainer) with { ContainerId = "c9", CommittedGeneration = 5L, BootId = "boot-0" };

        var d = Start(new Observation.Created("c9"), Gen5, journal);

        // Then the restore is done again (its files may not have reached the disk) before a new container starts
        Assert.Equal(StartCase.RestartAfterUnrecordedExit, d.Case);
        Assert.Contains(d.Effects, e => e is Effect.RestoreGeneration { Number: 5 });
        Assert.Contains(d.Effects, e => e is Effect.RemoveContainer);
        Assert.Equal("boot-1", Written(d).BootId);
    }

    [Fact]
    public void Running_is_reattached_and_never_restarted()
    {
        var journal = Journal.New(TaskContainer) with { ContainerId = "c9", CommittedGeneration = 5L, BootId = "boot-1" };

        var d = Start(new Observation.Running("c9"), Gen5, journal);

        Assert.Equal(StartCase.ReattachRunning, d.Case);
        Assert.Equal(new Effect[] { new Effect.FollowContainer(TaskContainer, true) }, d.Effects);
    }

    [Fact]
    public void Paused_is_unpaused()
    {
        var d = Start(new Observation.Paused("c9"), Gen5);

        Assert.Equal(StartCase.UnpausePaused, d.Case);
        Assert.Contains(new Effect.UnpauseContainer(TaskContainer), d.Effects);
        Assert.Equal(new Effect.FollowContainer(TaskContainer, true), d.Effects.Last);
    }

    [Fact]
    public void Exited_with_a_recorded_result_reports_it_again_and_never_reruns()
    {
        var journal = Journal.New(TaskContainer) with { FinishedExitCode = 3 };

        var d = Start(new Observation.Exited("c9", 3), Gen5, journal);

        Assert.Equal(StartCase.ReportFinishedAgain, d.Case);
        Assert.Equal(new Effect.RemoveContainer(TaskContainer), d.Effects.Head);
        Assert.Equal(new Effect.Finish(3), d.Effects.Last);
        Assert.DoesNotContain(d.Effects, e => e is Effect.CreateContainer or Effect.StartContainer or Effect.RestoreGeneration);
    }

    [Theory]
    [InlineData(129)]
    [InlineData(130)]
    [InlineData(131)]
    [InlineData(137)]
    [InlineData(143)]
    [InlineData(255)]
    public void Exited_by_an_outside_signal_without_a_recorded_result_recovers_the_newest_generation_and_starts_again(int code)
    {
        var d = Start(new Observation.Exited("c9", code), Gen5, Journal.New(TaskContainer) with { BootId = "boot-0" });

        Assert.Equal(StartCase.RestartAfterUnrecordedExit, d.Case);
        Assert.Equal(
            new Effect[] { new Effect.RemoveContainer(TaskContainer), new Effect.BuildImage(TaskImage), new Effect.RestoreGeneration(5, Restore(d).Why) },
            d.Effects.Take(3));
        Assert.Contains(new Effect.StartContainer(TaskContainer), d.Effects);
        Assert.Equal("boot-1", Written(d).BootId);
    }

    [Fact]
    public void Dead_or_unknown_is_removed_and_recreated_from_the_newest_generation()
    {
        foreach (var observed in new Observation[] { new Observation.Dead("c9"), new Observation.Unknown("c9", "restarting") })
        {
            var d = Start(observed, Gen5);

            Assert.Equal(StartCase.RecreateDeadOrUnknown, d.Case);
            Assert.Equal(new Effect.RemoveContainer(TaskContainer), d.Effects.Head);
            Assert.Equal(5, Restore(d).Number);
            Assert.Contains(new Effect.CreateContainer(TaskContainer, TaskImage), d.Effects);
        }
    }

    [Fact]
    public void An_unreachable_engine_is_a_temporary_exit_with_the_reason_not_a_result()
    {
        var d = JobLifecycle.StartWithoutEngine(Task, Option<Journal>.None, "connection refused (/var/run/docker.sock)");

        Assert.Equal(StartCase.EngineUnreachable, d.Case);
        var exit = Assert.IsType<Effect.TemporaryExit>(Assert.Single(d.Effects));
        Assert.Equal(Task.RetryDelay, exit.Delay);
        Assert.Contains("connection refused", exit.Reason);
    }

    [Fact]
    public void A_recorded_abort_is_completed_and_never_restarted()
    {
        var d = Start(new Observation.Exited("c9", 137), Gen5, Journal.New(TaskContainer) with { Intent = Intent.Abort });

        Assert.Equal(StartCase.CompleteAbort, d.Case);
        Assert.Equal(new Effect.ExitAborted(), d.Effects.Last);
        Assert.Contains(new Effect.RemoveImageIfUnused(TaskImage), d.Effects);
    }

    [Fact]
    public void A_journal_of_another_task_in_the_same_slot_is_ignored()
    {
        var stale = Journal.New("boinc__other__task") with { FinishedExitCode = 0 };

        var d = Start(new Observation.Absent(), StoreSummary.Empty, stale);

        Assert.Equal(StartCase.CreateFromNewest, d.Case);
        Assert.Equal(TaskContainer, Written(d).Container);
    }

    [Property(MaxTest = 300)]
    public Property Start_is_total_and_a_recorded_result_never_runs_anything() =>
        Prop.ForAll(Arb.From(JournalGen()), Arb.From(ObservationGen()), (journal, observed) =>
        {
            var j = journal with { Container = TaskContainer };
            var d = JobLifecycle.Start(new StartInput(Task, j, observed, Gen5));
            var runs = d.Effects.Exists(e => e is Effect.CreateContainer or Effect.StartContainer or Effect.UnpauseContainer);
            return (j.FinishedExitCode.IsNone || (!runs && d.Effects.Last == new Effect.Finish(j.FinishedExitCode.IfNone(0))))
                .Label($"{d.Case}: {d.Effects}");
        });
}
