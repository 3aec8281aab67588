using System;
using System.Diagnostics;
using System.IO;
using Microsoft.Win32.SafeHandles;
using Boinc.Persist.Shell.Slots;

namespace Boinc.Persist.Shell.Verification;

/// <summary>
/// Cost bounds of commit protocols on a file system, for the benchmarks (bench/checkpoint.sh, bench/run.sh item 5).
/// <see cref="Once"/> is store format 1's protocol (the store before stop 34, kept as the comparison that motivated
/// format 2, docs/STORE_FORMAT_2.md): one generation's file operations and nothing else. No slot accessor, no hashing, no listing, no manifest
/// parsing or checks: mkdir gen-N; the app's file read and written to a fresh copy (writeback started, as the
/// store does); the older manifest slot unlinked and the new manifest written fresh; then the four fsyncs of the
/// store's steady-state commit in its order (copy, manifest, generation directory, store). Retiring generation
/// N-2 follows, untimed. What this costs above a raw write+fsync was that protocol's (a second file, a directory, three more fsyncs, the read of the app's file).
/// <see cref="LeastCopy"/> measures the least any protocol that copies the app's file durably into a new file must
/// do, whatever its layout (one that recycled its old files, overwriting them in place, could skip the allocation and
/// the directory fsync: no store here does, and it would have to prove a torn overwrite harmless).
/// </summary>
public sealed partial class CommitFloor
{
    private readonly string store;
    private readonly byte[] manifest = new byte[512]; // a steady-state manifest of one file is about 460 bytes
    private int number;
    private int leastNumber;
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
            CopyInto(src, copy, buffer, sum: null);
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

    /// <summary>
    /// Seconds the least durable copy of <paramref name="appFile"/> takes: the app's file read and written to one
    /// fresh file (writeback of each chunk's whole pages started), each chunk fed to a running digest of
    /// <paramref name="checksum"/> (<see cref="Host.FileDigests"/>, the store's own) after it is written when one is
    /// given, with a 64-byte trailer holding the digest's text, then that file's fsync and its directory's (which
    /// a new name needs on any file system but ext4 without a journal). No second file, no second directory, no
    /// manifest, no unlink; the copy before the previous one is removed untimed. Without a checksum it is a lower
    /// bound for every protocol that copies into a new file: such a protocol must also detect a copy a crash left
    /// torn, which takes a checksum or a second file written after the first is durable.
    /// </summary>
    public double LeastCopy(string appFile, byte[] buffer, Core.Hashing.DigestKind? checksum)
    {
        leastNumber++;
        var copyPath = Path.Combine(store, $"least-{leastNumber:D10}");
        var sw = Stopwatch.StartNew();
        using (var src = File.OpenHandle(appFile))
        using (var copy = File.OpenHandle(copyPath, FileMode.CreateNew, FileAccess.Write))
        {
            using var sum = checksum is { } kind ? Host.FileDigests.Start(kind) : null;
            var offset = CopyInto(src, copy, buffer, sum);
            if (sum is not null)
            {
                // The digest's text (64 characters for SHA-256, 41 for XXH3-128), zero-padded to 64 bytes.
                var trailer = new byte[64];
                System.Text.Encoding.ASCII.GetBytes(sum.Finish()).CopyTo(trailer, 0);
                RandomAccess.Write(copy, trailer, offset);
            }

            Check(SlotNative.Fsync((int)copy.DangerousGetHandle()), copyPath);
        }

        FsyncDir(store);
        var took = sw.Elapsed.TotalSeconds;
        var retired = Path.Combine(store, $"least-{leastNumber - 2:D10}");
        if (File.Exists(retired)) File.Delete(retired);
        return took;
    }

    /// <summary>
    /// The copy both bounds make, as the store's hashing copy does it: read a chunk, write it at the same offset, start
    /// its writeback, feed it to <paramref name="sum"/> if there is one. Returns the bytes copied.
    /// </summary>
    private static long CopyInto(SafeFileHandle src, SafeFileHandle copy, byte[] buffer, Core.Hashing.IRunningDigest? sum)
    {
        var copyFd = (int)copy.DangerousGetHandle();
        long offset = 0;
        int n;
        while ((n = RandomAccess.Read(src, buffer, offset)) > 0)
        {
            RandomAccess.Write(copy, buffer.AsSpan(0, n), offset);
            _ = SlotNative.StartWritebackOfWholePages(copyFd, offset, n);
            sum?.Append(buffer.AsSpan(0, n));
            offset += n;
        }

        return offset;
    }

    /// <summary>
    /// Lets the disk go quiet before a timed throughput measurement: every dirty page written and flushed (sync),
    /// then 50 ms for what the device still does after it (the discards of files removed just before, on a file
    /// system mounted with <c>discard</c>), so no measurement waits behind the previous one's I/O. It does not make
    /// a buffered raw write of 100 MB steady on a virtual disk whose host cache sometimes takes it and sometimes not
    /// (bench/README.md).
    /// </summary>
    public static void Settle()
    {
        Sync();
        System.Threading.Thread.Sleep(50);
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "sync")]
    private static partial void Sync();

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
