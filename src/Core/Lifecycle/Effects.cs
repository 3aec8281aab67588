using System;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>
/// What the shell must do, in order. Containers are named (Docker accepts a name wherever it accepts an id), so
/// every effect is idempotent by construction: creating an existing container, starting a running one or
/// removing an absent one is a no-op for the interpreter. The effects whose outcome the decider needs say which
/// command the interpreter feeds back.
/// </summary>
public abstract record Effect
{
    private Effect() { }

    /// <summary>
    /// Recovery of the store, first thing at every start: make its names durable, verify the generations, choose
    /// the newest intact one. WORKDIR is not touched. Feeds back <see cref="Command.StoreRecovered"/>.
    /// </summary>
    public sealed record RecoverStore : Effect;

    /// <summary>Read the slot's journal and inspect our container. Feeds back <see cref="Command.WorldObserved"/>.</summary>
    public sealed record ObserveWorld : Effect;

    /// <summary>Build the image from the Dockerfile with an empty context unless the tag exists (host-wide lock).</summary>
    public sealed record BuildImage(string Tag) : Effect;

    /// <summary>
    /// Make WORKDIR hold exactly this generation's files before a container starts from them (full recovery). The
    /// log names every app file this replaces or removes, with <see cref="Why"/> the app's own files are not used.
    /// </summary>
    public sealed record RestoreGeneration(long Number, string Why) : Effect;

    /// <summary>Create the container from the plan's ContainerSpec (the shell holds the plan).</summary>
    public sealed record CreateContainer(string Name, string ImageTag) : Effect;

    public sealed record StartContainer(string Name) : Effect;

    /// <summary>Follow the container: its exit (<see cref="Command.ContainerEnded"/>) and its output into stderr.txt.</summary>
    public sealed record FollowContainer(string Name, bool Reattached) : Effect;

    public sealed record PauseContainer(string Name) : Effect;

    public sealed record UnpauseContainer(string Name) : Effect;

    /// <summary>
    /// The stop signal to the container's init, SIGKILL after <see cref="Grace"/>. Feeds back
    /// <see cref="Command.ContainerEnded"/> once the container no longer runs.
    /// </summary>
    public sealed record StopContainer(string Name, TimeSpan Grace) : Effect;

    public sealed record KillContainer(string Name) : Effect;

    public sealed record RemoveContainer(string Name) : Effect;

    /// <summary>Remove the image unless another container (ours or not) uses it.</summary>
    public sealed record RemoveImageIfUnused(string Tag) : Effect;

    /// <summary>Ask the app to checkpoint now (the file <c>checkpoint_requested</c> in WORKDIR).</summary>
    public sealed record RequestCheckpoint : Effect;

    /// <summary>Feed back <see cref="Command.GraceElapsed"/> after <see cref="Grace"/> (a commit before it wins).</summary>
    public sealed record AwaitCheckpoint(TimeSpan Grace) : Effect;

    /// <summary>
    /// Commit the app's checkpoint files as a new generation; feeds back <see cref="Command.CheckpointCommitted"/>
    /// (only once durable) or <see cref="Command.CheckpointNotCommitted"/>.
    /// </summary>
    /// <remarks>The generation's CPU time is <see cref="CpuBaseNanos"/> plus the container's counter sampled at the
    /// commit (never less than <see cref="ContainerCpuNanos"/>, the last sample the decider saw).</remarks>
    public sealed record CommitCheckpoint(long CpuBaseNanos, long ContainerCpuNanos) : Effect
    {
        /// <summary>The generation's CPU time, given the container's counter sampled at the commit (a lower sample counts as the last one seen).</summary>
        public long CpuAt(long sampledNanos) => CpuBaseNanos + Math.Max(ContainerCpuNanos, sampledNanos);
    }

    /// <summary>Durably replace the slot's journal with this one.</summary>
    public sealed record WriteJournal(Journal Journal) : Effect;

    /// <summary>
    /// Tell BOINC the CPU time so far and the CPU time of the newest durable generation (BOINC's checkpoint CPU
    /// time), and write <see cref="Message"/> (when not empty) to the slot's stderr.txt.
    /// </summary>
    public sealed record ReportStatus(long CpuNanos, long CheckpointCpuNanos, string Message) : Effect;

    /// <summary>boinc_finish(code): the job's result. Always the last effect.</summary>
    public sealed record Finish(int Code) : Effect;

    /// <summary>boinc_temporary_exit(delay, reason): BOINC restarts us later. Always the last effect.</summary>
    public sealed record TemporaryExit(TimeSpan Delay, string Reason) : Effect;

    /// <summary>Exit without a result because BOINC asked us to quit; BOINC starts us again later. Always last.</summary>
    public sealed record QuitExit(string Reason) : Effect;

    /// <summary>Exit after an abort, leaving nothing behind. Always the last effect.</summary>
    public sealed record ExitAborted : Effect;

    /// <summary>Whether this effect ends the wrapper.</summary>
    public bool IsTerminal => this is Finish or TemporaryExit or QuitExit or ExitAborted;
}
