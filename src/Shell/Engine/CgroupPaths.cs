using System;
using System.Globalization;
using System.Text;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>Where a process's cumulative CPU counter lives, and how to read its text.</summary>
/// <param name="Path">The counter file: <c>cpuacct.usage</c> (v1, nanoseconds) or <c>cpu.stat</c> (v2).</param>
/// <param name="Version">1 or 2: which format <see cref="CgroupPaths.ParseNanos"/> expects.</param>
public sealed record CgroupCounter(string Path, int Version);

/// <summary>
/// Pure functions over the kernel's texts (<c>/proc/PID/cgroup</c>, <c>/proc/self/mountinfo</c>, the counter
/// files): which file holds a container's CPU time, and what number it says. Works on cgroup v1, v2 and the
/// hybrid layout (v1 controllers plus an empty v2 tree, as on this machine), whatever the engine's cgroup
/// driver (cgroupfs: <c>/docker/ID</c>; systemd: <c>/system.slice/docker-ID.scope</c>; Podman:
/// <c>libpod-ID.scope</c>): the path comes from the container's own process, never from a naming guess.
/// </summary>
public static class CgroupPaths
{
    /// <summary>
    /// From <c>/proc/PID/cgroup</c>: the process's path in the v1 hierarchy that has <paramref name="controller"/>,
    /// and its path in the v2 unified tree (each null when absent). Lines are
    /// <c>hierarchy-ID:controller-list:cgroup-path</c>, and the path may itself contain ':'.
    /// </summary>
    public static (string? V1Path, string? V2Path) Membership(string procCgroup, string controller)
    {
        string? v1Path = null;
        string? v2Path = null;
        foreach (var line in procCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var first = line.IndexOf(':');
            var second = first < 0 ? -1 : line.IndexOf(':', first + 1);
            if (second < 0)
                continue;
            var controllers = line[(first + 1)..second];
            var path = line[(second + 1)..];
            if (line[..first] == "0" && controllers.Length == 0)
                v2Path = path;
            else if (Array.IndexOf(controllers.Split(','), controller) >= 0)
                v1Path = path;
        }

        return (v1Path, v2Path);
    }

    /// <summary>The two kernel texts a locate needs: <c>/proc/PID/cgroup</c> and the reader's mountinfo.</summary>
    public static Either<string, (string ProcCgroup, string MountInfo)> ReadProc(int pid)
    {
        try
        {
            return (System.IO.File.ReadAllText($"/proc/{pid}/cgroup"), System.IO.File.ReadAllText("/proc/self/mountinfo"));
        }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException)
        {
            return $"cannot read /proc/{pid}/cgroup or /proc/self/mountinfo: {e.Message}";
        }
    }

    /// <summary>
    /// The counter file for a process whose <c>/proc/PID/cgroup</c> is <paramref name="procCgroup"/>, given the
    /// reader's <c>/proc/self/mountinfo</c>. A v1 <c>cpuacct</c> hierarchy wins when the process is in one
    /// (on a hybrid host the v2 path is not the container's); else the v2 unified path. Left says why not.
    /// </summary>
    public static Either<string, CgroupCounter> Locate(string procCgroup, string mountInfo)
    {
        var (v1Path, v2Path) = Membership(procCgroup, "cpuacct");

        if (v1Path is not null)
        {
            return MountFor(mountInfo, "cgroup", "cpuacct", v1Path)
                .Map(dir => new CgroupCounter(Join(dir, "cpuacct.usage"), 1))
                .ToEither($"the process is in the v1 cpuacct cgroup {v1Path}, but no cgroup mount with cpuacct in /proc/self/mountinfo shows it");
        }

        if (v2Path is null)
            return "the process's cgroup file names neither a v1 cpuacct nor a v2 cgroup";
        if (v2Path == "/")
            return "the process is in the v2 root cgroup, which has no CPU counter of its own";
        return MountFor(mountInfo, "cgroup2", null, v2Path)
            .Map(dir => new CgroupCounter(Join(dir, "cpu.stat"), 2))
            .ToEither($"the process is in the v2 cgroup {v2Path}, but no cgroup2 mount in /proc/self/mountinfo shows it");
    }

    /// <summary>The CPU time in a counter file's text, in nanoseconds (v2: <c>usage_usec</c> times 1000).</summary>
    public static Option<long> ParseNanos(string text, int version)
    {
        if (version == 1)
            return long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var ns) ? ns : Option<long>.None;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("usage_usec ", StringComparison.Ordinal) &&
                long.TryParse(line["usage_usec ".Length..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var us))
                return us * 1000;
        }

        return Option<long>.None;
    }

    /// <summary>
    /// The directory of cgroup <paramref name="cgroupPath"/> in the mount of file-system type
    /// <paramref name="fsType"/> (with <paramref name="controller"/> among its options for v1) whose root
    /// contains that path. mountinfo: <c>ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPEROPTS</c>.
    /// </summary>
    public static Option<string> MountFor(string mountInfo, string fsType, string? controller, string cgroupPath)
    {
        foreach (var line in mountInfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0)
                continue;
            var head = line[..dash].Split(' ');
            var tail = line[(dash + 3)..].Split(' ');
            if (head.Length < 5 || tail.Length < 3 || tail[0] != fsType)
                continue;
            if (controller is not null && Array.IndexOf(tail[2].Split(','), controller) < 0)
                continue;
            var root = Unescape(head[3]);
            var mountPoint = Unescape(head[4]);
            if (root == "/")
                return Join(mountPoint, cgroupPath);
            if (cgroupPath == root || cgroupPath.StartsWith(root + "/", StringComparison.Ordinal))
                return Join(mountPoint, cgroupPath[root.Length..]);
        }

        return Option<string>.None;
    }

    private static string Join(string dir, string rest) =>
        dir.TrimEnd('/') + "/" + rest.TrimStart('/');

    /// <summary>mountinfo escapes space, tab, newline and backslash as three octal digits (<c>\040</c>).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var b = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                b.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                b.Append(field[i]);
            }
        }

        return b.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
