using LanguageExt;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>What happens to a running wrapper after start: BOINC's messages, engine events, results of effects.</summary>
public abstract record Command
{
    private Command() { }

    /// <summary>The engine reports a new state of our container (after create/start, or from its event stream).</summary>
    public sealed record EngineEvent(Observation Observed) : Command;

    /// <summary>The app's checkpoint files are complete (done marker or quiescence): commit a generation.</summary>
    public sealed record CheckpointDetected : Command;

    /// <summary>The store committed a generation (the result of <see cref="Effect.CommitCheckpoint"/>).</summary>
    public sealed record CheckpointCommitted(Generation Generation) : Command;

    /// <summary>The engine's cumulative CPU counter of the current container, in nanoseconds.</summary>
    public sealed record CpuSampled(long ContainerNanos) : Command;

    public sealed record Suspend : Command;

    public sealed record Resume : Command;

    /// <summary>BOINC asks us to quit (the task will be resumed later).</summary>
    public sealed record Quit : Command;

    /// <summary>The wait for a checkpoint after <see cref="Quit"/> ran out (<see cref="Effect.AwaitCheckpoint"/>).</summary>
    public sealed record GraceElapsed : Command;

    public sealed record Abort : Command;

    /// <summary>The engine's wait API says our container exited with this code.</summary>
    public sealed record ExitObserved(int Code) : Command;

    /// <summary>The BOINC client stopped answering (heartbeat lost): quit as the policy says.</summary>
    public sealed record ClientLost : Command;

    /// <summary>An engine call failed because no engine answers: a temporary exit, not a compute error.</summary>
    public sealed record EngineUnreachable(string Reason) : Command;
}
