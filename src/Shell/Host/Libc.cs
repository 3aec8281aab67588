using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Boinc.Persist.Shell.Host;

/// <summary>
/// The few POSIX calls .NET does not expose faithfully: open(2) of the host-wide lock files, fcntl record locks
/// (BOINC's lockfile; .NET's FileShare uses flock, which does not interlock with fcntl), and kill(pid, 0). Linux only (x86-64 and arm64 share these constants).
/// </summary>
public static partial class Libc
{
    public const int ORdOnly = 0x0;
    public const int OWrOnly = 0x1;
    public const int ORdWr = 0x2;
    public const int OCreat = 0x40;
    public const int OCloexec = 0x80000;

    public const int ENoEnt = 2;
    public const int ESrch = 3;
    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int EAcces = 13;
    public const int EXDev = 18;
    public const int ENoSpc = 28;
    public const int EPerm = 1;

    private const int FSetLk = 6;
    private const int FSetLkW = 7;
    private const short FWrLck = 1;
    private const short FUnLck = 2;

    /// <summary>struct flock on 64-bit Linux: type, whence, start, len, pid (32 bytes with padding).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Len;
        public int Pid;
        private readonly int padding;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseNative(int fd);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlLock(int fd, int cmd, ref Flock lk);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FchownNative(int fd, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FchmodNative(int fd, uint mode);

    /// <summary>fchmod(2) of an open file (never a path).</summary>
    public static void Fchmod(Microsoft.Win32.SafeHandles.SafeFileHandle handle, uint mode, string pathForErrors)
    {
        if (FchmodNative((int)handle.DangerousGetHandle(), mode) != 0)
            throw new ErrnoException($"cannot chmod {pathForErrors}: {Describe(Marshal.GetLastPInvokeError())}", Marshal.GetLastPInvokeError());
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    /// <summary>fchown(2) of an open file (never a path: nothing to swap for a symlink).</summary>
    public static void Fchown(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long uid, long gid, string pathForErrors)
    {
        if (FchownNative((int)handle.DangerousGetHandle(), (uint)uid, (uint)gid) != 0)
            throw new ErrnoException($"cannot chown {pathForErrors}: {Describe(Marshal.GetLastPInvokeError())}", Marshal.GetLastPInvokeError());
    }

    /// <summary>The message for an errno, e.g. "No space left on device (errno 28)".</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>open(2); returns the fd or throws an <see cref="IOException"/> naming the path and errno.</summary>
    public static int Open(string path, int flags, int mode = 0x1a4 /* 0644 */)
    {
        while (true)
        {
            var fd = OpenNative(path, flags | OCloexec, mode);
            if (fd >= 0)
                return fd;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
                throw new ErrnoException($"cannot open {path}: {Describe(errno)}", errno);
        }
    }

    public static void Close(int fd) => _ = CloseNative(fd);

    /// <summary>
    /// Try to take a whole-file fcntl write lock on <paramref name="fd"/> without waiting. False when another
    /// process holds a conflicting lock; other failures throw.
    /// </summary>
    public static bool TryLockWholeFile(int fd, string pathForErrors)
    {
        var lk = new Flock { Type = FWrLck, Whence = 0, Start = 0, Len = 0 };
        if (FcntlLock(fd, FSetLk, ref lk) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno is EAgain or EAcces)
            return false;
        throw new ErrnoException($"cannot lock {pathForErrors}: {Describe(errno)}", errno);
    }

    /// <summary>Take a whole-file fcntl write lock, waiting for it (F_SETLKW; interrupted waits are retried).</summary>
    public static void LockWholeFileWaiting(int fd, string pathForErrors)
    {
        while (true)
        {
            var lk = new Flock { Type = FWrLck, Whence = 0, Start = 0, Len = 0 };
            if (FcntlLock(fd, FSetLkW, ref lk) == 0)
                return;
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
                throw new ErrnoException($"cannot lock {pathForErrors}: {Describe(errno)}", errno);
        }
    }

    public static void UnlockWholeFile(int fd)
    {
        var lk = new Flock { Type = FUnLck, Whence = 0, Start = 0, Len = 0 };
        _ = FcntlLock(fd, FSetLk, ref lk);
    }

    /// <summary>Whether a process exists (kill(pid, 0); EPERM means it exists but is not ours).</summary>
    public static bool ProcessExists(int pid)
    {
        if (pid <= 0)
            return false;
        if (KillNative(pid, 0) == 0)
            return true;
        return Marshal.GetLastPInvokeError() == EPerm;
    }
}

/// <summary>An I/O error with the errno that caused it, so callers can tell ENOSPC or EXDEV from the rest.</summary>
public sealed class ErrnoException(string message, int errno) : IOException(message)
{
    public int Errno { get; } = errno;
}
