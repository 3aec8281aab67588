using System;
using LanguageExt;
using Boinc.Persist.Core.Config;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>
/// The wrapper's lifecycle as a pure decider. <see cref="Start"/> turns what a (re)started wrapper reads — the
/// journal, the engine's view of our container, the checkpoint store — into effects; <see cref="Decide"/> handles
/// everything after. Idempotence: a wrapper killed between any two effects and started again converges, because
/// every start decision depends only on durable facts (journal, engine, store), the journal is written before
/// the effect whose outcome it must explain (a stop, a finish, an abort), and every effect is a no-op when
/// already done.
/// </summary>
public static class JobLifecycle
{
    public static StartDecision Start(StartInput input)
    {
        var facts = input.Facts;
        // A journal of another task (BOINC reuses slots) says nothing about this one.
        var journal = input.Journal.Filter(j => j.Container == facts.Container).IfNone(Journal.New(facts.Container));

        if (journal.FinishedExitCode.Case is int code)
            return ReportFinishedAgain(facts, journal, input.Observed, code);
        if (journal.Intent == Intent.Abort)
            return CompleteAbort(facts, journal);

        return input.Observed switch
        {
            Observation.Absent => CreateFromNewest(StartCase.CreateFromNewest, facts, journal, input.Store, Seq<Effect>.Empty),
            Observation.Created c => Keep(StartCase.StartCreated, input, journal, c.Id, new Effect.StartContainer(facts.Container)),
            Observation.Running r => Keep(StartCase.ReattachRunning, input, journal, r.Id, Status(journal, "re-attached to the running container")),
            Observation.Paused p => Keep(StartCase.UnpausePaused, input, journal, p.Id, new Effect.UnpauseContainer(facts.Container)),
            Observation.Exited => CreateFromNewest(
                StartCase.RestartAfterUnrecordedExit, facts, journal, input.Store, Remove(facts)),
            Observation.Dead or Observation.Unknown => CreateFromNewest(
                StartCase.RecreateDeadOrUnknown, facts, journal, input.Store, Remove(facts)),
            _ => throw new InvalidOperationException($"unknown observation {input.Observed}"),
        };
    }

    /// <summary>The engine did not answer at start: BOINC should retry later. Nothing durable changes.</summary>
    public static StartDecision StartWithoutEngine(TaskFacts facts, Option<Journal> journal, string reason)
    {
        var j = journal.Filter(x => x.Container == facts.Container).IfNone(Journal.New(facts.Container));
        var state = new LifecycleState(facts, j, new Phase.Done(), 0);
        return new StartDecision(StartCase.EngineUnreachable, state, List(Unreachable(facts, reason)));
    }

    public static Decision Decide(LifecycleState state, Command command)
    {
        if (state.Phase is Phase.Done)
            return Same(state);

        var facts = state.Facts;
        var j = state.Journal;
        return command switch
        {
            Command.EngineEvent e => OnEngineEvent(state, e.Observed),
            Command.CheckpointDetected => new Decision(state, List<Effect>(new Effect.CommitCheckpoint())),
            Command.CheckpointCommitted c => OnCommitted(state, c.Generation),
            // The counter of one container only grows; a lower sample (the engine answers 0 for a container that
            // just exited) is no news, never a step back.
            Command.CpuSampled s => new Decision(
                state with { ContainerCpuNanos = Math.Max(state.ContainerCpuNanos, s.ContainerNanos) },
                List<Effect>(new Effect.ReportStatus(j.CpuBaseNanos + Math.Max(state.ContainerCpuNanos, s.ContainerNanos), ""))),
            Command.Suspend when state.Phase is Phase.Running && !facts.CanPause => NoPause(state),
            Command.Suspend when state.Phase is Phase.Running => new Decision(
                state with { Phase = new Phase.Suspended() }, List<Effect>(new Effect.PauseContainer(facts.Container))),
            Command.Resume when state.Phase is Phase.Suspended => new Decision(
                state with { Phase = new Phase.Running() }, List<Effect>(new Effect.UnpauseContainer(facts.Container))),
            Command.Quit or Command.ClientLost => OnQuit(state, command is Command.ClientLost),
            Command.GraceElapsed when state.Phase is Phase.Quitting => StopAndQuit(
                state, $"no new checkpoint within {facts.StopGrace.TotalSeconds:0.#}s; stopped at the last committed generation"),
            Command.Abort => OnAbort(state),
            Command.ExitObserved x => OnExit(state, x.Code),
            Command.EngineUnreachable u => new Decision(
                state with { Phase = new Phase.Done() }, List(Unreachable(facts, u.Reason))),
            _ => Same(state),
        };
    }

