using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Boinc.Persist.Bench;

/// <summary>
/// A cgroup of its own for one wrapper process and everything it spawns, so its CPU time is read in
/// nanoseconds (the kernel's per-cgroup counter, including children and exited threads) instead of
/// /proc/PID/stat's 10 ms ticks. v1 cpuacct (hybrid hosts such as this one) or v2 cpu.stat.
/// </summary>
public sealed class WrapperCgroup : IDisposable
{
    private const string V1Root = "/sys/fs/cgroup/cpuacct";
    private const string V2Root = "/sys/fs/cgroup";

    private WrapperCgroup(string dir, bool v2)
    {
        Dir = dir;
        V2 = v2;
    }

    public string Dir { get; }

    public bool V2 { get; }

    public string Procs => Path.Combine(Dir, "cgroup.procs");

    /// <summary>Creates BASE/NAME under the cpuacct (v1) or unified (v2) hierarchy; throws when neither works.</summary>
    public static WrapperCgroup Create(string run, string name)
    {
        if (File.Exists(Path.Combine(V1Root, "cpuacct.usage")))
        {
            var dir = Path.Combine(V1Root, "boinc-persist-bench-" + run, name);
            Directory.CreateDirectory(dir);
            return new WrapperCgroup(dir, false);
        }

        if (File.Exists(Path.Combine(V2Root, "cgroup.controllers")))
        {
            var dir = Path.Combine(V2Root, "boinc-persist-bench-" + run, name);
            Directory.CreateDirectory(dir);
            return new WrapperCgroup(dir, true);
        }

        throw new InvalidOperationException("neither a v1 cpuacct nor a v2 cgroup hierarchy is mounted under /sys/fs/cgroup");
    }

    /// <summary>CPU time of everything in the cgroup so far, in seconds.</summary>
    public double CpuSeconds()
    {
        if (!V2)
            return long.Parse(File.ReadAllText(Path.Combine(Dir, "cpuacct.usage")).Trim(), CultureInfo.InvariantCulture) / 1e9;
        var line = File.ReadAllLines(Path.Combine(Dir, "cpu.stat")).First(l => l.StartsWith("usage_usec ", StringComparison.Ordinal));
        return long.Parse(line["usage_usec ".Length..], CultureInfo.InvariantCulture) / 1e6;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir);
            var parent = Path.GetDirectoryName(Dir)!;
            if (!Directory.EnumerateDirectories(parent).Any())
                Directory.Delete(parent);
        }
        catch (IOException)
        {
            // A process still in it (a wrapper that did not exit): left for the next run's cleanup.
        }
    }
}
