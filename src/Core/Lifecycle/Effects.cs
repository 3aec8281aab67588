using System;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>
/// What the shell must do, in order. Containers are named (Docker accepts a name wherever it accepts an id), so
/// every effect is idempotent by construction: creating an existing container, starting a running one or
/// removing an absent one is a no-op for the interpreter.
/// </summary>
public abstract record Effect
{
    private Effect() { }

    /// <summary>Build the image from the Dockerfile with an empty context unless the tag exists (host-wide lock).</summary>
    public sealed record BuildImage(string Tag) : Effect;

    /// <summary>Put the files of this generation back into WORKDIR before a container starts from them.</summary>
    public sealed record RestoreGeneration(long Number) : Effect;

    /// <summary>Create the container from the plan's ContainerSpec (the shell holds the plan).</summary>
    public sealed record CreateContainer(string Name, string ImageTag) : Effect;

    public sealed record StartContainer(string Name) : Effect;

    public sealed record PauseContainer(string Name) : Effect;

    public sealed record UnpauseContainer(string Name) : Effect;

    /// <summary>SIGTERM (or the image's stop signal), then SIGKILL after <see cref="Grace"/>.</summary>
    public sealed record StopContainer(string Name, TimeSpan Grace) : Effect;

    public sealed record KillContainer(string Name) : Effect;

    public sealed record RemoveContainer(string Name) : Effect;

    /// <summary>Remove the image unless another container (ours or not) uses it.</summary>
    public sealed record RemoveImageIfUnused(string Tag) : Effect;

    /// <summary>Ask the app to checkpoint now (BOINC's request-checkpoint).</summary>
    public sealed record RequestCheckpoint : Effect;

    /// <summary>Wait up to <see cref="Grace"/> for a commit; feed back CheckpointCommitted or GraceElapsed.</summary>
    public sealed record AwaitCheckpoint(TimeSpan Grace) : Effect;

    /// <summary>Commit the app's checkpoint files as a new generation; feed back CheckpointCommitted.</summary>
    public sealed record CommitCheckpoint : Effect;

    /// <summary>Durably replace the slot's journal with this one.</summary>
    public sealed record WriteJournal(Journal Journal) : Effect;

    /// <summary>Tell BOINC the CPU time so far (and a line for the slot's stderr.txt).</summary>
    public sealed record ReportStatus(long CpuNanos, string Message) : Effect;

    /// <summary>boinc_finish(code): the job's result. Always the last effect.</summary>
    public sealed record Finish(int Code) : Effect;

    /// <summary>boinc_temporary_exit(delay, reason): BOINC restarts us later. Always the last effect.</summary>
    public sealed record TemporaryExit(TimeSpan Delay, string Reason) : Effect;

    /// <summary>Exit without a result because BOINC asked us to quit; BOINC starts us again later. Always last.</summary>
    public sealed record QuitExit(string Reason) : Effect;

    /// <summary>Exit after an abort, leaving nothing behind. Always the last effect.</summary>
    public sealed record ExitAborted : Effect;
}
