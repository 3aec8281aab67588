using System.Linq;
using System.Text;
using Boinc.Persist.Shell.Verification;
using Xunit;

namespace Boinc.Persist.Properties.RealDisk;

/// <summary>
/// crash-explore's reading of strace output (issue 19) and its persistence model, on canned traces in the exact
/// format <c>strace -f -qq -e trace=%file,%desc -y -xx</c> writes (every string hex-escaped).
/// </summary>
public class StraceParserTests
{
    private static string X(string s) => string.Concat(Encoding.UTF8.GetBytes(s).Select(b => $"\\x{b:x2}"));

    private static string Fd(int fd, string path) => $"{fd}<{X(path)}>";

    private static readonly string[] Trace =
    {
        $"100 openat({Fd(3, "/s")}, \"{X("state.bin")}\", O_RDONLY|O_CLOEXEC) = {Fd(4, "/s/state.bin")}",
        $"100  mkdirat({Fd(3, "/s")}, \"{X("d")}\", 0755) = 0",
        $"100 unlinkat({Fd(5, "/s/d")}, \"{X("f")}\", 0) = -1 ENOENT (No such file or directory)",
        $"100 openat({Fd(5, "/s/d")}, \"{X("f")}\", O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0644) = {Fd(6, "/s/d/f")}",
        $"100 pwrite64({Fd(6, "/s/d/f")}, \"{X("hello")}\", 5, 0 <unfinished ...>",
        $"101 openat(AT_FDCWD<{X("/tmp")}>, \"{X("/elsewhere/x")}\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = {Fd(9, "/elsewhere/x")}",
        $"100 <... pwrite64 resumed>) = 5",
        $"100 write({Fd(6, "/s/d/f")}, \"{X("!!")}\", 2) = 2",
        $"100 openat2({Fd(3, "/s")}, \"{X("d/f")}\", {{flags=O_RDONLY|O_NOCTTY, resolve=RESOLVE_BENEATH}}, 24) = {Fd(7, "/s/d/f")}",
        $"100 fsync({Fd(7, "/s/d/f")}) = 0",
        $"100 openat({Fd(3, "/s")}, \"{X("old")}\", O_WRONLY|O_TRUNC) = {Fd(8, "/s/old")}",
        $"100 renameat({Fd(5, "/s/d")}, \"{X("f")}\", {Fd(3, "/s")}, \"{X("g")}\") = 0",
        $"100 fsync({Fd(5, "/s/d")}) = 0",
        $"100 unlinkat({Fd(3, "/s")}, \"{X("d")}\", AT_REMOVEDIR) = 0",
        $"100 ioctl({Fd(6, "/s/g")}, BTRFS_IOC_CLONE or FICLONE, 4) = -1 EOPNOTSUPP (Operation not supported)",
        $"100 write(27<{X("pipe:[7]")}>, \"{X("acked 3\n")}\", 8) = 8",
    };

    [Fact]
    public void A_trace_becomes_the_models_operations_on_the_slot_only()
    {
        var ops = StraceParser.Parse(Trace, "/s", new System.Collections.Generic.HashSet<string> { "." });
        Assert.Equal(new[]
        {
            "mkdir d",
            "create d/f [O_CREAT|O_EXCL]",
            "write d/f @0 +5",
            "write d/f @0 +2",
            "fsync d/f",
            "truncate old to 0",
            "rename d/f -> g",
            "fsync-dir d",
            "rmdir d",
            "ack \"acked 3\"",
        }, ops.Select(o => o.ToString()));
        Assert.Equal("hello", Encoding.UTF8.GetString(((TraceOp.Write)ops[2]).Data));
    }

    /// <summary>strace pads a short line before its result; a resumed call's line always is short. The fsync
    /// below, split by another thread's mmap, is the one a CI run's crash-explore reported as missing.</summary>
    [Fact]
    public void A_call_resumed_on_a_padded_line_is_read()
    {
        var trace = new[]
        {
            $"26208 openat2({Fd(6, "/s")}, \"{X(".boinc-persist/checkpoints")}\", {{flags=O_RDONLY|O_DIRECTORY, resolve=RESOLVE_BENEATH}}, 24) = {Fd(7, "/s/.boinc-persist/checkpoints")}",
            "26209 mmap(NULL, 134217728, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0 <unfinished ...>",
            $"26208 fsync({Fd(7, "/s/.boinc-persist/checkpoints")}) <unfinished ...>",
            "26209 <... mmap resumed>)               = 0x7fd0a8400000",
            "26208 <... fsync resumed>)              = 0",
            $"26208 close({Fd(7, "/s/.boinc-persist/checkpoints")})                                = 0",
        };

        var ops = StraceParser.Parse(trace, "/s", new System.Collections.Generic.HashSet<string> { ".", ".boinc-persist", ".boinc-persist/checkpoints" });

        Assert.Equal(new[] { "fsync-dir .boinc-persist/checkpoints" }, ops.Select(o => o.ToString()));
    }

    [Fact]
    public void A_successful_call_the_model_does_not_know_is_flagged_not_skipped()
    {
        var ops = StraceParser.Parse(new[] { $"100 copy_file_range({Fd(4, "/s/a")}, NULL, {Fd(5, "/s/b")}, NULL, 10, 0) = 10" }, "/s",
            new System.Collections.Generic.HashSet<string> { "." });
        Assert.IsType<TraceOp.Unmodelled>(Assert.Single(ops));
    }

    [Fact]
    public void A_name_is_durable_only_after_its_directory_is_fsynced_and_data_only_after_its_file_is()
    {
        var ops = StraceParser.Parse(Trace.Take(10), "/s", new System.Collections.Generic.HashSet<string> { "." });
        var points = CrashReplay.Points(new DiskView(), ops);
        // After the file's fsync: its data is durable, but neither d nor d/f is (no directory fsync yet).
        var afterFsync = points[5];
        Assert.Equal(2, afterFsync.Pending.Count);
        var allLost = new CrashSubset(new bool[2], -1, 0).Apply(afterFsync);
        Assert.DoesNotContain("d", allLost.Dirs);
        var allKept = new CrashSubset(new[] { true, true }, -1, 0).Apply(afterFsync);
        // pwrite64 leaves the descriptor's offset alone: the write() after it lands at 0 again.
        Assert.Equal("!!llo", Encoding.UTF8.GetString(allKept.Read("d/f")!));
        // Every subset of 2 pending operations, plus nothing torn (the writes are synced).
        Assert.Equal(4, CrashReplay.Subsets(afterFsync, 12, 0, 4096, new System.Random(1)).Count);
    }
}
