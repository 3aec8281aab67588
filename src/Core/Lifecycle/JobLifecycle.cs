using System;
using LanguageExt;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Protocol;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>
/// The wrapper's lifecycle as a pure decider: every crash-relevant decision of the wrapper is taken here.
/// <see cref="Begin"/> starts a wrapper run (recovery first, then the observation); <see cref="Decide"/> turns
/// each command (an effect's outcome, a BOINC message, a signal, an engine event, a timer) into the next state
/// and the effects to run. The shell's interpreter runs effects and feeds their outcomes back as commands; it
/// decides nothing. Idempotence: a wrapper killed between any two effects and started again converges, because
/// the start decision depends only on durable facts (journal, engine, store), the journal is written before the
/// effect whose outcome it must explain (a stop, a finish, an abort), and every effect is a no-op when done.
/// </summary>
public static partial class JobLifecycle
{
    /// <summary>A wrapper run begins: recovery of the store before anything is decided, then the observation.</summary>
    public static Decision Begin(TaskFacts facts) =>
        new(new LifecycleState(facts, Journal.New(facts.Container), Starting(Seq<Command>.Empty), 0),
            List<Effect>(new Effect.RecoverStore(), new Effect.ObserveWorld()));

    public static Decision Decide(LifecycleState state, Command command)
    {
        if (state.Phase is Phase.Done)
            return Same(state);
        if (state.Phase is Phase.Starting starting)
            return WhileStarting(state, starting, command);

        var facts = state.Facts;
        return command switch
        {
            Command.EngineEvent e => OnEngineEvent(state, e.Observed),
            Command.ContainerEnded e => OnEnded(state, e.Observed),
            Command.ExitObserved x => OnEnded(state, new Observation.Exited("", x.Code)),
            Command.CheckpointDetected when facts.Checkpoints && state.Phase is Phase.Running or Phase.Suspended or Phase.Quitting =>
                new Decision(state, List<Effect>(Commit(state))),
            Command.CheckpointCommitted c => OnCommitted(state, c.Generation),
            Command.CheckpointNotCommitted when state.Phase is Phase.Stopping { FinalCommit: true } s =>
                Quit(state, s.Reason),
            // The counter of one container only grows; a lower sample (the engine answers 0 for a container that
            // just exited) is no news, never a step back.
            Command.CpuSampled s => OnCpu(state, s.ContainerNanos),
            Command.Suspend when state.Phase is Phase.Running && !facts.CanPause => NoPause(state),
            Command.Suspend when state.Phase is Phase.Running => new Decision(
                state with { Phase = new Phase.Suspended() }, List<Effect>(new Effect.PauseContainer(facts.Container))),
            Command.Resume when state.Phase is Phase.Suspended => new Decision(
                state with { Phase = new Phase.Running() }, List<Effect>(new Effect.UnpauseContainer(facts.Container))),
            Command.Quit or Command.ClientLost => OnQuit(state, command is Command.ClientLost),
            Command.GraceElapsed when state.Phase is Phase.Quitting => StopAndQuit(
                state, $"no new checkpoint within {facts.Budget.CheckpointWait.TotalSeconds:0.#}s; stopped at the last committed generation"),
            Command.Abort => OnAbort(state),
            Command.EngineUnreachable u => Exit(state, Unreachable(facts, u.Reason)),
            Command.EffectFailed f => OnFailed(state, f),
            _ => Same(state),
        };
    }

    private static Phase.Starting Starting(Seq<Command> deferred) =>
        new(Option<StoreSummary>.None, Option<Command.WorldObserved>.None, deferred);

    /// <summary>
    /// Nothing is decided before recovery and the observation are both in. BOINC's messages wait; an abort, an
    /// unreachable engine and a failed effect act at once (they need nothing from the start decision).
    /// </summary>
    private static Decision WhileStarting(LifecycleState state, Phase.Starting starting, Command command)
    {
        switch (command)
        {
            case Command.StoreRecovered r:
                return MaybeStart(state, starting with { Store = r.Store });
            case Command.WorldObserved w:
                return MaybeStart(state, starting with { World = w });
            case Command.Quit or Command.ClientLost or Command.Suspend or Command.Resume:
                return new Decision(state with { Phase = starting with { Deferred = starting.Deferred.Add(command) } }, Seq<Effect>.Empty);
            case Command.Abort:
                return OnAbort(state with { Journal = starting.World.Bind(w => w.Journal).Filter(j => j.Container == state.Facts.Container).IfNone(state.Journal) });
            case Command.EngineUnreachable u:
                return Exit(state, Unreachable(state.Facts, u.Reason));
            case Command.EffectFailed f:
                return OnFailed(state, f);
            default:
                return Same(state);
        }
    }

