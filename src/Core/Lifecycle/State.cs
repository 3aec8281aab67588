using LanguageExt;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>Where the running wrapper is. A closed union.</summary>
public abstract record Phase
{
    private Phase() { }

    /// <summary>
    /// (Re)starting: recovery and the observation of journal and engine are under way; nothing is decided until both
    /// are in. BOINC's messages that arrive meanwhile wait in <see cref="Deferred"/>.
    /// </summary>
    public sealed record Starting(Option<StoreSummary> Store, Option<Command.WorldObserved> World, Seq<Command> Deferred) : Phase;

    /// <summary>The container runs (or was just created and started).</summary>
    public sealed record Running : Phase;

    /// <summary>BOINC suspended the task: the container is paused.</summary>
    public sealed record Suspended : Phase;

    /// <summary>Quit asked with checkpoint-and-stop: waiting for a generation newer than <see cref="Baseline"/>.</summary>
    public sealed record Quitting(Option<long> Baseline) : Phase;

    /// <summary>
    /// Our stop is under way (the journal says Stop); when the container has ended, a last commit if it exited
    /// cleanly (<see cref="FinalCommit"/> once asked), then quit with <see cref="Reason"/>.
    /// </summary>
    public sealed record Stopping(string Reason, bool FinalCommit) : Phase;

    /// <summary>A last effect (finish, temporary exit, quit, abort) was emitted: nothing more happens.</summary>
    public sealed record Done : Phase;
}

/// <summary>
/// The lifecycle's state: the task's facts, the journal as last written, the phase, the current container's CPU,
/// the newest generation known durable (recovered or acknowledged by a commit) and the containers replaced so far.
/// </summary>
public sealed record LifecycleState(TaskFacts Facts, Journal Journal, Phase Phase, long ContainerCpuNanos)
{
    public Option<GenerationSummary> Durable { get; init; } = Option<GenerationSummary>.None;

    public int Restarts { get; init; }

    public long CpuNanos => Journal.CpuBaseNanos + ContainerCpuNanos;

    /// <summary>BOINC's checkpoint CPU time: that of the newest durable generation, never of an unverified one.</summary>
    public long CheckpointCpuNanos => Durable.Map(g => g.CpuNanos).IfNone(0);
}

/// <summary>The named decisions taken at start (each one a tested case).</summary>
public enum StartCase
{
    /// <summary>The journal records the job's exit code: report it again, never re-run.</summary>
    ReportFinishedAgain,

    /// <summary>The journal records an abort we did not finish: complete it.</summary>
    CompleteAbort,

    /// <summary>No container: restore the newest generation, create, start.</summary>
    CreateFromNewest,

    /// <summary>Created but never started: start it.</summary>
    StartCreated,

    /// <summary>Running: re-attach and keep it running (docker_wrapper would kill and restart it).</summary>
    ReattachRunning,

    /// <summary>Paused (our quit policy "pause", or a suspend before we died): unpause it.</summary>
    UnpausePaused,

    /// <summary>The job exited on its own while no wrapper watched (see <see cref="ExitRule"/>): record and report its result, never re-run.</summary>
    FinishedWhileAway,

    /// <summary>Killed while no wrapper watched (signal, OOM, engine stop, host reboot), or our own stop: recover, start again.</summary>
    RestartAfterUnrecordedExit,

    /// <summary>Dead, removing, or a status we do not know: remove and recreate from the newest generation.</summary>
    RecreateDeadOrUnknown,

    /// <summary>No engine answers: BOINC temporary exit with the reason (not a compute error).</summary>
    EngineUnreachable,
}

/// <summary>A decision: the next state and the effects to run, in order.</summary>
public sealed record Decision(LifecycleState State, Seq<Effect> Effects);

/// <summary>The decision taken at start, with the case that produced it.</summary>
public sealed record StartDecision(StartCase Case, LifecycleState State, Seq<Effect> Effects);
