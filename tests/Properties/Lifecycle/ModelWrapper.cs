using System.Collections.Generic;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using LanguageExt;
using static Boinc.Persist.Properties.Generators;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>
/// Plays a crash story against <see cref="ModelWorld"/> with the real decider: the live wrapper's state exists
/// only in memory and is lost at every kill; a restart rebuilds it from the world alone.
/// </summary>
public sealed class ModelWrapper(ModelWorld world, QuitPolicy policy)
{
    private Option<LifecycleState> live;

    public bool Alive => live.IsSome;

    public List<string> Story { get; } = new();

    public void Play(Step step)
    {
        Story.Add(step.Describe());
        switch (step)
        {
            case Step.Restart r: if (!Alive) Restart(r.KillAfter); break;
            case Step.Checkpoint c: Deliver(new Command.CheckpointDetected(), c.KillAfter); break;
            case Step.Suspend s: Deliver(new Command.Suspend(), s.KillAfter); break;
            case Step.Resume s: Deliver(new Command.Resume(), s.KillAfter); break;
            case Step.Quit q: Deliver(new Command.Quit(), q.KillAfter); break;
            case Step.Abort a: Deliver(new Command.Abort(), a.KillAfter); break;
            case Step.JobExits x:
                if (world.Container is { Status: "running" })
                {
                    world.JobExits(x.Code);
                    Deliver(new Command.ExitObserved(x.Code), x.KillAfter);
                }

                break;
            case Step.DaemonRestart:
                world.DaemonRestart();
                live = Option<LifecycleState>.None;
                break;
            case Step.HostReboot:
                world.HostReboot();
                live = Option<LifecycleState>.None;
                break;
            case Step.ContainerRemoved:
                world.RemoveContainer();
                Deliver(new Command.EngineEvent(new Observation.Absent()), -1);
                break;
            case Step.EngineDown d:
                world.EngineUp = false;
                Deliver(new Command.EngineUnreachable("model engine down"), d.KillAfter);
                world.EngineUp = true;
                break;
        }
    }

    /// <summary>kill -9 of the wrapper: its memory is gone, the world stays.</summary>
    public void Kill() => live = Option<LifecycleState>.None;

    /// <summary>Start the wrapper as BOINC would and run its start effects (killed after <paramref name="killAfter"/>).</summary>
    public StartDecision Restart(int killAfter = -1)
    {
        var decision = JobLifecycle.Start(new StartInput(
            Facts(policy, world.BootId) with { HostBoot = world.BootTime }, world.Journal, world.Observe(), world.StoreState()));
        Run(decision.State, decision.Effects, killAfter);
        return decision;
    }

    private void Deliver(Command command, int killAfter)
    {
        if (live.Case is LifecycleState state)
        {
            var d = JobLifecycle.Decide(state, command);
            Run(d.State, d.Effects, killAfter);
        }
    }

    private void Run(LifecycleState state, Seq<Effect> effects, int killAfter)
    {
        var queue = new LinkedList<Effect>(effects);
        CheckTerminalLast(effects);
        var done = 0;
        while (queue.First is { } node)
        {
            if (killAfter >= 0 && done == killAfter)
            {
                live = Option<LifecycleState>.None;
                Story.Add("  killed");
                return;
            }

            queue.RemoveFirst();
            var effect = node.Value;
            done++;
            if (effect is Effect.Finish or Effect.TemporaryExit or Effect.QuitExit or Effect.ExitAborted)
            {
                world.Execute(effect);
                live = Option<LifecycleState>.None;
                return;
            }

            var feedback = world.Execute(effect);
            if (feedback.Case is Command command)
            {
                if (command is Command.EngineUnreachable)
                    queue.Clear();
                var d = JobLifecycle.Decide(state, command);
                CheckTerminalLast(d.Effects);
                state = d.State;
                var at = queue.First;
                foreach (var e in d.Effects)
                {
                    if (at is null) queue.AddLast(e);
                    else queue.AddBefore(at, e);
                }
            }
        }

        live = state;
    }

    private void CheckTerminalLast(Seq<Effect> effects)
    {
        for (var i = 0; i < effects.Count - 1; i++)
        {
            if (effects[i] is Effect.Finish or Effect.TemporaryExit or Effect.QuitExit or Effect.ExitAborted)
                world.Violations.Add($"terminal effect {effects[i]} is not last");
        }
    }
}
