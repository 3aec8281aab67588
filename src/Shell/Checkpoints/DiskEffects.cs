using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Shell.Host;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Shell.Checkpoints;

/// <summary>
/// The one interpreter of <see cref="FsEffect"/> against the real disk, under a slot directory. rename(2) and
/// directory fsync go through <see cref="Libc"/> (a cross-device rename is an error, never a copy); copies try
/// a reflink (ioctl FICLONE) and fall back to a kernel copy. Failures become errors carrying the errno as code
/// and naming the file; nothing is swallowed.
/// </summary>
public static partial class DiskEffects
{
    private const uint Ficlone = 0x40049409;

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlClone(int destFd, uint request, int srcFd);

    /// <summary>Whether this thread's last copy was a reflink (for the benchmark's report).</summary>
    [ThreadStatic]
    public static bool LastCopyWasReflink;

    public static string Resolve(string slotDir, string relative) => relative == "." ? slotDir : Path.Combine(slotDir, relative);

    /// <summary>Run effects in order; stop at the first failure and return it.</summary>
    public static Fin<Unit> Run(string slotDir, Seq<FsEffect> effects)
    {
        foreach (var e in effects)
        {
            var r = Run(slotDir, e);
            if (r.IsFail) return r;
        }

        return Unit.Default;
    }

    public static Fin<Unit> Run(string slotDir, FsEffect effect)
    {
        try
        {
            switch (effect)
            {
                case FsEffect.CreateDir e:
                    Directory.CreateDirectory(Resolve(slotDir, e.Path));
                    break;
                case FsEffect.CopyFile e:
                    Copy(Resolve(slotDir, e.From), Resolve(slotDir, e.To));
                    break;
                case FsEffect.WriteFile e:
                    using (var s = DurableFile.CreateFresh(Resolve(slotDir, e.Path)))
                        s.Write(Encoding.UTF8.GetBytes(e.Text));
                    break;
                case FsEffect.Fsync e:
                    FsyncFile(Resolve(slotDir, e.Path));
                    break;
                case FsEffect.FsyncDir e:
                    Libc.FsyncDirectory(Resolve(slotDir, e.Path));
                    break;
                case FsEffect.Rename e:
                    Libc.Rename(Resolve(slotDir, e.From), Resolve(slotDir, e.To));
                    break;
                case FsEffect.Delete e:
                    File.Delete(Resolve(slotDir, e.Path));
                    break;
                case FsEffect.DeleteTree e:
                    var dir = Resolve(slotDir, e.Path);
                    if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                    break;
                default:
                    return Error.New($"unknown checkpoint effect {effect}");
            }

            return Unit.Default;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var errno = ex is ErrnoException ee ? ee.Errno : ErrnoOf(ex);
            var why = errno == Libc.ENoSpc ? "No space left on device (ENOSPC)" : ex.Message;
            return Error.New(errno, $"{effect}: {why}");
        }
    }

    /// <summary>Size and SHA-256 of a file.</summary>
    public static FileFacts Facts(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        var hash = SHA256.HashData(s);
        return new FileFacts(s.Length, Convert.ToHexStringLower(hash));
    }

    private static void FsyncFile(string path)
    {
        var fd = Libc.Open(path, Libc.ORdOnly);
        try { Libc.Fsync(fd, path); }
        finally { Libc.Close(fd); }
    }

    private static void Copy(string from, string to)
    {
        // The app's files live where the container writes: a symlink there points into the HOST's file system.
        if (new FileInfo(from).LinkTarget is { } target)
            throw new IOException($"{from} is a symbolic link (to {target}); checkpoint files must be regular files");
        using var src = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var dst = DurableFile.CreateFresh(to);
        if (IoctlClone((int)dst.SafeFileHandle.DangerousGetHandle(), Ficlone, (int)src.SafeFileHandle.DangerousGetHandle()) == 0)
        {
            LastCopyWasReflink = true;
            return;
        }

        // No reflink here (ext4, tmpfs, another file system): copy through the handles already open.
        LastCopyWasReflink = false;
        src.CopyTo(dst, 1 << 20);
    }

    /// <summary>.NET puts the raw errno in HResult for I/O errors on Unix; ENOSPC also shows in the message.</summary>
    private static int ErrnoOf(Exception ex) =>
        ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) ? Libc.ENoSpc
        : ex.HResult is > 0 and < 4096 ? ex.HResult
        : ex is FileNotFoundException or DirectoryNotFoundException ? Libc.ENoEnt : 0;
}
