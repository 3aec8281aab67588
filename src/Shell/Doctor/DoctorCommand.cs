using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Doctor;

/// <summary>
/// <c>boinc-persist doctor [--slot DIR]</c>: which engine and socket the wrapper would use and why, what the engine
/// is (product, version, API version, cgroup version, rootless), SELinux, the host limits, and what is missing.
/// It resolves the engine exactly as the wrapper does, so where the wrapper would start a private Podman service,
/// doctor starts it too (it exits by itself when idle). Exit 0 when an engine is usable, 1 when not, 2 for a bad
/// command line.
/// </summary>
public static class DoctorCommand
{
    public const string Name = "doctor";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var slot = Option<string>.None;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--slot" && i + 1 < args.Length)
                slot = args[++i];
            else
            {
                stderr.WriteLine($"boinc-persist doctor: unknown argument {args[i]} (see --help)");
                return Program.Usage;
            }
        }

        var preference = slot.Map(PreferenceOf).IfNone(ContainerEngine.Unknown);
        var facts = EngineProbe.Read(preference);
        var endpoint = EngineEndpoint.Resolve(preference);
        var report = Diagnose(facts, endpoint);
        foreach (var (key, value) in report.Lines)
            stdout.WriteLine($"{key + ":",-14}{value}");
        var policyOk = WritePolicy(stdout);
        if (report.Missing.IsEmpty && policyOk)
        {
            stdout.WriteLine("missing:      nothing");
        }
        else
        {
            stdout.WriteLine("missing:");
            foreach (var m in report.Missing)
                stdout.WriteLine($"  - {m}");
            if (!policyOk)
                stdout.WriteLine($"  - a readable host policy ({Host.PolicyFile.PathInUse()}): every job is refused until it is fixed");
        }

        return report.Usable ? Program.Ok : Program.Errors;
    }

    /// <summary>
    /// The host policy in force (<see cref="Host.PolicyFile"/>): where it is read from and what it accepts
    /// beyond the default confinement; its errors with file, line and key. False when it cannot be used.
    /// </summary>
    private static bool WritePolicy(TextWriter stdout)
    {
        var loaded = Host.PolicyFile.Load();
        stdout.WriteLine($"{"policy:",-14}{Host.PolicyFile.PathInUse()}{(Environment.GetEnvironmentVariable(Core.Confinement.HostPolicy.PathVariable) is { Length: > 0 } ? $" (from ${Core.Confinement.HostPolicy.PathVariable})" : "")}");
        foreach (var d in loaded.Findings)
            stdout.WriteLine($"  {d}");
        loaded.Value.Iter(p =>
        {
            stdout.WriteLine($"  source: {p.Source}");
            foreach (var line in p.Describe())
                stdout.WriteLine($"  {line}");
        });
        return loaded.Value.IsSome;
    }

    private sealed record Report(Seq<(string Key, string Value)> Lines, Seq<string> Missing, bool Usable);

    private static Report Diagnose(EngineFacts facts, EngineEndpoint endpoint)
    {
        var lines = new List<(string, string)>
        {
            ("engine", endpoint.ToString()),
            ("preference", facts.Preference == ContainerEngine.Unknown ? "none (no init_data.xml docker_type)" : $"{facts.Preference} (init_data.xml docker_type)"),
            ("sockets", string.Join("; ", facts.SocketStates.Select(kv => $"{kv.Key} {Describe(kv.Value)}"))),
            ("podman", PodmanService.Executable() ?? "not installed"),
            ("user", $"uid {PodmanService.Uid()}{(facts.IsRoot ? " (root)" : "")}, XDG_RUNTIME_DIR {facts.XdgRuntimeDir ?? "unset"}"),
        };
        var missing = new List<string>();

        using var engine = new DockerEngine(endpoint, EnginePolicy.Default with { Attempts = 1, CallLimit = TimeSpan.FromSeconds(15) });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var version = engine.Version(cts.Token).GetAwaiter().GetResult();
        var traits = engine.Traits(cts.Token).GetAwaiter().GetResult();
        var usable = version.IsRight && traits.IsRight;
        version.Match(
            v => lines.Add(("version", $"{v.Version} (API {v.ApiVersion}, {v.Os})")),
            e => missing.Add($"no engine answers at {endpoint.Uri}: {e}. Install Docker or Podman (Debian: apt-get install podman), or set DOCKER_HOST."));
        traits.IfRight(t =>
        {
            lines.Add(("product", t.Kind.ToString()));
            lines.Add(("rootless", t.Rootless ? "yes" : "no"));
            lines.Add(("cgroup", $"v{t.CgroupVersion}"));
            lines.Add(("pause", t.CanPause ? "supported" : "not supported: a suspend checkpoints and stops the job instead"));
            if (!t.CanPause)
                missing.Add("cgroup v2 (rootless Podman cannot pause on cgroup v1); without it suspends stop the job after a checkpoint");
            if (t.Kind == EngineKind.Podman)
            {
                var ulimits = EngineDifferences.PodmanUlimits(Seq<Core.Config.Ulimit>.Empty, t.Limits);
                lines.Add(("on create", $"log driver {EngineDifferences.PodmanLogDriver}, {string.Join(", ", ulimits.Map(u => $"{u.Name}={u.Soft}:{u.Hard}"))}" +
                                        $"{(t.Rootless ? ", userns keep-id" : "")}, tmpfs {string.Join(",", EngineDifferences.PodmanTmpfsOptions)}"));
                if (t.Rootless && string.IsNullOrWhiteSpace(facts.XdgRuntimeDir))
                    missing.Add("XDG_RUNTIME_DIR for the rootless user (loginctl enable-linger USER gives /run/user/UID)");
            }
        });
        lines.Add(("selinux", PodmanHostFacts.SelinuxState() + (PodmanHostFacts.SelinuxEnforcing() ? ": bind mounts are relabelled (:z)" : ": no relabelling")));
        var limits = PodmanHostFacts.Limits();
        lines.Add(("limits", $"nofile hard {limits.NofileHard.Map(n => n.ToString()).IfNone("unlimited")}, nproc hard {limits.NprocHard.Map(n => n.ToString()).IfNone("unlimited")}"));
        lines.Add(("sha-256", Host.Sha256Files.Implementation));
        if (!Host.Sha256Files.Native)
            missing.Add("libcrypto.so.3 (Debian package libssl3, libssl3t64 from Debian 13) for checkpoint hashing at OpenSSL's speed; the managed SHA-256 in use is several times slower on large checkpoints");

        if (!facts.IsRoot && PodmanService.Executable() is not null && !HasSubordinateIds(Environment.UserName))
            missing.Add($"subordinate ids for {Environment.UserName} in /etc/subuid and /etc/subgid (usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {Environment.UserName})");

        return new Report(lines.ToSeq(), missing.ToSeq(), usable);
    }

    private static bool HasSubordinateIds(string user)
    {
        try
        {
            return new[] { "/etc/subuid", "/etc/subgid" }.All(f =>
                File.Exists(f) && File.ReadLines(f).Any(l => l.StartsWith(user + ":", StringComparison.Ordinal)
                                                           || l.StartsWith(PodmanService.Uid() + ":", StringComparison.Ordinal)));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Describe(SocketState s) => s switch
    {
        SocketState.Answers => "answers",
        SocketState.Missing => "absent",
        SocketState.Denied => "permission denied",
        _ => "stale (nothing listens)",
    };

    /// <summary>docker_type from the slot's init_data.xml; Unknown without one (standalone runs, old clients).</summary>
    private static ContainerEngine PreferenceOf(string slotDir)
    {
        try
        {
            using var files = SlotFiles.Open(slotDir);
            if (files.Kind(InitDataReader.FileName).Case is not SlotFileKind.File)
                return ContainerEngine.Unknown;
        }
        catch (IOException)
        {
            return ContainerEngine.Unknown;
        }

        return InitDataReader.Read(slotDir).Value.Map(c => c.HostInfo.Engine).IfNone(ContainerEngine.Unknown);
    }
}