    private static Decision MaybeStart(LifecycleState state, Phase.Starting starting)
    {
        if (starting.Store.Case is not StoreSummary store || starting.World.Case is not Command.WorldObserved world)
            return new Decision(state with { Phase = starting }, Seq<Effect>.Empty);
        var started = Start(new StartInput(state.Facts, world.Journal, world.Observed, store));
        var decision = new Decision(started.State with { Restarts = state.Restarts },
            Status(started.State, $"start: {Describe(started.Case)}").Cons(started.Effects));
        // BOINC's messages that arrived meanwhile, in order, as if they came now.
        foreach (var deferred in starting.Deferred)
        {
            var next = Decide(decision.State, deferred);
            decision = new Decision(next.State, decision.Effects.Then(next.Effects));
        }

        return decision;
    }

    private static Decision OnEngineEvent(LifecycleState state, Observation observed) => observed switch
    {
        Observation.Created c => Record(state, c.Id),
        Observation.Running r => Record(state, r.Id),
        Observation.Paused p => Record(state, p.Id),
        _ => OnEnded(state, observed),
    };

    /// <summary>The container no longer runs. What that means depends on where we are, and on <see cref="ExitRule"/>.</summary>
    private static Decision OnEnded(LifecycleState state, Observation observed)
    {
        var facts = state.Facts;
        switch (state.Phase)
        {
            case Phase.Stopping { FinalCommit: false } s:
                // Our stop ended it. An app that exited cleanly on the stop signal may have written a last checkpoint.
                return observed is Observation.Exited { Code: 0 } && facts.Checkpoints
                    ? new Decision(state with { Phase = s with { FinalCommit = true } }, List<Effect>(Commit(state)))
                    : Quit(state, s.Reason);
            case Phase.Stopping:
                return Same(state);
            case Phase.Quitting:
            {
                // While BOINC wants us to quit, whatever ends the container is part of quitting, never the job's
                // result. The journal says Stop first, so the next start does not take the exit for a result.
                var next = state.Journal with { Intent = Intent.Stop };
                var stopping = state with { Journal = next, Phase = new Phase.Stopping($"the container ended while quitting ({Describe(observed)})", false) };
                var rest = OnEnded(stopping, observed);
                return rest with { Effects = new Effect.WriteJournal(next).Cons<Effect>(rest.Effects) };
            }
        }

        if (observed is Observation.Created or Observation.Running or Observation.Paused)
            return Same(state);
        var end = observed is Observation.Exited x
            ? ExitRule.Classify(x.Code, x.Run, state.Journal.Intent, facts.HostBoot, watched: true)
            : new ContainerEnd.Killed($"the container disappeared or broke ({Describe(observed)})");
        return end switch
        {
            ContainerEnd.OwnExit own => OnOwnExit(state, own.Code),
            ContainerEnd.Killed k when state.Phase is Phase.Suspended => Exit(state, new Effect.TemporaryExit(facts.RetryDelay,
                $"{k.Why} while the task was suspended; BOINC starts it again from the last committed generation")),
            ContainerEnd.Killed k => RestartLost(state, k.Why),
            _ => Same(state),
        };
    }

    /// <summary>The job's own exit (we did not stop it): record the result before anything can lose it.</summary>
    private static Decision OnOwnExit(LifecycleState state, int code)
    {
        if (state.Journal.Intent != Intent.Run)
            return Same(state);
        var next = state.Journal with { FinishedExitCode = code };
        var done = state with { Journal = next, Phase = new Phase.Done() };
        return new Decision(done, List<Effect>(
            new Effect.WriteJournal(next),
            new Effect.RemoveContainer(state.Facts.Container),
            Status(done, $"the job exited with code {code}"),
            new Effect.Finish(code)));
    }

