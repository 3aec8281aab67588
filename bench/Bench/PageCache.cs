using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Boinc.Persist.Bench;

/// <summary>
/// Puts a wrapper binary's file in the state a volunteer's host has it in, for item 7's peak RSS: read from disk
/// (after a reboot, or once the page cache let go of it), not as the linker left it. Why it matters: a process's
/// RSS counts the pages of its binary that it maps, and a read fault maps whatever page-cache folio holds the page.
/// The linker writes its output in large writes, which on this kernel (6.18, ext4 with large folios) leaves the
/// file cached in folios of up to 2 MB, so a single touch maps 2 MB of code; read back from disk, the cache holds
/// readahead-sized folios and a touch maps its fault-around window (64 KB). Measured with the same binary
/// (docs/MEMORY.md, stop 31): 21.8 MB (21.7-21.8, n=3) freshly written against 18.0 MB (18.0-18.1, n=5) read
/// from disk.
/// </summary>
public static partial class PageCache
{
    /// <summary>
    /// Writes the file's dirty pages back and drops its page cache (POSIX_FADV_DONTNEED; pages a running process
    /// maps stay). Returns the pages still cached afterwards and the file's pages, for the log.
    /// </summary>
    public static (long Resident, long Pages) Drop(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var fd = (int)file.DangerousGetHandle();
        if (Fdatasync(fd) != 0)
            throw new IOException($"fdatasync {path}: errno {Marshal.GetLastPInvokeError()}");
        var err = PosixFadvise(fd, 0, 0, FadvDontNeed);
        if (err != 0)
            throw new IOException($"posix_fadvise DONTNEED {path}: errno {err}");
        return Resident(file, path);
    }

    /// <summary>How many of the file's 4 KiB pages are in the page cache (mincore over a shared read mapping).</summary>
    public static (long Resident, long Pages) Resident(SafeFileHandle file, string path)
    {
        var length = RandomAccess.GetLength(file);
        var pages = (length + 4095) / 4096;
        if (length == 0)
            return (0, 0);
        var map = Mmap(IntPtr.Zero, (nuint)length, ProtRead, MapShared, (int)file.DangerousGetHandle(), 0);
        if (map == new IntPtr(-1))
            throw new IOException($"mmap {path}: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            var vec = new byte[pages];
            if (Mincore(map, (nuint)length, vec) != 0)
                throw new IOException($"mincore {path}: errno {Marshal.GetLastPInvokeError()}");
            long resident = 0;
            foreach (var b in vec)
                resident += b & 1;
            return (resident, pages);
        }
        finally
        {
            _ = Munmap(map, (nuint)length);
        }
    }

    private const int FadvDontNeed = 4;
    private const int ProtRead = 1;
    private const int MapShared = 1;

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);

    // posix_fadvise returns the error number instead of setting errno.
    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial IntPtr Mmap(IntPtr addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(IntPtr addr, nuint length);

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static partial int Mincore(IntPtr addr, nuint length, [Out] byte[] vec);
}
