using Boinc.Persist.Core.Diagnostics;

namespace Boinc.Persist.Core.Dockerfiles;

/// <summary>
/// The Dockerfile findings: one message shape each, under the codes of <see cref="DiagnosticCodes"/>. Boinc.Persist builds the
/// job image with an empty build context, so everything that reads the context is an error that says where
/// the files come from instead.
/// </summary>
public static class DockerfileDiagnostics
{
    private const string SlotHint =
        "Boinc.Persist builds the image with an empty build context; files reach the job through the slot " +
        "directory, which is mounted at WORKDIR";

    public static Diagnostic Empty(string file) =>
        Diagnostic.Error(DiagnosticCodes.DockerfileEmpty, Location.InFile(file), "the Dockerfile has no instructions; it needs at least a FROM");

    public static Diagnostic MissingFrom(string file, int line, string keyword) =>
        Diagnostic.Error(DiagnosticCodes.DockerfileMissingFrom, Location.AtKey(file, line, keyword),
            $"{keyword} comes before any FROM; a Dockerfile must start with FROM (only ARG may precede it)");

    public static Diagnostic UnknownInstruction(string file, int line, string keyword) =>
        Diagnostic.Error(DiagnosticCodes.DockerfileUnknownInstruction, Location.AtKey(file, line, keyword),
            $"unknown instruction {keyword}; docker build would reject it");

    public static Diagnostic CopyFromContext(string file, int line, string instruction, string source) =>
        Diagnostic.Error(DiagnosticCodes.DockerfileCopyFromContext, Location.AtKey(file, line, instruction),
            $"{instruction} reads '{source}' from the build context. {SlotHint}: ship the file with the job " +
            "and read it from there, or use COPY --from=<stage|image> or an inline heredoc");

    public static Diagnostic AddFromContext(string file, int line, string instruction, string source) =>
        Diagnostic.Error(DiagnosticCodes.DockerfileAddFromContext, Location.AtKey(file, line, instruction),
            $"{instruction} reads '{source}' from the build context (ADD has no --from). {SlotHint}: ship the " +
            "file with the job and read it from there");

    public static Diagnostic AddRemote(string file, int line, string instruction, string source) =>
        Diagnostic.Warning(DiagnosticCodes.DockerfileAddRemote, Location.AtKey(file, line, instruction),
            $"{instruction} fetches '{source}' over the network at build time; volunteers' hosts build without " +
            "network by default, so prefer shipping the file with the job (it reaches the job through the slot directory)");

    public static Diagnostic RunBindsContext(string file, int line, string instruction, string mount) =>
        Diagnostic.Error(DiagnosticCodes.DockerfileRunBindsContext, Location.AtKey(file, line, instruction),
            $"{instruction} --mount={mount} binds the build context (a bind mount without from=). {SlotHint}: " +
            "read the files there at run time, or add from=<stage|image>");

    public static Diagnostic BadDirective(string file, int line, string message) =>
        Diagnostic.Error(DiagnosticCodes.DockerfileBadDirective, Location.At(file, line), message);

    public static Diagnostic UnterminatedHeredoc(string file, int line, string keyword, string name) =>
        Diagnostic.Error(DiagnosticCodes.DockerfileUnterminatedHeredoc, Location.AtKey(file, line, keyword),
            $"{keyword} opens heredoc <<{name} but no line '{name}' ends it before the end of the file");

    public static Diagnostic WorkdirUnresolved(string file, int line, string text, string variables) =>
        Diagnostic.Warning(DiagnosticCodes.DockerfileWorkdirUnresolved, Location.AtKey(file, line, "WORKDIR"),
            $"WORKDIR {text} uses {variables}, which the Dockerfile gives no literal value; set workdir in " +
            "job.toml so the slot directory can be mounted there");

    public static Diagnostic WorkdirRelativeToBase(string file, int line, string text, string path) =>
        Diagnostic.Warning(DiagnosticCodes.DockerfileWorkdirRelativeToBase, Location.AtKey(file, line, "WORKDIR"),
            $"relative WORKDIR {text} is joined onto the base image's WORKDIR, which the Dockerfile does not " +
            $"show; assuming /, giving {path} (write an absolute path or set workdir in job.toml)");

    public static Diagnostic Malformed(string file, int line, string keyword, string problem) =>
        Diagnostic.Error(DiagnosticCodes.DockerfileMalformed, Location.AtKey(file, line, keyword), $"{keyword}: {problem}");

    public static Diagnostic NotJson(string file, int line, string keyword) =>
        Diagnostic.Warning(DiagnosticCodes.DockerfileNotJson, Location.AtKey(file, line, keyword),
            $"{keyword} starts with '[' but is not a JSON array of strings, so Docker runs it in shell form");
}
