using System;
using System.Diagnostics;
using System.IO;
using Boinc.Persist.Shell.Slots;

namespace Boinc.Persist.Shell.Verification;

/// <summary>
/// The commit protocol's own cost on a file system, for the benchmarks (bench/checkpoint.sh, bench/run.sh item 5):
/// one generation's file operations and nothing else. No slot accessor, no hashing, no listing, no manifest
/// parsing or checks: mkdir gen-N; the app's file read and written to a fresh copy (writeback started, as the
/// store does); the older manifest slot unlinked and the new manifest written fresh; then the four fsyncs of the
/// store's steady-state commit in its order (copy, manifest, generation directory, store). Retiring generation
/// N-2 follows, untimed. What a store commit costs above this is the store's own work; what this costs above a
/// raw write+fsync is the protocol's (a second file, a directory, three more fsyncs, the read of the app's file).
/// </summary>
public sealed class CommitFloor
{
    private readonly string store;
    private readonly byte[] manifest = new byte[512]; // a steady-state manifest of one file is about 460 bytes
    private int number;
    private static int stores;

    /// <summary>A fresh store under <paramref name="dir"/> (removed with it).</summary>
    public CommitFloor(string dir)
    {
        store = Path.Combine(dir, $"floor-store-{System.Threading.Interlocked.Increment(ref stores)}");
        Directory.CreateDirectory(store);
    }

    /// <summary>Seconds one commit of <paramref name="appFile"/> takes, copied through <paramref name="buffer"/>.</summary>
    public double Once(string appFile, byte[] buffer)
    {
        number++;
        var gen = Path.Combine(store, $"gen-{number:D10}");
        var copyPath = Path.Combine(gen, "00000");
        var manifestPath = Path.Combine(store, number % 2 == 0 ? "MANIFEST" : "MANIFEST.tmp");
        var sw = Stopwatch.StartNew();
        Directory.CreateDirectory(gen);
        using (var src = File.OpenHandle(appFile))
        using (var copy = File.OpenHandle(copyPath, FileMode.CreateNew, FileAccess.Write))
        {
            var copyFd = (int)copy.DangerousGetHandle();
            long offset = 0;
            int n;
            while ((n = RandomAccess.Read(src, buffer, offset)) > 0)
            {
                RandomAccess.Write(copy, buffer.AsSpan(0, n), offset);
                _ = SlotNative.StartWriteback(copyFd, offset, n);
                offset += n;
            }

            File.Delete(manifestPath);
            using var m = File.OpenHandle(manifestPath, FileMode.CreateNew, FileAccess.Write);
            var manifestFd = (int)m.DangerousGetHandle();
            RandomAccess.Write(m, manifest, 0);
            _ = SlotNative.StartWriteback(manifestFd, 0, manifest.Length);
            Check(SlotNative.Fsync(copyFd), copyPath);
            Check(SlotNative.Fsync(manifestFd), manifestPath);
        }

        FsyncDir(gen);
        FsyncDir(store);
        var took = sw.Elapsed.TotalSeconds;
        var retired = Path.Combine(store, $"gen-{number - 2:D10}");
        if (Directory.Exists(retired)) Directory.Delete(retired, recursive: true);
        return took;
    }

    private static void FsyncDir(string dir)
    {
        var fd = SlotNative.Open(dir, SlotNative.ODirectory);
        try
        {
            Check(SlotNative.Fsync(fd), dir);
        }
        finally
        {
            SlotNative.Close(fd);
        }
    }

    private static void Check(int r, string path)
    {
        if (r < 0) throw SlotNative.Fail($"cannot fsync {path}", -r);
    }
}
