using System;
using LanguageExt;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>
/// What the engine recorded about the container's last run: when it started and finished (None where the engine
/// has no time, e.g. Docker's zero time for a container that never ran) and whether the kernel's OOM killer
/// ended it. The evidence <see cref="ExitRule"/> reads to tell an exit of the job's own from a kill.
/// </summary>
public sealed record RunFacts(Option<DateTimeOffset> StartedAt, Option<DateTimeOffset> FinishedAt, bool OomKilled)
{
    public static RunFacts Unknown { get; } = new(Option<DateTimeOffset>.None, Option<DateTimeOffset>.None, false);
}

/// <summary>What the engine reports about our container (by its name). A closed union.</summary>
public abstract record Observation
{
    private Observation() { }

    /// <summary>The engine's record of the container's last run (<see cref="RunFacts.Unknown"/> when not asked).</summary>
    public RunFacts Run { get; init; } = RunFacts.Unknown;

    /// <summary>No container of that name: never created, removed, or lost with the engine's data.</summary>
    public sealed record Absent : Observation;

    public sealed record Created(string Id) : Observation;

    public sealed record Running(string Id) : Observation;

    public sealed record Paused(string Id) : Observation;

    public sealed record Exited(string Id, int Code) : Observation;

    /// <summary>The engine's "dead" or "removing": unusable, only removal helps.</summary>
    public sealed record Dead(string Id) : Observation;

    /// <summary>A status this code does not know (e.g. "restarting"): treated like <see cref="Dead"/>.</summary>
    public sealed record Unknown(string Id, string Status) : Observation;

    public static Observation From(string id, string status, int exitCode) => From(id, status, exitCode, RunFacts.Unknown);

    public static Observation From(string id, string status, int exitCode, RunFacts run) => (status switch
    {
        "created" or "configured" or "initialized" => (Observation)new Created(id),
        "running" => new Running(id),
        "paused" => new Paused(id),
        "exited" or "stopped" => new Exited(id, exitCode),
        "dead" or "removing" => new Dead(id),
        _ => new Unknown(id, status),
    }) with { Run = run };
}
