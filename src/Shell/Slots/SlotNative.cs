using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Boinc.Persist.Shell.Host;

namespace Boinc.Persist.Shell.Slots;

/// <summary>
/// The *at system calls <see cref="SlotFiles"/> needs, by [LibraryImport] (Native AOT friendly). openat2 has no
/// glibc wrapper: it is syscall 437 on every Linux architecture. File facts come from statx, whose layout is
/// the same on x86-64 and arm64 (struct stat is not).
/// </summary>
internal static unsafe partial class SlotNative
{
    public const int ENoEnt = 2;
    public const int EIntr = 4;
    public const int EIo = 5;
    public const int ENxIo = 6;
    public const int EAgain = 11;
    public const int EExist = 17;
    public const int EXDev = 18;
    public const int ENotDir = 20;
    public const int EIsDir = 21;
    public const int EInval = 22;
    public const int EFBig = 27;
    public const int ENoSys = 38;
    public const int ELoop = 40;
    public const int ENotEmpty = 39;
    public const int E2Big = 7;
    public const int EPerm = 1;

    public const int ORdOnly = 0x0;
    public const int OWrOnly = 0x1;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int ONoCtty = 0x100;
    public const int OAppend = 0x400;
    public const int ONonBlock = 0x800;
    public const int OCloexec = 0x80000;
    public const int OPath = 0x200000;

    private static bool Arm => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;

    public static int ODirectory => Arm ? 0x4000 : 0x10000;

    public static int ONoFollow => Arm ? 0x8000 : 0x20000;

    public const int AtSymlinkNoFollow = 0x100;
    public const int AtRemoveDir = 0x200;
    public const int AtEmptyPath = 0x1000;

    public const ulong ResolveNoXDev = 0x01;
    public const ulong ResolveNoMagicLinks = 0x02;
    public const ulong ResolveNoSymlinks = 0x04;
    public const ulong ResolveBeneath = 0x08;

    private const long SysOpenat2 = 437;
    private const uint StatxBasicStats = 0x7ff;
    private const uint Ficlone = 0x40049409;

