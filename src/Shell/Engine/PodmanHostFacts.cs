using System;
using System.IO;
using System.Runtime.InteropServices;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// What the host says about itself that matters to Podman (and Docker): SELinux enforcement, the cgroup
/// version, the wrapper's own hard rlimits. Read from /sys and getrlimit; every read that fails gives the
/// conservative answer and never throws.
/// </summary>
public static partial class PodmanHostFacts
{
    public const string SelinuxEnforceFile = "/sys/fs/selinux/enforce";

    /// <summary>SELinux state: "enforcing", "permissive" or "disabled" (no selinuxfs).</summary>
    public static string SelinuxState()
    {
        try
        {
            if (!File.Exists(SelinuxEnforceFile))
                return "disabled";
            return File.ReadAllText(SelinuxEnforceFile).Trim() == "1" ? "enforcing" : "permissive";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // selinuxfs exists but cannot be read: assume enforcing, so mounts are relabelled rather than denied.
            return "enforcing";
        }
    }

    public static bool SelinuxEnforcing() => SelinuxState() == "enforcing";

    /// <summary>Where Podman looks for catatonit, its default init (Debian's package installs the first).</summary>
    public static readonly string[] CatatonitPaths =
    {
        "/usr/libexec/podman/catatonit", "/usr/local/libexec/podman/catatonit", "/usr/lib/podman/catatonit",
        "/usr/libexec/catatonit/catatonit", "/usr/bin/catatonit",
    };

    /// <summary>
    /// Whether a Podman on this host can run an init as PID 1 (Init: true through the compat API): catatonit is
    /// installed, or containers.conf names another init (<c>init_path</c>). Without one, Podman refuses to create
    /// the container ("container-init binary not found on the host").
    /// </summary>
    public static bool PodmanInitAvailable()
    {
        if (Array.Exists(CatatonitPaths, File.Exists))
            return true;
        foreach (var conf in new[] { "/etc/containers/containers.conf", "/usr/share/containers/containers.conf" })
        {
            try
            {
                if (File.Exists(conf) && Array.Exists(File.ReadAllLines(conf), l => l.TrimStart().StartsWith("init_path", StringComparison.Ordinal)))
                    return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Unreadable: as if absent.
            }
        }

        return false;
    }

    /// <summary>2 for the unified hierarchy alone; 1 for v1 or hybrid (engines then use v1 controllers).</summary>
    public static int HostCgroupVersion() =>
        File.Exists("/sys/fs/cgroup/cgroup.controllers") ? 2 : 1;

    /// <summary>
    /// Whether the engine's unix socket belongs to a user other than root: a Podman service runs as the owner
    /// of its socket, so that is a rootless one. (Podman's compat <c>/info</c> says so only in a field of its
    /// own, <c>Rootless</c>, which the Docker models do not carry; Docker's rootless mode says
    /// <c>name=rootless</c> in SecurityOptions.)
    /// </summary>
    public static bool SocketOwnedByUser(Uri endpoint)
    {
        if (endpoint.Scheme != "unix")
            return false;
        try
        {
            return Host.FileOwner.Of(endpoint.LocalPath).Uid != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return false;
        }
    }

    public static HostLimits Limits() => new(HardLimit(RlimitNofile), HardLimit(RlimitNproc));

    private const int RlimitNproc = 6;
    private const int RlimitNofile = 7;

    private static Option<long> HardLimit(int resource)
    {
        if (GetRlimit(resource, out var limit) != 0)
            return Option<long>.None;
        // RLIM_INFINITY is all ones.
        return limit.Max == ulong.MaxValue || limit.Max > long.MaxValue ? Option<long>.None : Option<long>.Some((long)limit.Max);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Cur;
        public ulong Max;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);
}