    /// <summary>A killed or lost container: start again (recovery first), within the in-process budget.</summary>
    private static Decision RestartLost(LifecycleState state, string why)
    {
        if (state.Restarts >= state.Facts.MaxRestarts)
            return Exit(state, new Effect.TemporaryExit(state.Facts.RetryDelay,
                $"{why}; the container was replaced {state.Restarts} time(s) in this run already: leaving it to BOINC"));
        var restarts = state.Restarts + 1;
        return new Decision(
            state with { Phase = Starting(Seq<Command>.Empty), Restarts = restarts, ContainerCpuNanos = 0 },
            List<Effect>(
                Status(state, $"{why}; recovering and starting again ({restarts} of {state.Facts.MaxRestarts} in this run)"),
                new Effect.RecoverStore(),
                new Effect.ObserveWorld()));
    }

    private static Decision Record(LifecycleState state, string id)
    {
        if (state.Journal.ContainerId.Case is string known && known == id)
            return Same(state);
        var next = state.Journal with { ContainerId = id };
        return new Decision(state with { Journal = next }, List<Effect>(new Effect.WriteJournal(next)));
    }

    private static Decision OnCpu(LifecycleState state, long nanos)
    {
        var next = state with { ContainerCpuNanos = Math.Max(state.ContainerCpuNanos, nanos) };
        return new Decision(next, List<Effect>(Status(next, "")));
    }

    private static Decision OnCommitted(LifecycleState state, GenerationSummary g)
    {
        var newer = state.Journal.CommittedGeneration.Map(n => g.Number > n).IfNone(true);
        if (!newer)
            return state.Phase is Phase.Stopping { FinalCommit: true } stale ? Quit(state, stale.Reason) : Same(state);
        var next = state.Journal with { CommittedGeneration = g.Number };
        var recorded = state with
        {
            Journal = next,
            Durable = g,
            ContainerCpuNanos = Math.Max(state.ContainerCpuNanos, g.CpuNanos - state.Journal.CpuBaseNanos),
        };
        return recorded.Phase switch
        {
            Phase.Quitting => StopAndQuit(recorded, $"checkpoint generation {g.Number} committed; container stopped"),
            Phase.Stopping s => Quit(recorded, $"{s.Reason}; its last checkpoint committed as generation {g.Number}", List<Effect>(new Effect.WriteJournal(next))),
            _ => new Decision(recorded, List<Effect>(new Effect.WriteJournal(next), Status(recorded, ""))),
        };
    }

    private static Decision OnQuit(LifecycleState state, bool clientLost)
    {
        var facts = state.Facts;
        var who = clientLost ? "the BOINC client is gone" : "the BOINC client asked us to quit";
        if (facts.QuitPolicy == QuitPolicy.Pause && facts.CanPause)
            return Exit(state, List<Effect>(
                new Effect.PauseContainer(facts.Container),
                new Effect.QuitExit($"{who}: container paused (quit_policy = \"pause\")")));
        if (state.Phase is Phase.Suspended)
            return StopAndQuit(state, $"{who} while suspended; stopped at the last committed generation");
        if (state.Phase is not Phase.Running)
            return Same(state);
        if (!facts.Checkpoints || facts.Budget.CheckpointWait <= TimeSpan.Zero)
            return StopAndQuit(state, $"{who}; no checkpoint to wait for");
        return new Decision(
            state with { Phase = new Phase.Quitting(state.Journal.CommittedGeneration) },
            List<Effect>(
                Status(state, $"{who}: asking the app for a checkpoint, waiting up to {facts.Budget.CheckpointWait.TotalSeconds:0.#}s, then stopping it (stop_grace {facts.Budget.Total.TotalSeconds:0.#}s in all)"),
                new Effect.RequestCheckpoint(),
                new Effect.AwaitCheckpoint(facts.Budget.CheckpointWait)));
    }