    private static StartDecision ReportFinishedAgain(TaskFacts facts, Journal journal, Observation observed, int code)
    {
        var effects = observed is Observation.Absent ? Seq<Effect>.Empty : Remove(facts);
        effects = effects.Add(Status(journal, $"the job already finished with exit code {code}; reporting it again"))
            .Add(new Effect.Finish(code));
        return new StartDecision(StartCase.ReportFinishedAgain, new LifecycleState(facts, journal, new Phase.Done(), 0), effects);
    }

    private static StartDecision CompleteAbort(TaskFacts facts, Journal journal)
    {
        var state = new LifecycleState(facts, journal, new Phase.Done(), 0);
        return new StartDecision(StartCase.CompleteAbort, state, AbortEffects(facts));
    }

    private static StartDecision CreateFromNewest(
        StartCase why, TaskFacts facts, Journal journal, StoreState store, Seq<Effect> before)
    {
        var newest = store.Latest;
        var next = journal with
        {
            ContainerId = Option<string>.None,
            CommittedGeneration = newest.Map(g => g.Number),
            CpuBaseNanos = newest.Map(g => g.CpuNanos).IfNone(0),
            BootId = facts.BootId,
            Intent = Intent.Run,
        };
        var restore = newest.Map(g => (Effect)new Effect.RestoreGeneration(g.Number)).ToSeq();
        var effects = before
            .Add(new Effect.BuildImage(facts.ImageTag))
            .Then(restore)
            .Add(new Effect.WriteJournal(next))
            .Add(new Effect.CreateContainer(facts.Container, facts.ImageTag))
            .Add(new Effect.StartContainer(facts.Container))
            .Add(Status(next, newest.Match(
                g => $"started from committed generation {g.Number}",
                () => "started from the beginning (no committed generation)")));
        return new StartDecision(why, new LifecycleState(facts, next, new Phase.Running(), 0), effects);
    }

    /// <summary>
    /// The container survives: record its id and boot, catch up with a commit the journal missed (we died between
    /// commit and journal write), go back to wanting it to run, then <paramref name="effect"/>.
    /// </summary>
    private static StartDecision Keep(StartCase why, StartInput input, Journal journal, string id, Effect effect)
    {
        var facts = input.Facts;
        var committed = input.Store.Latest.Map(g => g.Number);
        var generation = committed.IsSome && committed.IfNone(0) > journal.CommittedGeneration.IfNone(-1)
            ? committed
            : journal.CommittedGeneration;
        var next = journal with { ContainerId = id, BootId = facts.BootId, Intent = Intent.Run, CommittedGeneration = generation };
        var write = next == journal ? Seq<Effect>.Empty : List<Effect>(new Effect.WriteJournal(next));
        return new StartDecision(why, new LifecycleState(facts, next, new Phase.Running(), 0), write.Add(effect));
    }

    private static Decision OnEngineEvent(LifecycleState state, Observation observed) => observed switch
    {
        Observation.Exited x => OnExit(state, x.Code),
        Observation.Created c => Record(state, c.Id),
        Observation.Running r => Record(state, r.Id),
        Observation.Paused p => Record(state, p.Id),
        // Removed or broken under our feet while we run (someone ran docker rm, the daemon lost it): the next
        // start recovers from the newest generation; exit now and let BOINC restart us.
        Observation.Absent or Observation.Dead or Observation.Unknown => new Decision(
            state with { Phase = new Phase.Done() },
            List<Effect>(new Effect.TemporaryExit(state.Facts.RetryDelay, $"the container disappeared or broke ({Describe(observed)}); restarting from the last committed generation"))),
        _ => Same(state),
    };

    private static Decision Record(LifecycleState state, string id)
    {
        if (state.Journal.ContainerId.Case is string known && known == id)
            return Same(state);
        var next = state.Journal with { ContainerId = id };
        return new Decision(state with { Journal = next }, List<Effect>(new Effect.WriteJournal(next)));
    }

    private static Decision OnCommitted(LifecycleState state, Generation g)
    {
        var newer = state.Journal.CommittedGeneration.Map(n => g.Number > n).IfNone(true);
        if (!newer)
            return Same(state);
        var next = state.Journal with { CommittedGeneration = g.Number };
        var recorded = state with { Journal = next };
        if (state.Phase is Phase.Quitting)
            return StopAndQuit(recorded, $"checkpoint generation {g.Number} committed; container stopped");
        return new Decision(recorded, List<Effect>(new Effect.WriteJournal(next)));
    }

