using System;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using LanguageExt;
using ContainerSpec = Boinc.Persist.Core.Planning.ContainerSpec;

namespace Boinc.Persist.Shell.Engine;

/// <summary>Which product serves the Engine API.</summary>
public enum EngineKind
{
    Docker,
    Podman,
}

/// <summary>The host's hard resource limits as the wrapper sees them (None = unlimited).</summary>
public sealed record HostLimits(Option<long> NofileHard, Option<long> NprocHard)
{
    public static readonly HostLimits Unlimited = new(Option<long>.None, Option<long>.None);
}

/// <summary>
/// What the create path must know about the engine and the host: read once per wrapper run (engine
/// <c>/version</c> and <c>/info</c>, <c>/sys/fs/selinux/enforce</c>, the wrapper's own rlimits), then handed to
/// the pure <see cref="EngineDifferences.Adapt"/>.
/// </summary>
public sealed record EngineTraits(EngineKind Kind, bool Rootless, bool SelinuxEnforcing, int CgroupVersion, HostLimits Limits)
{
    public static readonly EngineTraits PlainDocker = new(EngineKind.Docker, false, false, 2, HostLimits.Unlimited);

    /// <summary>Rootless Podman on cgroup v1 cannot freeze a container: pause/unpause do not exist there.</summary>
    public bool CanPause => !(Kind == EngineKind.Podman && Rootless && CgroupVersion < 2);

    /// <summary>Whether the engine can run an init as the container's PID 1 (Podman needs catatonit or an init_path).</summary>
    public bool InitAvailable { get; init; } = true;
}

/// <summary>Create options that are not part of the plan but of the engine we talk to.</summary>
public sealed record EngineCreateOptions(Option<string> LogDriver, Option<string> UsernsMode, Seq<string> TmpfsOptions)
{
    public static readonly EngineCreateOptions None = new(Option<string>.None, Option<string>.None, Seq<string>.Empty);
}

/// <summary>
/// The differences between Docker and Podman that the create path handles, as pure decisions (the plan stays
/// engine-neutral; <c>boinc-persist plan</c> shows it):
/// <list type="bullet">
/// <item>Log driver: Podman logs to journald where systemd runs, and its compat API reads journald logs only
/// with journal access; <c>k8s-file</c> (docker_wrapper does the same) keeps <c>logs --follow</c> working.</item>
/// <item>Ulimits: rootful Podman sets nofile=1048576 and nproc=4194304 by default, which fail at start ("error
/// setting rlimit") wherever root lacks CAP_SYS_RESOURCE (LXC, nested containers) or the rootless user's hard
/// limits are lower. Podman drops all its defaults as soon as one ulimit is given, so both are passed
/// explicitly: the job's own <c>--ulimit</c> wins; otherwise the lowest of Podman's default, the wrapper's hard
/// limit (the service runs as the same user) and a ceiling Podman's service can always grant itself.</item>
/// <item>Tmpfs: <c>notmpcopyup</c>, so the tmpfs over the wrapper's state stays empty (Podman copies up).</item>
/// <item>Rootless Podman: <c>keep-id</c> maps the slot owner's uid to itself, so files the job writes into the
/// slot stay owned (and deletable) by the BOINC user instead of a subordinate uid.</item>
/// <item>SELinux: bind mounts need <c>:z</c> only where SELinux enforces; elsewhere relabelling is dropped (it
/// would rewrite labels on the BOINC data directory for nothing, and fails on file systems without xattrs).</item>
/// </list>
/// </summary>
public static class EngineDifferences
{
    public const long PodmanDefaultNofile = 1048576;
    public const long PodmanDefaultNproc = 4194304;

    /// <summary>
    /// The nproc a rootful Podman service keeps when it cannot raise its own limit (observed: it lowers itself
    /// to 32768 without CAP_SYS_RESOURCE); more than a container's pids limit needs, and always grantable.
    /// </summary>
    public const long PodmanNprocCeiling = 32768;

    public const string PodmanLogDriver = "k8s-file";

    /// <summary>
    /// Podman copies what lies under a tmpfs mount point into the tmpfs (<c>tmpcopyup</c>, its default): the
    /// empty tmpfs that hides the wrapper's state (<c>WORKDIR/.boinc-persist</c>) would show the container a
    /// copy of the journal and the checkpoint store. <c>notmpcopyup</c> keeps every tmpfs empty, as Docker's are.
    /// </summary>
    public static readonly Seq<string> PodmanTmpfsOptions = Seq1("notmpcopyup");

