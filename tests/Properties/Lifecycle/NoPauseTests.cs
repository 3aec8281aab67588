using System;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using LanguageExt;
using Xunit;
using static Boinc.Persist.Properties.Generators;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>
/// Where the engine cannot pause (rootless Podman on cgroup v1), a suspend and the quit policy "pause" fall back
/// to checkpoint-and-stop, saying so; nothing ever asks the engine to pause.
/// </summary>
public class NoPauseTests
{
    private static LifecycleState Running(QuitPolicy policy, bool canPause) =>
        Drive.Started(Facts(policy) with { CanPause = canPause }, new StoreSummary(new GenerationSummary(2, 100))).State;

    [Fact]
    public void A_suspend_without_pause_asks_for_a_checkpoint_and_says_why()
    {
        var d = JobLifecycle.Decide(Running(QuitPolicy.CheckpointAndStop, canPause: false), new Command.Suspend());

        Assert.Contains("cannot pause", Assert.IsType<Effect.ReportStatus>(d.Effects[0]).Message);
        Assert.Equal(new Effect[] { new Effect.RequestCheckpoint(), new Effect.AwaitCheckpoint(TimeSpan.FromSeconds(20)) }, d.Effects.Skip(2));
        Assert.IsType<Phase.Quitting>(d.State.Phase);
    }

    [Fact]
    public void Then_the_commit_stops_the_container_and_quits()
    {
        var s = JobLifecycle.Decide(Running(QuitPolicy.CheckpointAndStop, canPause: false), new Command.Suspend()).State;

        var d = JobLifecycle.Decide(s, new Command.CheckpointCommitted(new GenerationSummary(3, 200)));

        Assert.IsType<Effect.StopContainer>(d.Effects[1]);
        Assert.IsType<Effect.QuitExit>(JobLifecycle.Decide(d.State, new Command.ContainerEnded(new Observation.Exited("c1", 143))).Effects.Last);
    }

    [Fact]
    public void The_pause_quit_policy_without_pause_checkpoints_and_stops()
    {
        var d = JobLifecycle.Decide(Running(QuitPolicy.Pause, canPause: false), new Command.Quit());

        Assert.Equal(new Effect[] { new Effect.RequestCheckpoint(), new Effect.AwaitCheckpoint(TimeSpan.FromSeconds(20)) }, d.Effects.Skip(1));
    }

    [Fact]
    public void No_command_sequence_pauses_when_the_engine_cannot()
    {
        var commands = new Command[]
        {
            new Command.Suspend(), new Command.Resume(), new Command.Quit(), new Command.ClientLost(),
            new Command.GraceElapsed(), new Command.CheckpointCommitted(new GenerationSummary(3, 300)),
        };
        foreach (var policy in new[] { QuitPolicy.CheckpointAndStop, QuitPolicy.Pause })
        {
            // Every sequence of up to three commands from a running task.
            foreach (var a in commands)
            foreach (var b in commands)
            foreach (var c in commands)
            {
                var s = Running(policy, canPause: false);
                foreach (var cmd in new[] { a, b, c })
                {
                    var d = JobLifecycle.Decide(s, cmd);
                    Assert.DoesNotContain(d.Effects, e => e is Effect.PauseContainer);
                    s = d.State;
                }
            }
        }
    }

    [Fact]
    public void With_pause_a_suspend_still_pauses()
    {
        var d = JobLifecycle.Decide(Running(QuitPolicy.CheckpointAndStop, canPause: true), new Command.Suspend());

        Assert.Equal(new Effect[] { new Effect.PauseContainer(TaskContainer) }, d.Effects);
    }
}