    private static Decision OnQuit(LifecycleState state, bool clientLost)
    {
        var facts = state.Facts;
        var who = clientLost ? "the BOINC client is gone" : "the BOINC client asked us to quit";
        if (facts.QuitPolicy == QuitPolicy.Pause && facts.CanPause)
            return new Decision(state with { Phase = new Phase.Done() }, List<Effect>(
                new Effect.PauseContainer(facts.Container),
                new Effect.QuitExit($"{who}: container paused (quit_policy = \"pause\")")));
        if (state.Phase is Phase.Suspended)
            return StopAndQuit(state, $"{who} while suspended; stopped at the last committed generation");
        if (state.Phase is Phase.Quitting)
            return Same(state);
        return new Decision(
            state with { Phase = new Phase.Quitting(state.Journal.CommittedGeneration) },
            List<Effect>(new Effect.RequestCheckpoint(), new Effect.AwaitCheckpoint(facts.StopGrace)));
    }

    /// <summary>
    /// A suspend where the engine cannot pause: the quit policy's checkpoint-and-stop, announced, so the job
    /// leaves memory with its work committed (BOINC starts it again after the resume).
    /// </summary>
    private static Decision NoPause(LifecycleState state)
    {
        var quit = OnQuit(state, clientLost: false);
        var note = new Effect.ReportStatus(
            state.Journal.CpuBaseNanos + state.ContainerCpuNanos,
            "suspend requested, but this engine cannot pause containers (rootless Podman on cgroup v1): " +
            "checkpointing and stopping the job instead, as the quit policy does");
        return quit with { Effects = note.Cons<Effect>(quit.Effects) };
    }

    /// <summary>Journal first (so the exit that follows is known to be ours), then stop, then quit.</summary>
    private static Decision StopAndQuit(LifecycleState state, string reason)
    {
        var next = state.Journal with { Intent = Intent.Stop };
        return new Decision(state with { Journal = next, Phase = new Phase.Done() }, List<Effect>(
            new Effect.WriteJournal(next),
            new Effect.StopContainer(state.Facts.Container, state.Facts.StopGrace),
            new Effect.QuitExit(reason)));
    }

    private static Decision OnAbort(LifecycleState state)
    {
        var next = state.Journal with { Intent = Intent.Abort };
        return new Decision(state with { Journal = next, Phase = new Phase.Done() },
            List<Effect>(new Effect.WriteJournal(next)).Then(AbortEffects(state.Facts)));
    }

    private static Seq<Effect> AbortEffects(TaskFacts facts) => List<Effect>(
        new Effect.KillContainer(facts.Container),
        new Effect.RemoveContainer(facts.Container),
        new Effect.RemoveImageIfUnused(facts.ImageTag),
        new Effect.ExitAborted());

    /// <summary>The job's own exit (we did not stop it): record the result before anything can lose it.</summary>
    private static Decision OnExit(LifecycleState state, int code)
    {
        if (state.Journal.Intent != Intent.Run)
            return Same(state);
        var next = state.Journal with { FinishedExitCode = code };
        return new Decision(state with { Journal = next, Phase = new Phase.Done() }, List<Effect>(
            new Effect.WriteJournal(next),
            new Effect.RemoveContainer(state.Facts.Container),
            Status(next, $"the job exited with code {code}"),
            new Effect.Finish(code)));
    }

    private static Effect Unreachable(TaskFacts facts, string reason) =>
        new Effect.TemporaryExit(facts.RetryDelay, $"container engine unreachable: {reason}");

    private static Seq<Effect> Remove(TaskFacts facts) => List<Effect>(new Effect.RemoveContainer(facts.Container));

    private static Effect Status(Journal j, string message) => new Effect.ReportStatus(j.CpuBaseNanos, message);

    private static string Describe(Observation o) => o switch
    {
        Observation.Absent => "absent",
        Observation.Dead d => $"dead {d.Id}",
        Observation.Unknown u => $"{u.Status} {u.Id}",
        _ => o.ToString(),
    };

    private static Decision Same(LifecycleState state) => new(state, Seq<Effect>.Empty);

    private static Seq<T> List<T>(params T[] items) => items.ToSeq();
}
