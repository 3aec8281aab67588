using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Host;

namespace Boinc.Persist.Integration.Engine;

/// <summary>
/// An engine of the test's own, for tests that kill or restart an engine: the shared engine is never touched.
/// Docker: a dockerd (socket, data root, exec root, pid file under one short /tmp directory). Podman (with
/// BOINC_PERSIST_TEST_ENGINE=podman): a <c>podman system service</c> with its own storage root, run root and
/// socket there, the equivalent thing to kill: its containers live on under conmon, as Docker's do under their
/// shims. The base image is copied in with <c>save | load</c>. Dispose removes its containers, stops it and
/// deletes its directory.
/// </summary>
public sealed class PrivateEngine : IAsyncDisposable
{
    private Process? daemon;

    private PrivateEngine(string dir) => Dir = dir;

    public string Dir { get; }

    public string Socket => Path.Combine(Dir, "d.sock");

    public EngineEndpoint Endpoint => EngineEndpoint.FromUri("unix://" + Socket);

    public static async Task<PrivateEngine> Start(string baseImage, CancellationToken ct)
    {
        // Short: containerd and the runtime put unix sockets under the exec root (at most 107 bytes).
        var dir = $"/tmp/bpd-{Guid.NewGuid().ToString("N")[..8]}";
        Directory.CreateDirectory(dir);
        var engine = new PrivateEngine(dir);
        await engine.Launch(ct);
        await Shell(TestEngine.IsPodman
            ? $"podman save {baseImage} | {engine.Podman} load"
            : $"docker save {baseImage} | docker -H unix://{engine.Socket} load", ct);
        return engine;
    }

    /// <summary>Starts (or restarts) the daemon on the same directories and waits until it answers.</summary>
    /// <summary>The podman command line on this engine's storage (Podman only).</summary>
    private string Podman => $"podman --root {Dir}/root --runroot {Dir}/run";

    public async Task Launch(CancellationToken ct)
    {
        var info = TestEngine.IsPodman
            ? new ProcessStartInfo("podman")
            {
                ArgumentList =
                {
                    "--root", Path.Combine(Dir, "root"), "--runroot", Path.Combine(Dir, "run"),
                    "system", "service", "--time=0", "unix://" + Socket,
                },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            }
            : new ProcessStartInfo("dockerd")
        {
            ArgumentList =
            {
                "--host", "unix://" + Socket, "--data-root", Path.Combine(Dir, "data"), "--exec-root", Path.Combine(Dir, "exec"),
                "--pidfile", Path.Combine(Dir, "d.pid"), "--bridge=none", "--iptables=false", "--ip6tables=false",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        daemon = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {info.FileName}");
        var log = Path.Combine(Dir, "dockerd.log");
        _ = daemon.StandardError.BaseStream.CopyToAsync(File.Open(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), CancellationToken.None);
        _ = daemon.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
        using var probe = new DockerEngine(Endpoint, EnginePolicy.Default with { Attempts = 1, CallLimit = TimeSpan.FromSeconds(2) });
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if ((await probe.Version(ct)).IsRight)
                return;
            if (daemon.HasExited || sw.Elapsed > TimeSpan.FromSeconds(60))
                throw new InvalidOperationException($"private {info.FileName} did not come up; see {log}: {TailOf(log)}");
            await Task.Delay(200, ct);
        }
    }

    /// <summary>kill -9 of the daemon we started (by its pid); its containers' shims live on.</summary>
    public async Task KillDaemon()
    {
        if (daemon is { HasExited: false } d)
        {
            d.Kill();
            await d.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            if (daemon is { HasExited: false })
            {
                await Shell(TestEngine.IsPodman
                    ? $"{Podman} rm -af >/dev/null"
                    : $"docker -H unix://{Socket} ps -aq | xargs -r docker -H unix://{Socket} rm -f", cts.Token);
                if (!Libc.ProcessExists(daemon.Id)) return;
                Process.Start("kill", new[] { "-TERM", daemon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) })?.WaitForExit();
                await daemon.WaitForExitAsync(cts.Token);
            }
        }
        finally
        {
            daemon?.Dispose();
            if (TestEngine.IsPodman)
                await Shell($"{Podman} rm -af >/dev/null 2>&1; umount -R {Dir}/root/overlay {Dir}/run 2>/dev/null; umount -R {Dir}/root 2>/dev/null; rm -rf {Dir}", CancellationToken.None);
            else
                await Shell($"umount -R {Dir}/exec {Dir}/data 2>/dev/null; rm -rf {Dir}", CancellationToken.None);
        }
    }

    private static async Task Shell(string script, CancellationToken ct)
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh", new[] { "-c", script }) { RedirectStandardError = true })
            ?? throw new InvalidOperationException("cannot run sh");
        var err = await p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0 && !script.Contains("umount", StringComparison.Ordinal))
            throw new InvalidOperationException($"`{script}` failed ({p.ExitCode}): {err}");
    }

    private static string TailOf(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text.Length > 2000 ? text[^2000..] : text;
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }
}
