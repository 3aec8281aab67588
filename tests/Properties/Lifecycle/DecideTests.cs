using System;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Lifecycle;
using LanguageExt;
using Xunit;
using static Boinc.Persist.Properties.Generators;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>What a running wrapper does with BOINC's messages and the engine's events.</summary>
public class DecideTests
{
    /// <summary>stop_grace 30 s: 20 s of checkpoint wait, 10 s for the engine's stop.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    internal static LifecycleState Running(QuitPolicy policy = QuitPolicy.CheckpointAndStop) =>
        Drive.Started(Facts(policy), new StoreSummary(new GenerationSummary(2, 100))).State;

    private static Decision Decide(LifecycleState s, params Command[] commands)
    {
        var d = new Decision(s, Seq<Effect>.Empty);
        foreach (var c in commands)
            d = JobLifecycle.Decide(d.State, c);
        return d;
    }

    [Fact]
    public void Quit_with_checkpoint_and_stop_asks_for_a_checkpoint_and_waits_its_share_of_stop_grace()
    {
        var d = Decide(Running(), new Command.Quit());

        Assert.Equal(new Effect[] { new Effect.RequestCheckpoint(), new Effect.AwaitCheckpoint(Wait) }, d.Effects.Skip(1));
        Assert.IsType<Phase.Quitting>(d.State.Phase);
    }

    [Fact]
    public void A_commit_while_quitting_records_our_stop_before_stopping_then_quits_when_the_container_ended()
    {
        var d = Decide(Running(), new Command.Quit(), new Command.CheckpointCommitted(new GenerationSummary(3, 200)));

        var write = Assert.IsType<Effect.WriteJournal>(d.Effects[0]);
        Assert.Equal(Intent.Stop, write.Journal.Intent);
        Assert.Equal(3L, write.Journal.CommittedGeneration);
        Assert.Equal(new Effect.StopContainer(TaskContainer, StopTimeout), d.Effects[1]);
        var ended = JobLifecycle.Decide(d.State, new Command.ContainerEnded(new Observation.Exited("c1", 143)));
        Assert.IsType<Effect.QuitExit>(ended.Effects.Last);
    }

    [Fact]
    public void Grace_elapsed_without_a_commit_stops_at_the_last_committed_generation()
    {
        var d = Decide(Running(), new Command.Quit(), new Command.GraceElapsed());

        Assert.Equal(2L, Assert.IsType<Effect.WriteJournal>(d.Effects[0]).Journal.CommittedGeneration);
        Assert.IsType<Effect.StopContainer>(d.Effects[1]);
        var ended = JobLifecycle.Decide(d.State, new Command.ContainerEnded(new Observation.Exited("c1", 137)));
        Assert.Contains("no new checkpoint", Assert.IsType<Effect.QuitExit>(ended.Effects.Last).Reason);
    }

    [Fact]
    public void An_app_that_exits_cleanly_on_the_stop_signal_gets_a_last_commit_before_the_quit()
    {
        var stopping = Decide(Running(), new Command.Quit(), new Command.GraceElapsed()).State;

        var ended = JobLifecycle.Decide(stopping, new Command.ContainerEnded(new Observation.Exited("c1", 0)));
        var committed = JobLifecycle.Decide(ended.State, new Command.CheckpointCommitted(new GenerationSummary(3, 300)));

        Assert.IsType<Effect.CommitCheckpoint>(Assert.Single(ended.Effects));
        Assert.Equal(3L, Assert.IsType<Effect.WriteJournal>(committed.Effects[0]).Journal.CommittedGeneration);
        Assert.IsType<Effect.QuitExit>(committed.Effects.Last);
    }

    [Fact]
    public void Quit_with_the_pause_policy_pauses_and_exits_like_docker_wrapper()
    {
        var d = Decide(Running(QuitPolicy.Pause), new Command.Quit());

        Assert.Equal(new Effect.PauseContainer(TaskContainer), d.Effects[0]);
        Assert.IsType<Effect.QuitExit>(d.Effects[1]);
        Assert.Equal(2, d.Effects.Count);
    }

