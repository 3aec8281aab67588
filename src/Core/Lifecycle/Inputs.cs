using System;
using LanguageExt;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>
/// What the lifecycle knows of a committed checkpoint generation: its number and the job's CPU time when it was
/// taken (the whole generation, files and all, is <see cref="Checkpoints.Generation"/>).
/// </summary>
public sealed record GenerationSummary(long Number, long CpuNanos);

/// <summary>
/// What the checkpoint store holds as far as the lifecycle is concerned: the newest generation that recovery
/// verified and made durable (or that a commit acknowledged), if any. Never read from an unverified manifest.
/// </summary>
public sealed record StoreSummary(Option<GenerationSummary> Latest)
{
    public static StoreSummary Empty { get; } = new(Option<GenerationSummary>.None);
}

/// <summary>
/// The fixed facts of one task the lifecycle needs: our container's name, the image tag to run, the host's
/// boot id now (from /proc/sys/kernel/random/boot_id), the quit policy from job.toml, <c>stop_grace</c> (the whole
/// time a quit may take, see <see cref="QuitBudget"/>) and the delay BOINC should wait before restarting us after a
/// temporary exit. <see cref="CanPause"/> is false where the engine cannot freeze containers (rootless Podman on
/// cgroup v1): a suspend, and the quit policy "pause", then checkpoint and stop the job as a quit does.
/// <see cref="HostBoot"/> is when the host booted (/proc/stat btime), for <see cref="ExitRule"/>;
/// <see cref="Checkpoints"/> is false when job.toml declares no checkpoint files; <see cref="MaxRestarts"/> is how
/// often a killed container is replaced within one wrapper run before the wrapper leaves it to BOINC.
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

    public Option<DateTimeOffset> HostBoot { get; init; } = Option<DateTimeOffset>.None;

    public bool Checkpoints { get; init; } = true;

    public int MaxRestarts { get; init; } = 3;

    /// <summary>How <see cref="StopGrace"/> (capped for the BOINC client) is split between checkpoint wait and stop.</summary>
    public QuitBudget Budget => QuitBudget.Of(StopGrace);
}

/// <summary>
/// Everything the wrapper reads at start, after recovery: the journal (None when missing or untrustworthy), the
/// engine's view of our container, and the newest generation recovery verified durable.
/// </summary>
public sealed record StartInput(TaskFacts Facts, Option<Journal> Journal, Observation Observed, StoreSummary Store);
