using LanguageExt;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>What the wrapper last meant to happen to the container, so a restart can tell our own stop from a crash.</summary>
public enum Intent
{
    /// <summary>The job should be running (or be started).</summary>
    Run,

    /// <summary>We asked the container to stop because BOINC told us to quit: its exit is not the job's result.</summary>
    Stop,

    /// <summary>BOINC aborted the task: never start it again.</summary>
    Abort,
}

/// <summary>
/// The slot's journal: the small durable record that lets every wrapper restart know what happened before it.
/// Invariants: <see cref="Container"/> is the deterministic container name of this task; <see cref="CpuBaseNanos"/>
/// is the CPU time of the work already kept (that of the generation the current container was started from);
/// once <see cref="FinishedExitCode"/> is Some it never changes (the job's result is reported, never re-run).
/// </summary>
public sealed record Journal(
    string Container,
    Option<string> ContainerId,
    Option<string> ImageId,
    Option<long> CommittedGeneration,
    Option<string> BootId,
    long CpuBaseNanos,
    Option<int> FinishedExitCode,
    Intent Intent)
{
    /// <summary>The journal's file name in the slot directory.</summary>
    public const string FileName = Checkpoints.StoreLayout.StateDirName + "/journal";

    public static Journal New(string container) =>
        new(container, Option<string>.None, Option<string>.None, Option<long>.None, Option<string>.None, 0,
            Option<int>.None, Intent.Run);

    public bool Finished => FinishedExitCode.IsSome;
}
