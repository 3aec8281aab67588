using LanguageExt;

namespace Boinc.Persist.Core.Diagnostics;

/// <summary>How bad a finding is. Errors stop a job; warnings are printed and the job goes on.</summary>
public enum Severity
{
    Warning,
    Error,
}

/// <summary>
/// Where a finding points: a file name (as the user knows it, e.g. <c>job.toml</c>), an optional 1-based
/// line and an optional key or instruction. Invariant: <see cref="Line"/> is positive when present.
/// </summary>
public sealed record Location(string File, Option<int> Line, Option<string> Key)
{
    public static Location InFile(string file) => new(file, Option<int>.None, Option<string>.None);

    public static Location At(string file, int line) => new(file, line, Option<string>.None);

    public static Location AtKey(string file, int line, string key) => new(file, line, key);

    public Location WithKey(string key) => this with { Key = key };

    /// <summary><c>file:line: key</c>, the form compilers print, so editors can jump to it.</summary>
    public override string ToString()
    {
        var line = Line.Match(l => $":{l}", () => "");
        var key = Key.Match(k => $" [{k}]", () => "");
        return $"{File}{line}{key}";
    }
}

/// <summary>
/// One finding about a job directory: a code from the catalogue (<see cref="DiagnosticCodes"/>), a location and a sentence that
/// says what is wrong and what to do about it.
/// </summary>
public sealed record Diagnostic(Severity Severity, DiagnosticCode Code, Location Where, string Message)
{
    public static Diagnostic Error(DiagnosticCode code, Location where, string message) =>
        new(Severity.Error, code, where, message);

    public static Diagnostic Warning(DiagnosticCode code, Location where, string message) =>
        new(Severity.Warning, code, where, message);

    public bool IsError => Severity == Severity.Error;

    public override string ToString() =>
        $"{Where}: {(IsError ? "error" : "warning")} {Code}: {Message}";
}

/// <summary>Helpers over lists of findings.</summary>
public static class Diagnostics
{
    public static bool HasErrors(Seq<Diagnostic> ds) => ds.Exists(d => d.IsError);
}
