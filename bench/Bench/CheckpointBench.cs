using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Shell.Checkpoints;
using LanguageExt;

namespace Boinc.Persist.Bench;

/// <summary>
/// Item 5: the checkpoint store's whole commit (store format 2: the pack written and hashed, its trailer, its fsync
/// and the store's; retention runs aside afterwards) against a raw write+fsync of the same bytes on the same file
/// system. The app's file is written without fsync first, as apps do. Beside both, the floor of store format 1, the
/// store before stop 34 (<see cref="Boinc.Persist.Shell.Verification.CommitFloor"/>): that protocol's file operations
/// with nothing else; and
/// the least durable copy (<see cref="Boinc.Persist.Shell.Verification.CommitFloor.LeastCopy"/>): one new file, its
/// fsync and its directory's, no checksum, the least that any protocol copying the app's file into a new file must do.
/// </summary>
public static class CheckpointBench
{
    private static readonly CheckpointConfig Config = CheckpointConfig.Default with { Files = new[] { "state.bin" }.ToSeq() };

    /// <summary>MB/s of <paramref name="n"/> commits and of <paramref name="n"/> raw writes of <paramref name="mb"/> MB.</summary>
    public static (Sample Raw, Sample Commit, Sample Floor, Sample Least, Sample LeastXxh) Throughput(string dir, int mb, int n)
    {
        var slot = Path.Combine(dir, $"slot{mb}");
        Directory.CreateDirectory(slot);
        var data = new byte[Math.Min((long)mb << 20, 16L << 20)];
        new Random(1).NextBytes(data);
        var store = CheckpointStore.Open(slot, Config, TimeProvider.System);
        var raw = new double[n];
        var commit = new double[n];
        var floor = new double[n];
        var least = new double[n];
        var leastXxh = new double[n];
        var floorStore = new Boinc.Persist.Shell.Verification.CommitFloor(dir);
        var buffer = new byte[Boinc.Persist.Shell.Host.Sha256Files.ChunkFor((long)mb << 20)];
        for (var i = 0; i < n; i++)
        {
            // Each timed operation starts on a quiet disk (CommitFloor.Settle), the app's file still dirty.
            Settle();
            Write(Path.Combine(slot, "state.bin"), data, (long)mb << 20, fsync: false);
            var sw = Stopwatch.StartNew();
            store.Commit(i, 0, "bench").IfFail(e => throw new IOException(e.Message));
            commit[i] = mb / sw.Elapsed.TotalSeconds;

            var path = Path.Combine(dir, "raw.bin");
            File.Delete(path);
            Settle();
            sw.Restart();
            Write(path, data, (long)mb << 20, fsync: true);
            raw[i] = mb / sw.Elapsed.TotalSeconds;
            File.Delete(path);

            // The protocol's own operations alone on the same app file (CommitFloor): what no store could beat.
            Settle();
            Write(Path.Combine(slot, "state.bin"), data, (long)mb << 20, fsync: false);
            floor[i] = mb / floorStore.Once(Path.Combine(slot, "state.bin"), buffer);

            // The least any protocol that copies into a new file must do (CommitFloor.LeastCopy, no checksum): the bound of the goal.
            Settle();
            Write(Path.Combine(slot, "state.bin"), data, (long)mb << 20, fsync: false);
            least[i] = mb / floorStore.LeastCopy(Path.Combine(slot, "state.bin"), buffer, checksum: null);
            Settle();
            Write(Path.Combine(slot, "state.bin"), data, (long)mb << 20, fsync: false);
            leastXxh[i] = mb / floorStore.LeastCopy(Path.Combine(slot, "state.bin"), buffer, checksum: () => new Xxh128Sum());
        }

        Directory.Delete(slot, recursive: true);
        return (Sample.Of(raw), Sample.Of(commit), Sample.Of(floor), Sample.Of(least), Sample.Of(leastXxh));
    }

    /// <summary>Milliseconds of <paramref name="n"/> 1 KB commits and of <paramref name="n"/> raw 1 KB writes + fsync.</summary>
    public static (Sample Raw, Sample Commit, Sample Floor, Sample Least, Sample LeastXxh) Latency1K(string dir, int n)
    {
        var slot = Path.Combine(dir, "slot1k");
        Directory.CreateDirectory(slot);
        var store = CheckpointStore.Open(slot, Config, TimeProvider.System);
        var data = new byte[1024];
        var raw = new double[n];
        var commit = new double[n];
        var floor = new double[n];
        var least = new double[n];
        var leastXxh = new double[n];
        var floorStore = new Boinc.Persist.Shell.Verification.CommitFloor(dir);
        var buffer = new byte[4096];
        for (var i = 0; i < n; i++)
        {
            data[0] = (byte)i;
            File.WriteAllBytes(Path.Combine(slot, "state.bin"), data);
            var sw = Stopwatch.StartNew();
            store.Commit(i, 0, "bench").IfFail(e => throw new IOException(e.Message));
            commit[i] = sw.Elapsed.TotalMilliseconds;

            var path = Path.Combine(dir, "raw1k.bin");
            File.Delete(path);
            sw.Restart();
            Write(path, data, data.Length, fsync: true);
            raw[i] = sw.Elapsed.TotalMilliseconds;

            File.WriteAllBytes(Path.Combine(slot, "state.bin"), data);
            floor[i] = floorStore.Once(Path.Combine(slot, "state.bin"), buffer) * 1000;

            File.WriteAllBytes(Path.Combine(slot, "state.bin"), data);
            least[i] = floorStore.LeastCopy(Path.Combine(slot, "state.bin"), buffer, checksum: null) * 1000;
            File.WriteAllBytes(Path.Combine(slot, "state.bin"), data);
            leastXxh[i] = floorStore.LeastCopy(Path.Combine(slot, "state.bin"), buffer, checksum: () => new Xxh128Sum()) * 1000;
        }

        Directory.Delete(slot, recursive: true);
        return (Sample.Of(raw), Sample.Of(commit), Sample.Of(floor), Sample.Of(least), Sample.Of(leastXxh));
    }

    private static void Settle() => Boinc.Persist.Shell.Verification.CommitFloor.Settle();

    /// <summary>XXH3-128 (System.IO.Hashing): a checksum many times faster than SHA-256, not in the wrapper.</summary>
    private sealed class Xxh128Sum : Boinc.Persist.Shell.Verification.CommitFloor.IChunkSum
    {
        private readonly System.IO.Hashing.XxHash128 h = new();

        public void Append(ReadOnlySpan<byte> chunk) => h.Append(chunk);

        public byte[] Finish() => h.GetCurrentHash();
    }

    private static void Write(string path, byte[] block, long total, bool fsync)
    {
        using var s = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        for (long done = 0; done < total; done += block.Length)
            s.Write(block, 0, (int)Math.Min(block.Length, total - done));
        if (fsync)
            s.Flush(flushToDisk: true);
    }
}
