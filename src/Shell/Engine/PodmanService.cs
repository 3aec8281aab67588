using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// A private <c>podman system service</c> for hosts where Podman is installed but its API service is not running
/// (the usual case: BOINC's own client drives the <c>podman</c> command, which needs no service).
/// <para>
/// Lifetime, by design an idle timeout and not a reference count: the service runs with
/// <c>--time=<see cref="IdleSeconds"/></c>, and Podman counts an open API connection as activity. Every wrapper
/// keeps a log stream open while its container runs and calls the engine every second, so the service lives
/// exactly as long as some slot uses it, plus the idle time; it then exits by itself. Its containers do not
/// depend on it (each runs under its own <c>conmon</c>), and the next wrapper that finds the socket dead starts it
/// again. A reference count would leak whenever a wrapper is killed (BOINC kills apps, hosts crash); an idle
/// timeout cannot leak and needs nobody to stop it.
/// </para>
/// <para>
/// Shared by every wrapper of one user: one socket per user (root: <c>/run/boinc-persist/podman.sock</c>; others:
/// <c>$XDG_RUNTIME_DIR/boinc-persist/podman.sock</c>, else <c>/tmp/boinc-persist-podman-UID/</c>, mode 0700),
/// started under a host-wide lock so that two wrappers starting at once start one service.
/// </para>
/// </summary>
public static partial class PodmanService
{
    public const int IdleSeconds = 600;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> LocalLocks = new();
    public static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(30);

    public static string PrivateSocketPath(bool isRoot, string? xdgRuntimeDir, uint uid) =>
        isRoot ? "/run/boinc-persist/podman.sock"
        : !string.IsNullOrWhiteSpace(xdgRuntimeDir) ? Path.Combine(xdgRuntimeDir, "boinc-persist", "podman.sock")
        : $"/tmp/boinc-persist-podman-{uid.ToString(CultureInfo.InvariantCulture)}/podman.sock";

    /// <summary>The podman executable on PATH, or null.</summary>
    public static string? Executable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, "podman"))
        .FirstOrDefault(File.Exists);

    /// <summary>
    /// The private service's endpoint, started if it does not answer. Never throws: when it cannot be started,
    /// the endpoint says why, and the first engine call reports it unreachable (a temporary exit for BOINC).
    /// </summary>
    public static EngineEndpoint Ensure(string socket, string why, string trail) => Ensure(socket, why, trail, IdleSeconds);

    /// <summary>As <see cref="Ensure(string, string, string)"/> with another idle time (tests).</summary>
    public static EngineEndpoint Ensure(string socket, string why, string trail, int idleSeconds)
    {
        var uri = new Uri("unix://" + socket);
        // fcntl locks exclude other processes only: threads of this one take the in-process lock first.
        var local = LocalLocks.GetOrAdd(socket, _ => new SemaphoreSlim(1, 1));
        using var limit = new CancellationTokenSource(StartLimit);
        try
        {
            local.Wait(limit.Token);
        }
        catch (OperationCanceledException)
        {
            return new EngineEndpoint(uri, $"boinc-persist's private Podman service: another thread kept the start lock for {StartLimit.TotalSeconds:0}s; {why}");
        }

        try
        {
            using var hostLock = HostLock.Acquire("podman-service:" + socket, limit.Token).GetAwaiter().GetResult();
            if (EngineProbe.Probe(socket) == SocketState.Answers)
                return new EngineEndpoint(uri, "boinc-persist's private Podman service (started by another wrapper)");
            var started = Start(socket, idleSeconds, limit.Token);
            return new EngineEndpoint(uri, started is null
                ? $"boinc-persist's private Podman service, started now with --time={idleSeconds} because {why}"
                : $"boinc-persist's private Podman service could not be started ({started}); {why}; looked at {trail}");
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return new EngineEndpoint(uri, $"boinc-persist's private Podman service could not be started ({e.GetType().Name}: {e.Message}); {why}");
        }
        finally
        {
            local.Release();
        }
    }

    /// <summary>Starts the service detached (own session, output to a log beside the socket); null when it answers.</summary>
    private static string? Start(string socket, int idleSeconds, CancellationToken ct)
    {
        var podman = Executable() ?? throw new InvalidOperationException("podman is not on PATH");
        var dir = Path.GetDirectoryName(socket)!;
        Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (File.Exists(socket))
            File.Delete(socket); // stale: the probe found nothing listening, under the lock
        var log = Path.Combine(dir, "podman-service.log");

        // sh only to detach (setsid, &, redirections); every value is a positional argument, never parsed.
        var info = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList =
            {
                "-c", "setsid \"$0\" system service --time=\"$1\" \"unix://$2\" >>\"$3\" 2>&1 </dev/null &",
                podman, idleSeconds.ToString(CultureInfo.InvariantCulture), socket, log,
            },
            UseShellExecute = false,
            // The service outlives this wrapper, and BOINC deletes the slot (our working directory) when the task
            // ends: conmon inherits the service's directory and fails every later container ("Failed to get
            // working directory" -> "write child: broken pipe") once it is gone. "/" never goes away.
            WorkingDirectory = "/",
        };
        using (var sh = Process.Start(info) ?? throw new InvalidOperationException("cannot run /bin/sh"))
            sh.WaitForExit();

        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < StartLimit)
        {
            ct.ThrowIfCancellationRequested();
            if (EngineProbe.Probe(socket) == SocketState.Answers)
                return null;
            Thread.Sleep(100);
        }

        return $"it did not answer on {socket} within {StartLimit.TotalSeconds:0}s; see {log}";
    }

    public static uint Uid() => GetUid();

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint GetUid();
}
