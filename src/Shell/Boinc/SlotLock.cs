using System;
using System.IO;
using System.Threading;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Slots;
using Microsoft.Win32.SafeHandles;
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

    private readonly SafeFileHandle _handle;
    private bool _disposed;

    private SlotLock(string slotDir, SafeFileHandle handle)
    {
        SlotDir = slotDir;
        Path = System.IO.Path.Combine(slotDir, FileName);
        _handle = handle;
    }

    public string Path { get; }

    /// <summary>The slot this lock holds.</summary>
    public string SlotDir { get; }

    private int Fd => (int)_handle.DangerousGetHandle();

    /// <summary>
    /// Takes the lock, retrying once a second for <paramref name="patience"/>. Some(lock) when taken; None when
    /// another process held it all that time (then write the temporary exit: <see cref="BoincExit.LockBusy"/>);
    /// an error when the file cannot be opened or locked at all.
    /// </summary>
    public static Fin<Option<SlotLock>> Acquire(string slotDir, TimeSpan patience, TimeProvider time)
    {
        var path = System.IO.Path.Combine(slotDir, FileName);
        SafeFileHandle handle;
        try
        {
            // Through the slot accessor: a boinc_lockfile the job made a symlink (to a file the wrapper, often
            // root, would create or lock) or a FIFO is refused, never followed or waited on.
            using var slot = SlotFiles.Open(slotDir);
            handle = slot.OpenOrCreate(FileName);
        }
        catch (IOException e)
        {
            return Error.New(e.Message);
        }

        try
        {
            var fd = (int)handle.DangerousGetHandle();
            var deadline = time.GetUtcNow() + patience;
            while (true)
            {
                if (Libc.TryLockWholeFile(fd, path))
                    return Option<SlotLock>.Some(new SlotLock(System.IO.Path.GetFullPath(slotDir), handle));
                var left = deadline - time.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    handle.Dispose();
                    return Option<SlotLock>.None;
                }

                Thread.Sleep(left < RetryInterval ? left : RetryInterval);
            }
        }
        catch (ErrnoException e)
        {
            handle.Dispose();
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
            using var slot = SlotFiles.Open(SlotDir);
            slot.Delete(FileName);
        }
        finally
        {
            Libc.UnlockWholeFile(Fd);
            _handle.Dispose();
        }
    }
}
