using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>The parts of effects that are not the engine's: the checkpoint store and BOINC (issues 3 and 5).</summary>
public interface ILifecycleHost
{
    /// <summary>Put generation <paramref name="number"/> back into WORKDIR.</summary>
    Task Restore(long number, CancellationToken ct);

    /// <summary>Commit the app's checkpoint files; the new generation, or None when there was nothing new.</summary>
    Task<Option<Generation>> Commit(CancellationToken ct);

    /// <summary>Ask the app to checkpoint now.</summary>
    Task RequestCheckpoint(CancellationToken ct);

    /// <summary>Wait up to <paramref name="grace"/> until the app's checkpoint is complete; false when it was not.</summary>
    Task<bool> AwaitCheckpoint(TimeSpan grace, CancellationToken ct);

    void ReportStatus(long cpuNanos, string message);
}

/// <summary>How running a batch of effects ended.</summary>
public abstract record RunOutcome(LifecycleState State)
{
    /// <summary>All effects ran; the wrapper keeps going with this state.</summary>
    public sealed record Continue(LifecycleState S) : RunOutcome(S);

    /// <summary>A last effect (Finish, TemporaryExit, QuitExit, ExitAborted): the wrapper must act on it and exit.</summary>
    public sealed record Terminal(LifecycleState S, Effect Effect) : RunOutcome(S);

    /// <summary>An engine error that is not temporary (bad parameters, build failure): the job cannot run as planned.</summary>
    public sealed record Failed(LifecycleState S, EngineError Error) : RunOutcome(S);
}

/// <summary>
/// The one interpreter of <see cref="Effect"/>s: runs them in order against the engine, the slot's journal and
/// the host, and feeds results back into <see cref="JobLifecycle.Decide"/> (the container's state after create
/// and start, a committed generation, an unreachable engine). Every effect is idempotent, so running a batch
/// again after a crash is safe.
/// </summary>
public sealed class EffectRunner(
    IEngine engine, ContainerSpec spec, string dockerfile, IReadOnlyList<string> command, string slot, ILifecycleHost host, TextWriter log)
{
    /// <summary>
    /// What a (re)started wrapper decides: reads the slot's journal, asks the engine about the container and
    /// decides with the store's newest generation. An engine that does not answer gives the temporary exit.
    /// </summary>
    public static async Task<StartDecision> Begin(
        IEngine engine, TaskFacts facts, string slot, StoreState store, TextWriter log, CancellationToken ct)
    {
        var read = JournalFile.Read(slot);
        read.Problem.Iter(p => log.WriteLine($"boinc-persist: ignoring the journal: {p}"));
        var observed = await engine.Inspect(facts.Container, ct).ConfigureAwait(false);
        return observed.Match(
            o => JobLifecycle.Start(new StartInput(facts, read.Journal, o, store)),
            e => JobLifecycle.StartWithoutEngine(facts, read.Journal, e.ToString()));
    }

    public async Task<RunOutcome> Run(LifecycleState state, Seq<Effect> effects, CancellationToken ct)
    {
        var queue = new Queue<Effect>(effects);
        while (queue.TryDequeue(out var effect))
        {
            if (effect is Effect.Finish or Effect.TemporaryExit or Effect.QuitExit or Effect.ExitAborted)
                return new RunOutcome.Terminal(state, effect);

            var result = await Execute(effect, ct).ConfigureAwait(false);
            if (result.Case is EngineError error)
            {
                if (!error.IsTemporary)
                    return new RunOutcome.Failed(state, error);
                var d = JobLifecycle.Decide(state, new Command.EngineUnreachable(error.ToString()));
                state = d.State;
                queue = new Queue<Effect>(d.Effects);
                continue;
            }

            if (result.Case is Option<Command> { IsSome: true } feedback)
            {
                var d = JobLifecycle.Decide(state, feedback.IfNone(() => throw new InvalidOperationException()));
                state = d.State;
                var rest = queue.ToArray();
                queue = new Queue<Effect>(d.Effects);
                foreach (var e in rest) queue.Enqueue(e);
            }
        }

        return new RunOutcome.Continue(state);
    }

    private async Task<Either<EngineError, Option<Command>>> Execute(Effect effect, CancellationToken ct)
    {
        var none = Option<Command>.None;
        switch (effect)
        {
            case Effect.BuildImage:
                return (await engine.EnsureImage(spec.Image, dockerfile, log, ct).ConfigureAwait(false)).Map(_ => none);
            case Effect.RestoreGeneration r:
                await host.Restore(r.Number, ct).ConfigureAwait(false);
                return none;
            case Effect.CreateContainer:
                return (await engine.Create(spec, command, ct).ConfigureAwait(false)).Map(_ => none);
            case Effect.StartContainer s:
                var started = await engine.Start(s.Name, ct).ConfigureAwait(false);
                if (started.Case is EngineError startError)
                    return startError;
                return (await engine.Inspect(s.Name, ct).ConfigureAwait(false))
                    .Map(o => Option<Command>.Some(new Command.EngineEvent(o)));
            case Effect.PauseContainer p:
                return (await engine.Pause(p.Name, ct).ConfigureAwait(false)).Map(_ => none);
            case Effect.UnpauseContainer u:
                return (await engine.Unpause(u.Name, ct).ConfigureAwait(false)).Map(_ => none);
            case Effect.StopContainer st:
                return (await engine.Stop(st.Name, st.Grace, ct).ConfigureAwait(false)).Map(_ => none);
            case Effect.KillContainer k:
                return (await engine.Kill(k.Name, ct).ConfigureAwait(false)).Map(_ => none);
            case Effect.RemoveContainer rm:
                return (await engine.Remove(rm.Name, ct).ConfigureAwait(false)).Map(_ => none);
            case Effect.RemoveImageIfUnused ri:
                return (await engine.RemoveImageIfUnused(ri.Tag, ct).ConfigureAwait(false)).Map(_ => none);
            case Effect.RequestCheckpoint:
                await host.RequestCheckpoint(ct).ConfigureAwait(false);
                return none;
            case Effect.AwaitCheckpoint a:
                var ready = await host.AwaitCheckpoint(a.Grace, ct).ConfigureAwait(false);
                return Option<Command>.Some(ready ? new Command.CheckpointDetected() : new Command.GraceElapsed());
            case Effect.CommitCheckpoint:
                var committed = await host.Commit(ct).ConfigureAwait(false);
                return committed.Map(g => (Command)new Command.CheckpointCommitted(g));
            case Effect.WriteJournal w:
                JournalFile.Write(slot, w.Journal);
                return none;
            case Effect.ReportStatus r:
                host.ReportStatus(r.CpuNanos, r.Message);
                return none;
            default:
                throw new InvalidOperationException($"no interpreter for {effect}");
        }
    }
}