    public const int SIfMt = 0xF000;
    public const int SIfReg = 0x8000;
    public const int SIfDir = 0x4000;
    public const int SIfLnk = 0xA000;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long SyscallOpenat2(long number, int dirfd, string path, OpenHow* how, nuint size);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenatNative(int dirfd, string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxNative(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdiratNative(int dirfd, string path, int mode);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameatNative(int fromDirfd, string from, int toDirfd, string to);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkatNative(int dirfd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncNative(int fd);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteNative(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRangeNative(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseNative(int fd);

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int DupNative(int fd);

    [LibraryImport("libc", EntryPoint = "fdopendir", SetLastError = true)]
    private static partial nint FdopendirNative(int fd);

    [LibraryImport("libc", EntryPoint = "readdir64", SetLastError = true)]
    private static partial nint Readdir64Native(nint dir);

    [LibraryImport("libc", EntryPoint = "closedir", SetLastError = true)]
    private static partial int ClosedirNative(nint dir);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadlinkatNative(int dirfd, string path, byte* buffer, nint size);

    /// <summary>readlinkat(2): a symlink's own text (never resolved); -errno on failure.</summary>
    public static int Readlinkat(int dirfd, string name, out string target)
    {
        var buffer = stackalloc byte[4097];
        var n = ReadlinkatNative(dirfd, name, buffer, 4096);
        if (n < 0)
        {
            target = "";
            return -Marshal.GetLastPInvokeError();
        }

        target = System.Text.Encoding.UTF8.GetString(buffer, (int)n);
        return 0;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlClone(int destFd, uint request, int srcFd);

    public static ErrnoException Fail(string what, int errno) =>
        new($"{what}: {Explain(errno)}", errno);

    public static string Explain(int errno) => errno switch
    {
        ELoop => "a symbolic link is in the way (the wrapper follows none in the slot) " + $"(errno {errno})",
        EXDev => "the path leaves the slot or crosses a mount (errno 18)",
        _ => Libc.Describe(errno),
    };

    /// <summary>openat2 beneath <paramref name="dirfd"/>; returns -errno on failure (ENOSYS where the kernel lacks it).</summary>
    public static int Openat2(int dirfd, string path, int flags, int mode, ulong resolve)
    {
        var how = new OpenHow { Flags = (ulong)(uint)(flags | OCloexec), Mode = (flags & OCreat) != 0 ? (ulong)mode : 0, Resolve = resolve };
        while (true)
        {
            var r = SyscallOpenat2(SysOpenat2, dirfd, path, &how, (nuint)sizeof(OpenHow));
            if (r >= 0)
                return (int)r;
            var errno = Marshal.GetLastPInvokeError();
            if (errno is EIntr or EAgain)
                continue;
            return -errno;
        }
    }

    /// <summary>openat(2); returns -errno on failure.</summary>
    public static int Openat(int dirfd, string path, int flags, int mode = 0)
    {
        while (true)
        {
            var r = OpenatNative(dirfd, path, flags | OCloexec, mode);
            if (r >= 0)
                return r;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
                return -errno;
        }
    }

    public static int Open(string path, int flags)
    {
        while (true)
        {
            var r = OpenNative(path, flags | OCloexec, 0);
            if (r >= 0)
                return r;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
                throw Fail($"cannot open {path}", errno);
        }
    }

    /// <summary>statx of a name in a directory (not followed) or, with an empty name, of the handle itself; -errno on failure.</summary>
    public static int Stat(int dirfd, string name, out int mode, out FileIdentity identity)
    {
        var buf = stackalloc byte[256];
        var flags = name.Length == 0 ? AtEmptyPath | AtSymlinkNoFollow : AtSymlinkNoFollow;
        if (StatxNative(dirfd, name, flags, StatxBasicStats, buf) != 0)
        {
            mode = 0;
            identity = default;
            return -Marshal.GetLastPInvokeError();
        }

        var s = new ReadOnlySpan<byte>(buf, 256);
        mode = BinaryPrimitives.ReadUInt16LittleEndian(s[28..]);
        var ino = BinaryPrimitives.ReadUInt64LittleEndian(s[32..]);
        var size = BinaryPrimitives.ReadInt64LittleEndian(s[40..]);
        var ctime = BinaryPrimitives.ReadInt64LittleEndian(s[96..]) * 1_000_000_000L + BinaryPrimitives.ReadUInt32LittleEndian(s[104..]);
        var mtime = BinaryPrimitives.ReadInt64LittleEndian(s[112..]) * 1_000_000_000L + BinaryPrimitives.ReadUInt32LittleEndian(s[120..]);
        var dev = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(s[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(s[140..]);
        identity = new FileIdentity(dev, ino, size, mtime, ctime);
        return 0;
    }

    public static SlotFileKind KindOf(int mode) => (mode & SIfMt) switch
    {
        SIfReg => SlotFileKind.File,
        SIfDir => SlotFileKind.Directory,
        SIfLnk => SlotFileKind.Symlink,
        _ => SlotFileKind.Other,
    };

    public static int Mkdirat(int dirfd, string name, int mode) =>
        MkdiratNative(dirfd, name, mode) == 0 ? 0 : -Marshal.GetLastPInvokeError();

    public static int Renameat(int fromDir, string from, int toDir, string to) =>
        RenameatNative(fromDir, from, toDir, to) == 0 ? 0 : -Marshal.GetLastPInvokeError();

    public static int Unlinkat(int dirfd, string name, int flags) =>
        UnlinkatNative(dirfd, name, flags) == 0 ? 0 : -Marshal.GetLastPInvokeError();

    public static int Fsync(int fd)
    {
        while (true)
        {
            if (FsyncNative(fd) == 0)
                return 0;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
                return -errno;
        }
    }

    public static void Close(int fd) => _ = CloseNative(fd);

    /// <summary>write(2) at the handle's own offset (the end, for O_APPEND): the bytes written (maybe fewer than asked), or -errno.</summary>
    public static int Write(int fd, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            while (true)
            {
                var n = WriteNative(fd, p, (nuint)bytes.Length);
                if (n >= 0)
                    return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EIntr)
                    return -errno;
            }
        }
    }

    /// <summary>
    /// sync_file_range(SYNC_FILE_RANGE_WRITE): START writeback of a range, without waiting and without any
    /// durability promise (no metadata, no cache flush). A hint that lets the disk work while the wrapper hashes;
    /// durability still comes only from the fsync that follows, so the result is returned for the caller to
    /// ignore knowingly (a file system without it loses nothing but the overlap).
    /// </summary>
    public static int StartWriteback(int fd, long offset, long length) =>
        SyncFileRangeNative(fd, offset, length, 2 /* SYNC_FILE_RANGE_WRITE */) == 0 ? 0 : -Marshal.GetLastPInvokeError();

    /// <summary>
    /// <see cref="StartWriteback"/> of the whole pages a chunk just written at <paramref name="offset"/> completed,
    /// for a file still being written (a copy into a pack, whose next file or trailer follows): the page the chunk
    /// ends in is left to the next chunk's call or to the fsync. Started now, it would be written twice (once
    /// here, once after the next write dirtied it again), and the fsync would wait for both writes in turn: a
    /// device round trip of its own. A chunk inside one page starts nothing.
    /// </summary>
    public static int StartWritebackOfWholePages(int fd, long offset, long length)
    {
        var page = Environment.SystemPageSize;
        var from = offset / page * page;
        var to = (offset + length) / page * page;
        return to > from ? StartWriteback(fd, from, to - from) : 0;
    }

    public static bool Reflink(int destFd, int srcFd) => IoctlClone(destFd, Ficlone, srcFd) == 0;

    /// <summary>The entries of an open directory (its own handle is left open): name and d_type kind (None: unknown).</summary>
    public static (string Name, SlotFileKind? Kind)[] ReadDir(int dirfd, string pathForErrors)
    {
        var copy = DupNative(dirfd);
        if (copy < 0)
            throw Fail($"cannot list {pathForErrors}", Marshal.GetLastPInvokeError());
        var dir = FdopendirNative(copy);
        if (dir == 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Close(copy);
            throw Fail($"cannot list {pathForErrors}", errno);
        }

        var result = new System.Collections.Generic.List<(string, SlotFileKind?)>();
        try
        {
            while (true)
            {
                var entry = Readdir64Native(dir);
                if (entry == 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno != 0)
                        throw Fail($"cannot list {pathForErrors}", errno);
                    break;
                }

                // struct dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name (NUL-terminated).
                var p = (byte*)entry;
                var type = p[18];
                var name = Marshal.PtrToStringUTF8((nint)(p + 19)) ?? "";
                if (name is "." or "..")
                    continue;
                SlotFileKind? kind = type switch
                {
                    8 => SlotFileKind.File,
                    4 => SlotFileKind.Directory,
                    10 => SlotFileKind.Symlink,
                    0 => null,
                    _ => SlotFileKind.Other,
                };
                result.Add((name, kind));
            }
        }
        finally
        {
            _ = ClosedirNative(dir);
        }

        return result.ToArray();
    }
}
