using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Host;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// A host-wide lock by key: an fcntl write lock on a file in /var/lock/boinc-persist (else
/// /tmp/boinc-persist-locks), named by a hash of the key. Held by the process until disposed; the kernel drops
/// it if the process dies, so a killed wrapper never leaves a stale lock.
/// </summary>
public sealed class HostLock : IDisposable
{
    /// <summary>
    /// Shared first; the last is per user, for a non-root user who can write neither (another user created the
    /// shared /tmp one with its umask). Per user is enough there: a rootless engine's images and service are the
    /// user's own.
    /// </summary>
    public static readonly string[] Directories =
    {
        "/var/lock/boinc-persist", "/tmp/boinc-persist-locks",
        "/tmp/boinc-persist-locks-" + PodmanService.Uid().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private int fd;

    private HostLock(int fd, string path)
    {
        this.fd = fd;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Waits for the lock (polling every 100 ms so cancellation works) and returns it held.</summary>
    public static async Task<HostLock> Acquire(string key, CancellationToken ct)
    {
        var path = LockPath(key);
        var fd = Libc.Open(path, Libc.ORdWr | Libc.OCreat, 0x1b6 /* 0666: every BOINC user shares it */);
        try
        {
            while (!Libc.TryLockWholeFile(fd, path))
                await Task.Delay(100, ct).ConfigureAwait(false);
            return new HostLock(fd, path);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }
    }

    /// <summary>The lock file's name for <paramref name="key"/> (the same in every directory).</summary>
    public static string FileName(string key) =>
        Core.Hashing.Sha256.HexOfText(key)[..32] + ".lock";

    public static string LockPath(string key)
    {
        var name = FileName(key);
        foreach (var dir in Directories)
        {
            try
            {
                SharedDirectory(dir);
                var probe = System.IO.Path.Combine(dir, name);
                // An existing file first, without O_CREAT: in a sticky world-writable directory the kernel
                // (fs.protected_regular) refuses O_CREAT on another user's file even when it exists. Plain open(2)
                // and close, never a FileStream: .NET's FileStream takes a non-blocking flock of its own on open, which
                // fails while another process holds the file's lock exclusively (the collector's removal hold), and
                // that would be taken for "not writable here".
                if (File.Exists(probe))
                {
                    Libc.Close(Libc.Open(probe, Libc.ORdOnly));
                    return probe;
                }

                Libc.Close(Libc.Open(probe, Libc.ORdWr | Libc.OCreat, 0x1b6 /* 0666 */));
                TryMakeShared(probe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead |
                                     UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
                return probe;
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                // Not writable here (e.g. /var/lock for an unprivileged user): try the next directory.
            }
        }

        throw new IOException($"no writable lock directory among {string.Join(", ", Directories)}");
    }

    /// <summary>
    /// Creates <paramref name="dir"/> if missing, world-writable with the sticky bit (like /tmp), so wrappers
    /// of every BOINC user and a root <c>gc</c> meet in the same directory: the image protocol of
    /// <see cref="ImageUse"/> relies on all parties locking the same file.
    /// </summary>
    public static void SharedDirectory(string dir)
    {
        if (Directory.Exists(dir))
            return;
        Directory.CreateDirectory(dir);
        TryMakeShared(dir, (UnixFileMode)0x3ff /* 01777 */);
    }

    private static void TryMakeShared(string path, UnixFileMode mode)
    {
        try
        {
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, mode);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // Someone else's: it keeps the mode its creator gave it.
        }
    }

    public void Dispose()
    {
        var held = Interlocked.Exchange(ref fd, -1);
        if (held >= 0)
        {
            Libc.UnlockWholeFile(held);
            Libc.Close(held);
        }
    }
}