    [Fact]
    public void A_lost_client_quits_as_the_policy_says()
    {
        Assert.Equal(Decide(Running(), new Command.Quit()).Effects.Skip(1), Decide(Running(), new Command.ClientLost()).Effects.Skip(1));
    }

    [Fact]
    public void Suspend_pauses_resume_unpauses_and_repeats_do_nothing()
    {
        var suspended = Decide(Running(), new Command.Suspend());
        var again = JobLifecycle.Decide(suspended.State, new Command.Suspend());
        var resumed = JobLifecycle.Decide(suspended.State, new Command.Resume());

        Assert.Equal(new Effect[] { new Effect.PauseContainer(TaskContainer) }, suspended.Effects);
        Assert.Empty(again.Effects);
        Assert.Equal(new Effect[] { new Effect.UnpauseContainer(TaskContainer) }, resumed.Effects);
        Assert.Empty(JobLifecycle.Decide(resumed.State, new Command.Resume()).Effects);
    }

    [Fact]
    public void The_jobs_exit_is_journaled_before_the_container_is_removed_and_reported_once()
    {
        var d = Decide(Running(), new Command.ExitObserved(1));

        Assert.Equal(1, Assert.IsType<Effect.WriteJournal>(d.Effects[0]).Journal.FinishedExitCode);
        Assert.Equal(new Effect.RemoveContainer(TaskContainer), d.Effects[1]);
        Assert.Equal(new Effect.Finish(1), d.Effects.Last);
        Assert.Empty(JobLifecycle.Decide(d.State, new Command.ExitObserved(1)).Effects);
    }

    [Fact]
    public void The_exit_caused_by_our_own_stop_is_not_the_jobs_result()
    {
        var quitting = Decide(Running(), new Command.Quit(), new Command.GraceElapsed());

        var ended = JobLifecycle.Decide(quitting.State, new Command.ExitObserved(143));
        Assert.DoesNotContain(quitting.Effects.Then(ended.Effects), e => e is Effect.Finish);
        Assert.IsType<Effect.QuitExit>(ended.Effects.Last);
    }

    [Fact]
    public void Abort_journals_then_kills_removes_container_and_unused_image_and_exits()
    {
        var d = Decide(Running(), new Command.Abort());

        Assert.Equal(Intent.Abort, Assert.IsType<Effect.WriteJournal>(d.Effects[0]).Journal.Intent);
        Assert.Equal(
            new Effect[]
            {
                new Effect.KillContainer(TaskContainer), new Effect.RemoveContainer(TaskContainer),
                new Effect.RemoveImageIfUnused(TaskImage), new Effect.ExitAborted(),
            },
            d.Effects.Skip(1));
    }

    [Fact]
    public void An_unreachable_engine_while_running_is_a_temporary_exit()
    {
        var d = Decide(Running(), new Command.EngineUnreachable("timeout after 30s"));

        var exit = Assert.IsType<Effect.TemporaryExit>(Assert.Single(d.Effects));
        Assert.Contains("timeout after 30s", exit.Reason);
    }

    [Fact]
    public void Cpu_time_is_the_kept_work_plus_the_current_containers_counter_and_the_checkpoint_time_the_durable_generations()
    {
        var d = Decide(Running(), new Command.CpuSampled(50));

        Assert.Equal(new Effect.ReportStatus(150, 100, ""), Assert.Single(d.Effects));
    }

    [Fact]
    public void An_older_or_repeated_commit_changes_nothing()
    {
        var s = Decide(Running(), new Command.CheckpointCommitted(new GenerationSummary(3, 1))).State;

        Assert.Empty(JobLifecycle.Decide(s, new Command.CheckpointCommitted(new GenerationSummary(3, 1))).Effects);
        Assert.Empty(JobLifecycle.Decide(s, new Command.CheckpointCommitted(new GenerationSummary(1, 1))).Effects);
    }
}
