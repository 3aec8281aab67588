using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>What <c>boinccmd</c> printed and returned.</summary>
public sealed record BoincCmdResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>The operations of <c>boinccmd --task URL RESULT OP</c> a test uses.</summary>
public enum TaskOperation { Suspend, Resume, Abort }

/// <summary>
/// Runs <c>boinccmd --unix_domain</c> against one data directory (it reads gui_rpc_auth.cfg from its working
/// directory and connects to DATA/boinc_socket). Every call has a timeout; a hung boinccmd is killed.
/// </summary>
public sealed class BoincCmd(string dataDir, string executable)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public string DataDir { get; } = dataDir;

    /// <summary>Runs boinccmd with these arguments (after --unix_domain); never throws for a non-zero exit.</summary>
    public async Task<BoincCmdResult> Run(IReadOnlyList<string> args, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = DataDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--unix_domain");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"could not start {executable}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // it exited just now
            }

            throw new TimeoutException($"`boinccmd --unix_domain {string.Join(' ', args)}` in {DataDir} did not finish within {limit}.");
        }

        return new BoincCmdResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs boinccmd and throws, with its output, unless it exits 0.</summary>
    public async Task<string> Require(IReadOnlyList<string> args, TimeSpan? timeout = null)
    {
        var result = await Run(args, timeout);
        return result.Succeeded
            ? result.Stdout
            : throw new InvalidOperationException(
                $"`boinccmd --unix_domain {string.Join(' ', args)}` in {DataDir} exited {result.ExitCode}: " +
                $"{result.Stderr.Trim()} {result.Stdout.Trim()}".Trim());
    }

    /// <summary>True once the client's GUI RPC answers.</summary>
    public async Task<bool> Answers() => (await Run(["--client_version"], TimeSpan.FromSeconds(5))).Succeeded;

    public async Task<ImmutableList<BoincTask>> GetTasks() => BoincTasks.Parse(await Require(["--get_tasks"]));

    public Task Task(string projectUrl, string result, TaskOperation operation) =>
        Require(["--task", projectUrl, result, operation.ToString().ToLowerInvariant()]);

    /// <summary>Asks the client to exit: it sends &lt;quit/&gt; to its apps and waits for them (up to 60 s).</summary>
    public Task Quit() => Require(["--quit"]);
}
