using System.Collections.Immutable;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// Everything one hand-written BOINC data directory holds: one project, app, app version, workunit and result
/// (in state FILES_DOWNLOADED, so the client runs it at once). Defaults are the verified recipe of
/// /work/shared/boinc-client: a loopback project URL that nothing listens on, bounds far above any test.
/// <para>Invariants: file names are unique across the job (they are the physical files in projects/&lt;dir&gt;);
/// open names are unique within the app version and within the workunit.</para>
/// </summary>
public sealed record BoincJob
{
    public required MainProgram MainProgram { get; init; }

    /// <summary>Must be loopback: the client never reaches it (its network is suspended), and must not try.</summary>
    public string ProjectUrl { get; init; } = "http://127.0.0.1:1/test/";

    public string AppName { get; init; } = "testapp";
    public int VersionNum { get; init; } = 100;

    /// <summary>
    /// The app version's (and result's) plan class, or null. Client 8.2 treats a plan class containing "docker"
    /// as a Docker app: it runs it only when it detected an engine, and its start-up cleanup spares only the
    /// containers of active tasks with such a plan class.
    /// </summary>
    public string? PlanClass { get; init; }
    public string Platform { get; init; } = "x86_64-pc-linux-gnu";
    public string WorkunitName { get; init; } = "wu1";
    public string ResultName { get; init; } = "wu1_0";

    /// <summary>The workunit's &lt;command_line&gt;, passed to the main program as arguments.</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>Extra files of the app version (e.g. job.toml, Dockerfile), linked or copied into the slot.</summary>
    public ImmutableList<JobFile> AppVersionFiles { get; init; } = [];

    /// <summary>The workunit's input files, linked or copied into the slot.</summary>
    public ImmutableList<JobFile> Inputs { get; init; } = [];

    /// <summary>The result's output file (sticky, no upload URL): it stays in projects/&lt;dir&gt;/.</summary>
    public OutputFile? Output { get; init; } = new("wu1_0_out", "output", 100_000_000);

    public double Flops { get; init; } = 1e9;
    public double RscFpopsEst { get; init; } = 1e12;

    /// <summary>Elapsed-time limit = bound / flops (1e7 s by default).</summary>
    public double RscFpopsBound { get; init; } = 1e16;

    public double RscMemoryBound { get; init; } = 4e9;
    public double RscDiskBound { get; init; } = 1e10;
}

/// <summary>The app version's main program, placed at projects/&lt;dir&gt;/&lt;Name&gt; and exec'd with the slot as cwd.</summary>
public sealed record MainProgram(string Name, FileContent Content)
{
    /// <summary>
    /// A POSIX sh script that <c>exec</c>s <paramref name="executable"/> with the workunit's arguments, so the
    /// process the client signals and waits for IS that program (e.g. the built <c>boinc-persist</c> apphost,
    /// which then still finds its .dll next to itself).
    /// </summary>
    public static MainProgram ExecOf(string executable, string name = "main_1.00") =>
        new(name, new FileContent.Text($"#!/bin/sh\nexec {ShellQuote(executable)} \"$@\"\n"));

    public static string ShellQuote(string word) => "'" + word.Replace("'", "'\\''") + "'";
}

/// <summary>A project file of the app version or workunit, as the slot sees it under <see cref="OpenName"/>.</summary>
/// <param name="Copy">true: &lt;copy_file/&gt; (a real copy in the slot); false: a &lt;soft_link&gt; link file.</param>
/// <param name="Executable">&lt;executable/&gt; in its file_info: the client keeps it (and its slot copy) executable.</param>
public sealed record JobFile(string Name, string OpenName, FileContent Content, bool Copy = false, bool Executable = false);

/// <param name="Optional">&lt;optional/&gt;: a missing file is no error for the client.</param>
/// <param name="Copy">&lt;copy_file/&gt;: the app writes it in the slot and the client moves it to the project dir.</param>
public sealed record OutputFile(string Name, string OpenName, long MaxNbytes, bool Optional = false, bool Copy = false);

/// <summary>Where a project file's bytes come from.</summary>
public abstract record FileContent
{
    private FileContent() { }

    public sealed record Text(string Value) : FileContent;

    /// <summary>A copy of a host file, taken when the data directory is written.</summary>
    public sealed record CopyOf(string HostPath) : FileContent;

    /// <summary>A symbolic link to a host file (its bytes are read when the client copies or the app opens it).</summary>
    public sealed record SymlinkTo(string HostPath) : FileContent;
}