    private static Seq<string> Seq1(string s) => new[] { s }.ToSeq();

    public static (ContainerSpec Spec, EngineCreateOptions Options) Adapt(ContainerSpec spec, EngineTraits traits)
    {
        var mounts = spec.Mounts.Map(m => m with { Relabel = Relabelled(m, traits.SelinuxEnforcing) });
        // No init where the engine has none (Podman without catatonit): the container still runs; the wrapper warns.
        spec = spec with { Init = spec.Init && traits.InitAvailable };
        if (traits.Kind == EngineKind.Docker)
            return (spec with { Mounts = mounts }, EngineCreateOptions.None);

        return (
            spec with { Mounts = mounts, Ulimits = PodmanUlimits(spec.Ulimits, traits.Limits) },
            new EngineCreateOptions(
                PodmanLogDriver,
                traits.Rootless ? Option<string>.Some("keep-id") : Option<string>.None,
                PodmanTmpfsOptions));
    }

    /// <summary>The job's ulimits plus explicit nofile and nproc where the job gave none.</summary>
    public static Seq<Ulimit> PodmanUlimits(Seq<Ulimit> asked, HostLimits host)
    {
        var result = asked;
        if (!asked.Exists(u => u.Name == "nofile"))
        {
            var n = Math.Min(PodmanDefaultNofile, host.NofileHard.IfNone(PodmanDefaultNofile));
            result = result.Add(new Ulimit("nofile", n, n));
        }

        if (!asked.Exists(u => u.Name == "nproc"))
        {
            var n = Math.Min(PodmanNprocCeiling, host.NprocHard.IfNone(PodmanNprocCeiling));
            result = result.Add(new Ulimit("nproc", n, n));
        }

        return result;
    }

    /// <summary>
    /// Relabel only where SELinux enforces: the slot, the project directory and the inputs get the shared
    /// label <c>z</c> (several slots read one project directory), unless job.toml asked for <c>Z</c>.
    /// </summary>
    public static Relabel Relabelled(PlannedMount mount, bool selinuxEnforcing) =>
        !selinuxEnforcing ? Relabel.None
        : mount.Relabel == Relabel.None ? Relabel.Shared
        : mount.Relabel;

    /// <summary>
    /// Podman names the images it builds or imports <c>localhost/NAME</c> (BOINC issue #6922); Docker names
    /// library images <c>docker.io/library/NAME</c>. Both answer to the short name we gave, but listings show
    /// the long one: compare names in this form.
    /// </summary>
    public static string ShortImageName(string reference)
    {
        foreach (var prefix in new[] { "localhost/", "docker.io/library/", "docker.io/" })
        {
            if (reference.StartsWith(prefix, StringComparison.Ordinal))
                return reference[prefix.Length..];
        }

        return reference;
    }

    /// <summary>Whether two image references name the same image, whichever engine spelled them.</summary>
    public static bool SameImage(string a, string b) =>
        string.Equals(ShortImageName(a), ShortImageName(b), StringComparison.Ordinal);

    /// <summary>The engine product, from <c>/version</c>'s platform or component names.</summary>
    public static EngineKind KindFrom(string platformName, Seq<string> componentNames) =>
        platformName.Contains("podman", StringComparison.OrdinalIgnoreCase)
        || componentNames.Exists(c => c.Contains("podman", StringComparison.OrdinalIgnoreCase))
            ? EngineKind.Podman
            : EngineKind.Docker;

    /// <summary>Rootless, from <c>/info</c>'s SecurityOptions (<c>name=rootless</c>, Docker and Podman alike).</summary>
    public static bool RootlessFrom(Seq<string> securityOptions) =>
        securityOptions.Exists(o => o.Split(',').Contains("name=rootless", StringComparer.Ordinal));

    /// <summary>For the record of what was used: one line.</summary>
    public static string Describe(EngineTraits t) =>
        $"{t.Kind}{(t.Rootless ? " (rootless)" : "")}, cgroup v{t.CgroupVersion}, SELinux {(t.SelinuxEnforcing ? "enforcing" : "not enforcing")}" +
        (t.CanPause ? "" : ", no pause");
}