    /// <summary>
    /// A suspend where the engine cannot pause: the quit policy's checkpoint-and-stop, announced, so the job
    /// leaves memory with its work committed (BOINC starts it again after the resume).
    /// </summary>
    private static Decision NoPause(LifecycleState state)
    {
        var quit = OnQuit(state, clientLost: false);
        var note = Status(state,
            "suspend requested, but this engine cannot pause containers (rootless Podman on cgroup v1): " +
            "checkpointing and stopping the job instead, as the quit policy does");
        return quit with { Effects = note.Cons(quit.Effects) };
    }

    /// <summary>Journal first (so the exit that follows is known to be ours), then stop; the quit follows its end.</summary>
    private static Decision StopAndQuit(LifecycleState state, string reason)
    {
        var next = state.Journal with { Intent = Intent.Stop };
        var effects = List<Effect>(new Effect.WriteJournal(next));
        // A frozen container cannot act on the stop signal: thaw it so its init does.
        if (state.Phase is Phase.Suspended)
            effects = effects.Add(new Effect.UnpauseContainer(state.Facts.Container));
        return new Decision(
            state with { Journal = next, Phase = new Phase.Stopping(reason, false) },
            effects.Add(new Effect.StopContainer(state.Facts.Container, state.Facts.Budget.StopTimeout)));
    }

    private static Effect Commit(LifecycleState s) => new Effect.CommitCheckpoint(s.Journal.CpuBaseNanos, s.ContainerCpuNanos);

    private static Decision Quit(LifecycleState state, string reason) => Quit(state, reason, Seq<Effect>.Empty);

    private static Decision Quit(LifecycleState state, string reason, Seq<Effect> before) =>
        Exit(state, before.Add(Status(state, "")).Add(new Effect.QuitExit(reason)));

    private static Decision OnAbort(LifecycleState state)
    {
        var next = state.Journal with { Intent = Intent.Abort };
        return Exit(state with { Journal = next }, List<Effect>(new Effect.WriteJournal(next)).Then(AbortEffects(state.Facts)));
    }

    /// <summary>
    /// A refusal the engine would repeat every time is the job's result, journaled like an exit so every later
    /// start reports it again; anything else is for BOINC to retry.
    /// </summary>
    private static Decision OnFailed(LifecycleState state, Command.EffectFailed f)
    {
        if (!f.JobsFault)
            return Exit(state, new Effect.TemporaryExit(state.Facts.RetryDelay, f.What));
        var next = state.Journal with { FinishedExitCode = ExitCodes.JobFailed };
        return Exit(state with { Journal = next }, List<Effect>(
            new Effect.WriteJournal(next),
            new Effect.RemoveContainer(state.Facts.Container),
            Status(state, f.What),
            new Effect.Finish(ExitCodes.JobFailed)));
    }

    private static Seq<Effect> AbortEffects(TaskFacts facts) => List<Effect>(
        new Effect.KillContainer(facts.Container),
        new Effect.RemoveContainer(facts.Container),
        new Effect.RemoveImageIfUnused(facts.ImageTag),
        new Effect.ExitAborted());

    private static Decision Exit(LifecycleState state, Effect last) => Exit(state, List(last));

    private static Decision Exit(LifecycleState state, Seq<Effect> effects) =>
        new(state with { Phase = new Phase.Done() }, effects);

    private static Effect Unreachable(TaskFacts facts, string reason) =>
        new Effect.TemporaryExit(facts.RetryDelay, $"container engine unreachable: {reason}");

    private static Seq<Effect> Remove(TaskFacts facts) => List<Effect>(new Effect.RemoveContainer(facts.Container));

    private static Effect Status(LifecycleState s, string message) => new Effect.ReportStatus(s.CpuNanos, s.CheckpointCpuNanos, message);

    private static string Describe(Observation o) => o switch
    {
        Observation.Absent => "absent",
        Observation.Exited x => $"exited with {x.Code}",
        Observation.Dead d => $"dead {d.Id}",
        Observation.Unknown u => $"{u.Status} {u.Id}",
        _ => o.GetType().Name.ToLowerInvariant(),
    };

    private static Decision Same(LifecycleState state) => new(state, Seq<Effect>.Empty);

    private static Seq<T> List<T>(params T[] items) => items.ToSeq();
}
