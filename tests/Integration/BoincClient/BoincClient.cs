using System;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>How to launch the client.</summary>
public sealed record BoincClientOptions
{
    /// <summary>The client under test (<see cref="ClientUnderTest"/>): <c>boinc</c>, or <c>boinc8</c> with BOINC_PERSIST_TEST_CLIENT=8.</summary>
    public string Executable { get; init; } = ClientUnderTest.Boinc;

    /// <summary>--exit_after_finish: the client exits as soon as the app exits (slot kept; state file still has the task).</summary>
    public bool ExitAfterFinish { get; init; }

    /// <summary>Run the client (and so the app) in a private network namespace with only loopback, when root can.</summary>
    public bool PrivateNetwork { get; init; } = true;

    /// <summary>Added to the client's environment, which the app inherits (e.g. DOCKER_HOST, a test's event log).</summary>
    public ImmutableDictionary<string, string> Environment { get; init; } = ImmutableDictionary<string, string>.Empty;

    public ImmutableList<string> ExtraArguments { get; init; } = [];

    /// <summary>Removed from the environment the client (and so the app) inherits from the test process, e.g. DOCKER_HOST.</summary>
    public ImmutableList<string> Unset { get; init; } = [];

    /// <summary>The boinccmd matching <see cref="Executable"/>.</summary>
    public string BoincCmd { get; init; } = ClientUnderTest.BoincCmd;
}

/// <summary>
/// One real BOINC client process (<c>boinc --dir DATA ...</c>, flags of the verified recipe) whose stdout and
/// stderr are appended to <see cref="LogFile"/>. Start, stop gracefully (boinccmd --quit, SIGKILL after a bound),
/// kill (SIGKILL) and restart it; <see cref="DisposeAsync"/> never leaves it running.
/// </summary>
public sealed class BoincClient(BoincDataDir data, string logFile, BoincClientOptions options) : IAsyncDisposable
{
    /// <summary>With a task running the client polls for its exit every 6 s, so a quit takes 6-7 s.</summary>
    public static readonly TimeSpan DefaultStopBound = TimeSpan.FromSeconds(30);

    private static readonly Lazy<bool> CanUnshareNetwork = new(ProbeUnshare);

    private Process? process;
    private int starts;

    public string LogFile { get; } = logFile;

    public BoincCmd Cmd { get; } = new(data.Path, options.BoincCmd);

    public bool IsRunning => process is { HasExited: false };

    public int Pid => process?.Id ?? throw new InvalidOperationException("the client was never started");

    /// <summary>When the last start was requested (for start-to-app-running figures).</summary>
    public DateTimeOffset StartedAt { get; private set; }

    public bool InPrivateNetwork { get; private set; }

    /// <summary>Launches the client and waits until its GUI RPC answers.</summary>
    public async Task Start(TimeSpan? rpcTimeout = null)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"the client (pid {process!.Id}) is already running");
        }

        starts++;
        InPrivateNetwork = options.PrivateNetwork && CanUnshareNetwork.Value;
        StartedAt = DateTimeOffset.UtcNow;
        await File.AppendAllTextAsync(LogFile,
            $"=== harness: client start #{starts} at {StartedAt:O}{(InPrivateNetwork ? " (private network namespace)" : "")}\n");

        // sh execs the client with its output appended to the log, so the pid is the client's and the log is
        // complete even when the client is SIGKILLed; unshare execs sh, so the pid stays the client's there too.
        const string script = "ip link set lo up 2>/dev/null; log=$1; shift; exec \"$@\" >>\"$log\" 2>&1";
        var start = new ProcessStartInfo(InPrivateNetwork ? "unshare" : "/bin/sh") { UseShellExecute = false, WorkingDirectory = data.Path };
        if (InPrivateNetwork)
        {
            start.ArgumentList.Add("--net");
            start.ArgumentList.Add("/bin/sh");
        }

        foreach (var arg in new[] { "-c", script, "sh", LogFile, options.Executable, "--dir", data.Path, "--skip_cpu_benchmarks",
                     "--no_gpus", "--no_info_fetch", "--gui_rpc_unix_domain", "--suppress_net_info" })
        {
            start.ArgumentList.Add(arg);
        }

        if (options.ExitAfterFinish)
        {
            start.ArgumentList.Add("--exit_after_finish");
        }

        foreach (var arg in options.ExtraArguments)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in options.Environment)
        {
            start.Environment[key] = value;
        }

        foreach (var key in options.Unset)
        {
            start.Environment.Remove(key);
        }

        process?.Dispose(); // the previous run's, already exited
        process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {options.Executable}");
        await Eventually.Until(
            async () => IsRunning ? await Cmd.Answers() : throw new InvalidOperationException(
                $"the client exited with {process.ExitCode} before its GUI RPC answered.\n{Logs.Tail(LogFile, 30)}"),
            rpcTimeout ?? TimeSpan.FromSeconds(30),
            "the client's GUI RPC answers",
            () => Logs.Tail(LogFile, 30));
    }

    /// <summary>boinccmd --quit, then waits for the client to exit; SIGKILL after <paramref name="bound"/>.</summary>
    /// <returns>True when the client exited by itself within the bound.</returns>
    public async Task<bool> Stop(TimeSpan? bound = null)
    {
        if (!IsRunning)
        {
            return true;
        }

        var quit = await Cmd.Run(["--quit"]);
        var limit = bound ?? DefaultStopBound;
        if (quit.Succeeded && await WaitForExit(limit))
        {
            return true;
        }

        await Kill();
        return false;
    }

    /// <summary>SIGKILL, as a crash or an OOM kill would: the apps are not told (they lose the heartbeat).</summary>
    public async Task Kill()
    {
        if (process is null || process.HasExited)
        {
            return;
        }

        process.Kill();
        if (!await WaitForExit(TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"the client (pid {process.Id}) survived SIGKILL for 10 s");
        }
    }

    /// <summary>Waits for the client to exit by itself (e.g. with --exit_after_finish).</summary>
    public async Task<bool> WaitForExit(TimeSpan timeout)
    {
        if (process is null)
        {
            return true;
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public int? ExitCode => process is { HasExited: true } ? process.ExitCode : null;

    public async Task Restart()
    {
        await Stop();
        await Start();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Graceful first, so a wrapper under test gets its <quit/> and can clean up its container.
            await Stop(TimeSpan.FromSeconds(15));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or IOException)
        {
            // SIGKILL follows; the reason stays in the log, and a failing test's own exception is not masked.
            await File.AppendAllTextAsync(LogFile, $"=== harness: graceful stop failed, killing the client: {e.Message}\n");
        }
        finally
        {
            await Kill();
            process?.Dispose();
        }
    }

    private static bool ProbeUnshare()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("unshare", ["--net", "true"])
            {
                UseShellExecute = false, RedirectStandardError = true,
            });
            if (probe is null)
            {
                return false;
            }

            var exited = probe.WaitForExit(TimeSpan.FromSeconds(5));
            if (!exited)
            {
                probe.Kill();
            }

            return exited && probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no unshare(1): run without the extra isolation
        }
    }

    public override string ToString() =>
        $"boinc client (pid {process?.Id.ToString(CultureInfo.InvariantCulture) ?? "-"}, {(IsRunning ? "running" : "not running")}, log {LogFile})";
}
