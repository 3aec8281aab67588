using System;
using LanguageExt;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>A committed checkpoint generation and the job's CPU time when it was taken.</summary>
public sealed record Generation(long Number, long CpuNanos);

/// <summary>What the checkpoint store holds: the newest committed generation, if any.</summary>
public sealed record StoreState(Option<Generation> Latest)
{
    public static StoreState Empty { get; } = new(Option<Generation>.None);
}

/// <summary>
/// The fixed facts of one task the lifecycle needs: our container's name, the image tag to run, the host's
/// boot id now (from /proc/sys/kernel/random/boot_id), the quit policy from job.toml and the delay BOINC should
/// wait before restarting us after a temporary exit. <see cref="CanPause"/> is false where the engine cannot
/// freeze containers (rootless Podman on cgroup v1): a suspend, and the quit policy "pause", then checkpoint and
/// stop the job as a quit does.
/// </summary>
public sealed record TaskFacts(
    string Container,
    string ImageTag,
    string BootId,
    Config.QuitPolicy QuitPolicy,
    TimeSpan StopGrace,
    TimeSpan RetryDelay)
{
    public bool CanPause { get; init; } = true;
}

/// <summary>Everything the wrapper reads at start: the journal (None when missing), the engine, the store.</summary>
public sealed record StartInput(TaskFacts Facts, Option<Journal> Journal, Observation Observed, StoreState Store);
