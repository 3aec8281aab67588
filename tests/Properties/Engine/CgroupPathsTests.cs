using Boinc.Persist.Shell.Engine;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Engine;

/// <summary>
/// Which file holds a container's CPU time, from the kernel's own texts: v1, v2, hybrid (this machine),
/// systemd and namespaced mounts; and the numbers those files hold.
/// </summary>
public class CgroupPathsTests
{
    private const string Id = "5ef1fc90d246302a515837f22838c31048eb5d22b8b85db3b679308ddb555d1a";

    // This machine: Docker with the cgroupfs driver on a hybrid host (v1 controllers, empty v2 tree).
    private const string HybridMounts = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    private const string HybridProc = $"""
        9:name=systemd:/docker/{Id}
        2:cpuacct:/docker/{Id}
        1:cpu:/docker/{Id}
        0::/docker/{Id}
        """;

    [Fact]
    public void Hybrid_host_uses_the_v1_cpuacct_counter_not_the_empty_v2_tree()
    {
        var found = CgroupPaths.Locate(HybridProc, HybridMounts);
        Assert.Equal(new CgroupCounter($"/sys/fs/cgroup/cpuacct/docker/{Id}/cpuacct.usage", 1), Ok(found));
    }

    [Fact]
    public void Combined_cpu_cpuacct_hierarchy_under_systemd_driver()
    {
        var mounts = "25 20 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n";
        var proc = $"4:cpu,cpuacct:/system.slice/docker-{Id}.scope\n0::/system.slice/docker-{Id}.scope\n";
        Assert.Equal(
            new CgroupCounter($"/sys/fs/cgroup/cpu,cpuacct/system.slice/docker-{Id}.scope/cpuacct.usage", 1),
            Ok(CgroupPaths.Locate(proc, mounts)));
    }

    [Fact]
    public void Pure_v2_host_uses_cpu_stat()
    {
        var mounts = "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev - cgroup2 cgroup2 rw,nsdelegate\n";
        var proc = $"0::/system.slice/docker-{Id}.scope\n";
        Assert.Equal(
            new CgroupCounter($"/sys/fs/cgroup/system.slice/docker-{Id}.scope/cpu.stat", 2),
            Ok(CgroupPaths.Locate(proc, mounts)));
    }

    [Fact]
    public void A_mount_of_a_subtree_is_joined_below_its_root_and_escaped_mount_points_are_decoded()
    {
        // A cgroup namespace or a container view: the mount shows only /machine.slice, at a path with a space.
        var mounts = @"30 24 0:26 /machine.slice /sys/fs/my\040cgroup rw - cgroup2 cgroup2 rw" + "\n";
        var proc = $"0::/machine.slice/libpod-{Id}.scope\n";
        Assert.Equal(
            new CgroupCounter($"/sys/fs/my cgroup/libpod-{Id}.scope/cpu.stat", 2),
            Ok(CgroupPaths.Locate(proc, mounts)));
    }

    [Fact]
    public void No_counter_is_invented_when_the_hierarchy_is_not_mounted_or_the_process_sits_in_the_root()
    {
        Assert.True(CgroupPaths.Locate(HybridProc, "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n").IsLeft);
        Assert.True(CgroupPaths.Locate("0::/\n", "30 24 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n").IsLeft);
        Assert.True(CgroupPaths.Locate("", HybridMounts).IsLeft);
    }

    [Fact]
    public void Counter_texts_are_read_in_nanoseconds()
    {
        Assert.Equal(Option<long>.Some(490153886), CgroupPaths.ParseNanos("490153886\n", 1));
        Assert.Equal(
            Option<long>.Some(1_234_567_000),
            CgroupPaths.ParseNanos("usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\n", 2));
        Assert.True(CgroupPaths.ParseNanos("garbage", 1).IsNone);
        Assert.True(CgroupPaths.ParseNanos("user_usec 5\n", 2).IsNone);
    }

    [Property(MaxTest = 200)]
    public Property Any_v1_counter_value_round_trips(NonNegativeInt high, NonNegativeInt low)
    {
        var ns = ((long)high.Get << 31) + low.Get;
        return (CgroupPaths.ParseNanos($"{ns}\n", 1) == Option<long>.Some(ns)
                && CgroupPaths.ParseNanos($"usage_usec {ns / 1000}\n", 2) == Option<long>.Some(ns / 1000 * 1000))
            .ToProperty();
    }

    private static CgroupCounter Ok(Either<string, CgroupCounter> r) =>
        r.Match(c => c, why => throw new Xunit.Sdk.XunitException(why));
}
