using LanguageExt;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>
/// What happens to a wrapper: the outcomes of its effects (fed back by the interpreter), BOINC's messages,
/// signals, engine events, the clock's timers. Time never enters otherwise.
/// </summary>
public abstract record Command
{
    private Command() { }

    /// <summary>Recovery ran (the result of <see cref="Effect.RecoverStore"/>): the newest generation it verified durable.</summary>
    public sealed record StoreRecovered(StoreSummary Store) : Command;

    /// <summary>The slot's journal (None: missing or untrustworthy) and our container as the engine reports it (<see cref="Effect.ObserveWorld"/>).</summary>
    public sealed record WorldObserved(Option<Journal> Journal, Observation Observed) : Command;

    /// <summary>The engine reports a new state of our container (after create/start, or from its event stream).</summary>
    public sealed record EngineEvent(Observation Observed) : Command;

    /// <summary>
    /// The container stopped running: the engine's wait API returned, or our stop completed. <see cref="Observed"/>
    /// is the engine's view right after (with its <see cref="RunFacts"/>), which <see cref="ExitRule"/> reads.
    /// </summary>
    public sealed record ContainerEnded(Observation Observed) : Command;

    /// <summary>The app's checkpoint files are complete (done marker, rename into place, close, or quiescence): commit.</summary>
    public sealed record CheckpointDetected : Command;

    /// <summary>The store committed a generation, durably (the result of <see cref="Effect.CommitCheckpoint"/>).</summary>
    public sealed record CheckpointCommitted(GenerationSummary Generation) : Command;

    /// <summary>A commit did not happen (the previous generation stays intact): the result of <see cref="Effect.CommitCheckpoint"/>.</summary>
    public sealed record CheckpointNotCommitted(string Why) : Command;

    /// <summary>The engine's cumulative CPU counter of the current container, in nanoseconds.</summary>
    public sealed record CpuSampled(long ContainerNanos) : Command;

    public sealed record Suspend : Command;

    public sealed record Resume : Command;

    /// <summary>BOINC asks us to quit (the task will be resumed later); also SIGTERM, SIGINT and SIGHUP.</summary>
    public sealed record Quit : Command;

    /// <summary>The wait for a checkpoint after <see cref="Quit"/> ran out (<see cref="Effect.AwaitCheckpoint"/>).</summary>
    public sealed record GraceElapsed : Command;

    public sealed record Abort : Command;

    /// <summary>Shorthand for <see cref="ContainerEnded"/> with an exit of this code and no further facts.</summary>
    public sealed record ExitObserved(int Code) : Command;

    /// <summary>The BOINC client stopped answering (heartbeat lost, or its process ended): quit as the policy says.</summary>
    public sealed record ClientLost : Command;

    /// <summary>An engine call failed because no engine answers: a temporary exit, not a compute error.</summary>
    public sealed record EngineUnreachable(string Reason) : Command;

    /// <summary>
    /// An effect failed. <see cref="JobsFault"/>: the engine refused the job's container (a missing program, an
    /// image that cannot be built): it would refuse it every time, so that is a compute error reported once.
    /// Otherwise (a restore that failed, a disk problem) BOINC should retry later.
    /// </summary>
    public sealed record EffectFailed(string What, bool JobsFault) : Command;
}
