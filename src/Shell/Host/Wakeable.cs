using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace Boinc.Persist.Shell.Host;

/// <summary>
/// Lets a dedicated thread sleep in poll(2) on one descriptor with no timeout and still be stopped: the poll
/// also waits on an eventfd that <see cref="Wake"/> makes readable. Before, such threads polled in 250 ms
/// slices only to look at a "stop" flag, eight wake-ups a second per wrapper that did nothing (a timed sleep
/// and wake-up costs ~30 us of CPU on the test machine, counted against the wrapper in bench item 1).
/// Where eventfd is refused (never on Linux 2.6.27 and later), <see cref="Wait"/> falls back to the slices.
/// <see cref="Wake"/> may be called from any thread, any number of times, also after <see cref="Dispose"/> (then it
/// does nothing: a closed descriptor's number is never written to). Dispose only once no thread waits (closing a
/// descriptor does not wake a poll on it): the waiting thread disposes on its way out, or its owner after joining it.
/// </summary>
public sealed partial class Wakeable : IDisposable
{
    private const short PollIn = 0x1;
    private const int EfdCloexec = 0x80000;
    private const int EfdNonblock = 0x800;

    /// <summary>The slice a wait falls back to when there is no eventfd.</summary>
    public const int FallbackSliceMs = 250;

    private readonly object gate = new();
    private int eventFd;

    public Wakeable()
    {
        eventFd = EventFd(0, EfdCloexec | EfdNonblock);
    }

    /// <summary>True when a wait sleeps without a timeout (false: the eventfd was refused; waits use slices).</summary>
    public bool Untimed => Volatile.Read(ref eventFd) >= 0;

    /// <summary>
    /// Waits until <paramref name="descriptor"/> is readable (1), <see cref="Wake"/> was called (0; the wake
    /// stays pending, so every later wait returns 0 at once too) or poll failed (-1, errno in
    /// <see cref="Marshal.GetLastPInvokeError"/>; EINTR is the caller's to retry). Without an eventfd, returns 0
    /// after a slice too: the caller then looks at its own stop flag, as it must after any 0.
    /// </summary>
    public unsafe int Wait(int descriptor)
    {
        var fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = descriptor, Events = PollIn };
        int wake;
        lock (gate)
            wake = eventFd;
        if (wake < 0)
        {
            var slice = Poll(fds, 1, FallbackSliceMs);
            return slice < 0 ? -1 : slice > 0 ? 1 : 0;
        }

        fds[1] = new PollFd { Fd = wake, Events = PollIn };
        var ready = Poll(fds, 2, -1);
        if (ready < 0)
            return -1;
        return fds[0].Revents != 0 ? 1 : 0; // POLLIN, or POLLERR/POLLHUP/POLLNVAL: the caller's read says which
    }

    /// <summary>
    /// Sleeps <paramref name="ms"/> milliseconds unless <see cref="Wake"/> was or is called (then returns at once):
    /// a pause a waiting thread can take without making its owner's Dispose wait for it.
    /// </summary>
    public unsafe void Pause(int ms)
    {
        int wake;
        lock (gate)
            wake = eventFd;
        if (wake < 0)
        {
            Thread.Sleep(ms);
            return;
        }

        var fds = stackalloc PollFd[1];
        fds[0] = new PollFd { Fd = wake, Events = PollIn };
        _ = Poll(fds, 1, ms); // an EINTR only ends the pause early
    }

    /// <summary>Makes every wait return (now and later); idempotent, and harmless after <see cref="Dispose"/>.</summary>
    public unsafe void Wake()
    {
        lock (gate)
        {
            if (eventFd < 0)
                return;
            ulong one = 1;
            // EAGAIN (the counter is full) still leaves it readable: nothing to handle.
            _ = Write(eventFd, &one, sizeof(ulong));
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (eventFd >= 0)
                _ = Close(eventFd);
            eventFd = -1;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initval, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollFd* fds, ulong count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
