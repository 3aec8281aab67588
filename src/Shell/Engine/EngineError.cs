using System;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// Why an engine call failed, decided once at the adapter. A closed union: <see cref="Unreachable"/> (no engine
/// answers: BOINC temporary exit) and <see cref="Timeout"/> are about the engine, not the job.
/// </summary>
public abstract record EngineError(string Operation, string Message)
{
    private EngineError() : this("", "") { }

    /// <summary>Nothing listens (socket missing, connection refused or reset).</summary>
    public sealed record Unreachable(string Op, string Reason) : EngineError(Op, Reason);

    /// <summary>The engine did not answer within the call's limit.</summary>
    public sealed record Timeout(string Op, TimeSpan Limit) : EngineError(Op, $"no answer within {Limit.TotalSeconds:0.###}s");

    /// <summary>No such container or image.</summary>
    public sealed record NotFound(string Op, string What) : EngineError(Op, What);

    /// <summary>The engine refused because of the object's state (409): already paused, name in use, image in use...</summary>
    public sealed record Conflict(string Op, string Detail) : EngineError(Op, Detail);

    /// <summary>Anything else the engine reported (bad parameters, build failure, 500).</summary>
    public sealed record Failed(string Op, string Detail) : EngineError(Op, Detail);

    /// <summary>The engine is not usable right now (BOINC should retry later rather than fail the job).</summary>
    public bool IsTemporary => this is Unreachable or Timeout;

    public sealed override string ToString() => $"{Operation}: {Message}";
}
