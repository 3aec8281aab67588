namespace Boinc.Persist.Core.Lifecycle;

/// <summary>What the engine reports about our container (by its name). A closed union.</summary>
public abstract record Observation
{
    private Observation() { }

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

    public static Observation From(string id, string status, int exitCode) => status switch
    {
        "created" => new Created(id),
        "running" => new Running(id),
        "paused" => new Paused(id),
        "exited" => new Exited(id, exitCode),
        "dead" or "removing" => new Dead(id),
        _ => new Unknown(id, status),
    };
}
