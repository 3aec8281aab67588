using System;
using System.IO;
using System.Threading;
using Boinc.Persist.Shell.Host;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Shell.Boinc;

/// <summary>
/// <c>boinc_lockfile</c> in the slot, held with a whole-file <c>fcntl</c> write lock as the BOINC API does
/// (not flock, which .NET's FileShare uses and which does not interlock with fcntl). It proves to a second
/// copy of the app, started by a confused or restarted client, that this slot is taken. fcntl locks belong to
/// the process: another thread of this process would not be kept out. Dispose removes the file and unlocks.
/// </summary>
public sealed class SlotLock : IDisposable
{
    public const string FileName = "boinc_lockfile";

    /// <summary>How long the BOINC API keeps trying before it gives up with a temporary exit (35 tries, 1 s apart).</summary>
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(35);

    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private readonly int _fd;
    private bool _disposed;

    private SlotLock(string path, int fd)
    {
        Path = path;
        _fd = fd;
    }

    public string Path { get; }

    /// <summary>
    /// Takes the lock, retrying once a second for <paramref name="patience"/>. Some(lock) when taken; None when
    /// another process held it all that time (then write the temporary exit: <see cref="BoincExit.LockBusy"/>);
    /// an error when the file cannot be opened or locked at all.
    /// </summary>
    public static Fin<Option<SlotLock>> Acquire(string slotDir, TimeSpan patience, TimeProvider time)
    {
        var path = System.IO.Path.Combine(slotDir, FileName);
        int fd;
        try
        {
            fd = Libc.Open(path, Libc.OWrOnly | Libc.OCreat);
        }
        catch (ErrnoException e)
        {
            return Error.New(e.Message);
        }

        try
        {
            var deadline = time.GetUtcNow() + patience;
            while (true)
            {
                if (Libc.TryLockWholeFile(fd, path))
                    return Option<SlotLock>.Some(new SlotLock(path, fd));
                var left = deadline - time.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    Libc.Close(fd);
                    return Option<SlotLock>.None;
                }

                Thread.Sleep(left < RetryInterval ? left : RetryInterval);
            }
        }
        catch (ErrnoException e)
        {
            Libc.Close(fd);
            return Error.New(e.Message);
        }
    }

    public static Fin<Option<SlotLock>> Acquire(string slotDir) => Acquire(slotDir, DefaultPatience, TimeProvider.System);

    /// <summary>Removes the lock file, then releases the lock (the order of boinc_finish).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            File.Delete(Path);
        }
        finally
        {
            Libc.UnlockWholeFile(_fd);
            Libc.Close(_fd);
        }
    }
}
