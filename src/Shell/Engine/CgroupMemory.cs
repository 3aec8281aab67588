using System;
using System.Globalization;
using System.IO;
using System.Text;
using LanguageExt;
using Microsoft.Win32.SafeHandles;

namespace Boinc.Persist.Shell.Engine;

/// <summary>Where a container's memory cgroup lives: its directory and the cgroup version (1 or 2).</summary>
public sealed record CgroupMemoryDir(string Directory, int Version);

/// <summary>
/// A container's memory use as BOINC wants it for scheduling: the working set (bytes in use minus the page cache
/// the kernel can drop at once, the figure <c>docker stats</c> and cAdvisor show) and the largest use so far.
/// </summary>
/// <param name="WorkingSetBytes">Usage minus inactive file pages, never negative.</param>
/// <param name="MaxWorkingSetBytes">The kernel's own peak of usage (v1 <c>memory.max_usage_in_bytes</c>, v2
/// <c>memory.peak</c>; page cache included, as the kernel counts it) when it keeps one, else the largest working set
/// sampled; never below <paramref name="WorkingSetBytes"/>.</param>
public sealed record MemoryUse(long WorkingSetBytes, long MaxWorkingSetBytes);

/// <summary>
/// Pure functions over the kernel's texts: which directory holds a process's memory cgroup (the same
/// <c>/proc/PID/cgroup</c> + mountinfo reading as <see cref="CgroupPaths.Locate"/>; a v1 <c>memory</c> hierarchy
/// wins on a hybrid host), and the numbers its files hold.
/// </summary>
public static class CgroupMemoryPaths
{
    public static Either<string, CgroupMemoryDir> Locate(string procCgroup, string mountInfo)
    {
        var (v1Path, v2Path) = CgroupPaths.Membership(procCgroup, "memory");

        if (v1Path is not null)
        {
            return CgroupPaths.MountFor(mountInfo, "cgroup", "memory", v1Path)
                .Map(dir => new CgroupMemoryDir(dir, 1))
                .ToEither($"the process is in the v1 memory cgroup {v1Path}, but no cgroup mount with memory in /proc/self/mountinfo shows it");
        }

        if (v2Path is null)
            return "the process's cgroup file names neither a v1 memory nor a v2 cgroup";
        if (v2Path == "/")
            return "the process is in the v2 root cgroup, which has no memory counter of its own";
        return CgroupPaths.MountFor(mountInfo, "cgroup2", null, v2Path)
            .Map(dir => new CgroupMemoryDir(dir, 2))
            .ToEither($"the process is in the v2 cgroup {v2Path}, but no cgroup2 mount in /proc/self/mountinfo shows it");
    }

    /// <summary>A counter file's one number (<c>memory.usage_in_bytes</c>, <c>memory.current</c>, <c>memory.peak</c>).</summary>
    public static Option<long> ParseBytes(string text) =>
        long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : Option<long>.None;

    /// <summary>The inactive file pages in a <c>memory.stat</c> text (v1 <c>total_inactive_file</c>, v2 <c>inactive_file</c>); 0 when absent.</summary>
    public static long InactiveFile(string stat, int version)
    {
        var key = version == 1 ? "total_inactive_file " : "inactive_file ";
        foreach (var line in stat.Split('\n'))
        {
            if (line.StartsWith(key, StringComparison.Ordinal) &&
                long.TryParse(line[key.Length..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var b))
                return b;
        }

        return 0;
    }

    /// <summary>
    /// The use from one reading: working set = usage minus inactive file pages (at least 0); the peak is the
    /// kernel's when it has one, else <paramref name="previousMax"/>, and never below the working set.
    /// </summary>
    public static MemoryUse Use(long usage, long inactiveFile, Option<long> kernelPeak, long previousMax)
    {
        var wss = Math.Max(0, usage - Math.Max(0, inactiveFile));
        var peak = Math.Max(Math.Max(kernelPeak.IfNone(0), previousMax), wss);
        return new MemoryUse(wss, peak);
    }
}

/// <summary>
/// A container's memory use read from its cgroup: the files are opened once per container start and each sample
/// is a <c>pread</c> of each (no engine call per tick). The files vanish with the cgroup: a failed read says so.
/// </summary>
public sealed class CgroupMemory : IDisposable
{
    private readonly SafeFileHandle usage;
    private readonly SafeFileHandle stat;
    private readonly Option<SafeFileHandle> peak;
    private readonly byte[] buffer = new byte[16384];
    private long max;

    private CgroupMemory(CgroupMemoryDir dir, SafeFileHandle usage, SafeFileHandle stat, Option<SafeFileHandle> peak)
    {
        Dir = dir;
        this.usage = usage;
        this.stat = stat;
        this.peak = peak;
    }

    public CgroupMemoryDir Dir { get; }

    /// <summary>The memory cgroup of the process <paramref name="pid"/>; Left says why not.</summary>
    public static Either<string, CgroupMemory> Open(int pid)
    {
        return CgroupPaths.ReadProc(pid).Bind(t => CgroupMemoryPaths.Locate(t.ProcCgroup, t.MountInfo)).Bind(OpenDir);
    }

    public static Either<string, CgroupMemory> OpenDir(CgroupMemoryDir dir)
    {
        var (usageName, peakName) = dir.Version == 1
            ? ("memory.usage_in_bytes", "memory.max_usage_in_bytes")
            : ("memory.current", "memory.peak");
        SafeFileHandle? u = null;
        SafeFileHandle? s = null;
        try
        {
            u = File.OpenHandle(Path.Combine(dir.Directory, usageName), FileMode.Open, FileAccess.Read);
            s = File.OpenHandle(Path.Combine(dir.Directory, "memory.stat"), FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            u?.Dispose();
            s?.Dispose();
            return $"cannot open the memory counters in {dir.Directory}: {e.Message}";
        }

        // memory.peak came with Linux 5.19: without it the peak is the largest working set sampled.
        Option<SafeFileHandle> p;
        try
        {
            p = File.OpenHandle(Path.Combine(dir.Directory, peakName), FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            p = Option<SafeFileHandle>.None;
        }

        var memory = new CgroupMemory(dir, u, s, p);
        return memory.Read().Match<Either<string, CgroupMemory>>(
            _ => memory,
            why =>
            {
                memory.Dispose();
                return why;
            });
    }

    /// <summary>The use now; Left when the cgroup is gone or a file does not hold what it should.</summary>
    public Either<string, MemoryUse> Read()
    {
        try
        {
            var used = CgroupMemoryPaths.ParseBytes(Text(usage));
            if (used.IsNone)
                return $"{Dir.Directory}: the usage counter does not hold a number";
            var inactive = CgroupMemoryPaths.InactiveFile(Text(stat), Dir.Version);
            var kernelPeak = peak.Bind(h => CgroupMemoryPaths.ParseBytes(Text(h)));
            var use = CgroupMemoryPaths.Use(used.IfNone(0), inactive, kernelPeak, max);
            max = use.MaxWorkingSetBytes;
            return use;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{Dir.Directory}: {e.Message}";
        }
    }

    private string Text(SafeFileHandle handle)
    {
        var n = RandomAccess.Read(handle, buffer, 0);
        return Encoding.ASCII.GetString(buffer, 0, n);
    }

    public void Dispose()
    {
        usage.Dispose();
        stat.Dispose();
        peak.Iter(h => h.Dispose());
    }
}
