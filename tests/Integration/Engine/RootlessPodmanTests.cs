using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Host;
using Xunit;

namespace Boinc.Persist.Integration.Engine;

/// <summary>
/// The wrapper as a non-root BOINC user with rootless Podman and nothing else: no DOCKER_HOST, no service
/// running, Docker's and rootful Podman's sockets forbidden to it. It must start its private Podman service,
/// see that it is rootless on cgroup v1 (no pause), run the job with keep-id, and leave files in the slot that the
/// user owns and can delete. Needs root (it creates the user) and podman (scripts/podman-up.sh); runs the same
/// whichever engine the suite targets.
/// </summary>
[Collection(EngineAloneCollection.Name)]
public sealed class RootlessPodmanTests(EngineFixture engine)
{
    private const string User = "bp-rootless";

    [Fact]
    public async Task A_job_under_rootless_podman_leaves_files_the_boinc_user_owns_and_can_delete()
    {
        // Given a non-root user with subordinate ids, a runtime directory and the base image in its own storage
        var uid = EnsureUser();
        var runtime = $"/run/user/{uid}";
        Sh($"mkdir -p {runtime} && chown {User}: {runtime} && chmod 700 {runtime}");
        AsUser(uid, $"podman image exists {engine.BaseImage} || bash {Repo("scripts/base-image.sh")} podman", TimeSpan.FromMinutes(3));

        using var root = engine.NewTempRoot();
        var slot = root.Directory("slot");
        File.WriteAllText(Path.Combine(slot, "Dockerfile"),
            $"FROM {engine.BaseImage}\nWORKDIR /app\n" +
            "CMD [\"/bin/sh\", \"-c\", \"id -u > who.txt; mkdir -p out/deep; echo 42 > out/deep/answer.txt; echo done\"]\n");
        File.WriteAllText(Path.Combine(slot, "job.toml"), "[lifecycle]\nstop_grace = \"5s\"\n");
        Sh($"chmod 755 {Path.GetDirectoryName(slot)} && chown -R {User}: {slot}");
        var wrapper = Path.Combine(AppContext.BaseDirectory, "boinc-persist");
        try
        {
            // When BOINC's user runs the wrapper in the slot, with none of the test's engine settings
            var (exit, output) = AsUser(uid, $"cd {slot} && exec {wrapper} run --slot .", TimeSpan.FromMinutes(4));

            // Then it chose (and started) its own rootless service, knew it cannot pause, and the job finished
            // (standalone, the wrapper logs to its stderr: the BOINC client is what points that at stderr.txt)
            var log = output;
            Assert.True(exit == 0, $"exit {exit}: {log}");
            Assert.Contains($"{runtime}/boinc-persist/podman.sock", log);
            Assert.Contains("Podman (rootless)", log);
            Assert.Contains("cannot pause containers", log);
            Assert.Contains("[job] done", log);

            // And every file the job wrote belongs to the BOINC user, who can delete it
            Assert.Equal(uid.ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(slot, "who.txt")).Trim());
            foreach (var path in new[] { "who.txt", "out", "out/deep", "out/deep/answer.txt" }.Select(p => Path.Combine(slot, p)))
                Assert.Equal(uid, FileOwner.Of(path).Uid);
            Assert.Equal(0, AsUser(uid, $"rm -r {slot}/out {slot}/who.txt", TimeSpan.FromSeconds(30)).Exit);
            Assert.False(Directory.Exists(Path.Combine(slot, "out")));
        }
        finally
        {
            AsUser(uid, "podman rm -af >/dev/null 2>&1; true", TimeSpan.FromMinutes(1));
            StopServicesOf(uid);
        }
    }

    private static long EnsureUser()
    {
        Sh($"id -u {User} >/dev/null 2>&1 || useradd -m -s /bin/sh {User}");
        Sh($"grep -q '^{User}:' /etc/subuid || usermod --add-subuids 300000-365535 {User}");
        Sh($"grep -q '^{User}:' /etc/subgid || usermod --add-subgids 300000-365535 {User}");
        return long.Parse(Sh($"id -u {User}").Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a script as the user, with only XDG_RUNTIME_DIR set of everything engine-related.</summary>
    private static (int Exit, string Output) AsUser(long uid, string script, TimeSpan limit)
    {
        var full = $"unset DOCKER_HOST DOCKER_API_VERSION; export XDG_RUNTIME_DIR=/run/user/{uid}; cd /tmp; {script}";
        var info = new ProcessStartInfo("su", new[] { User, "-s", "/bin/sh", "-c", full })
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(info) ?? throw new InvalidOperationException("cannot run su");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{script}` as {User} did not end within {limit}");
        }

        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>The private services the wrapper started for the user (by pid: nothing else is touched).</summary>
    private static void StopServicesOf(long uid)
    {
        foreach (var dir in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmd.Contains("system service", StringComparison.Ordinal)
                    && cmd.Contains($"/run/user/{uid}/boinc-persist/podman.sock", StringComparison.Ordinal))
                    Sh($"kill {Path.GetFileName(dir)}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // The process ended meanwhile.
            }
        }
    }

    private static string Repo(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
                return candidate;
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    private static string Sh(string script)
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh", new[] { "-c", script })
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("cannot run sh");
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"`{script}` failed ({p.ExitCode}): {error}");
        return output;
    }
}
