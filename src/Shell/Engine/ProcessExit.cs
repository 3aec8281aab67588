using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// A container's CPU counter read at the moment its main process ends, before the engine deletes its cgroup.
/// The engine reports an exit only after it has torn the cgroup down (Docker: the shim reaps the process,
/// containerd deletes the task and its cgroup, then dockerd answers the wait), so any read after the engine
/// says "exited" finds the counter gone, and a 1-second tick misses whatever ran after its last sample. This
/// holds a pidfd of the container's main process (pid 1 of its namespace: when it ends, the kernel has already
/// killed and waited for every other process in the container) and, on a dedicated thread, reads the counter
/// the instant the pidfd says the process ended. Linux ≥ 5.3; <see cref="Arm"/> says why not elsewhere.
/// <para>
/// That read races the engine: the kernel wakes this thread and the shim (the process's parent) at the same
/// moment, and the shim's reap, containerd's task delete and the cgroup's removal are a few context switches
/// away. The BOINC client runs the wrapper at nice 19, and the engine runs at nice 0: on a host whose cores are
/// busy (other BOINC tasks, a build) this thread would come last and find the counter gone. So the thread asks
/// for the highest priority (nice -20) for itself alone (Linux nice is per thread) before it sleeps. It costs
/// nothing while it sleeps, and once woken it does one read and ends. Without CAP_SYS_NICE (a rootless engine)
/// the request is refused; the watch then runs at the wrapper's priority, and the note says so.
/// </para>
/// </summary>
public sealed partial class ProcessExit : IDisposable
{
    private const int PidfdOpenSyscall = 434; // the same number on every Linux architecture (new syscall table)

    private readonly int pidfd;
    private readonly CgroupCpu counter;
    private readonly TaskCompletionSource<Either<string, long>> final = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Host.Wakeable wake = new();
    private readonly Action<string>? note;
    private readonly TaskCompletionSource<int> started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool disposed;

    private ProcessExit(int pid, int pidfd, CgroupCpu counter, Action<string>? note)
    {
        Pid = pid;
        this.pidfd = pidfd;
        this.counter = counter;
        this.note = note;
        var thread = new Thread(Watch) { IsBackground = true, Name = $"cpu-at-exit-{pid}" };
        thread.Start();
    }

    /// <summary>The watching thread's id (its /proc/self/task entry), once it has asked for its priority.</summary>
    public Task<int> Started => started.Task;

    /// <summary>The watched process (host pid).</summary>
    public int Pid { get; }

    /// <summary>
    /// The counter's value read right after the process ended (Left: it could not be read, e.g. the cgroup was
    /// already gone, or the watch was disposed first). Completes once, never faults.
    /// </summary>
    public Task<Either<string, long>> Final => final.Task;

    /// <summary>
    /// Opens a pidfd of <paramref name="pid"/> and watches it; <paramref name="counter"/> becomes this watch's.
    /// <paramref name="note"/> hears, from the watching thread, why it could not raise its priority.
    /// </summary>
    public static Either<string, ProcessExit> Arm(int pid, CgroupCpu counter, Action<string>? note = null)
    {
        int fd;
        try
        {
            fd = (int)PidfdOpen(PidfdOpenSyscall, pid, 0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return $"pidfd_open is not available: {e.Message}";
        }

        if (fd < 0)
            return $"pidfd_open({pid}) failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}";
        return new ProcessExit(pid, fd, counter, note);
    }

    /// <summary>The nice value the watching thread asks for (see the class remarks).</summary>
    public const int WatchNice = -20;

    /// <summary>Raises the calling thread (only it) to <see cref="WatchNice"/>; null, or why not.</summary>
    private static string? RaiseThisThread()
    {
        var tid = GetTid();
        if (SetPriority(PrioProcess, tid, WatchNice) == 0)
            return null;
        return $"setpriority(thread {tid}, {WatchNice}): {new Win32Exception(Marshal.GetLastPInvokeError()).Message}";
    }

    private void Watch()
    {
        try
        {
            if (RaiseThisThread() is { } refused)
                note?.Invoke(refused);
            started.TrySetResult(GetTid());
            while (!disposed)
            {
                // Sleeps until the process ends or Dispose wakes it (no timeout: a sliced poll woke this thread
                // four times a second for nothing).
                var ready = wake.Wait(pidfd);
                if (ready > 0)
                {
                    final.TrySetResult(counter.Read());
                    return;
                }

                if (ready < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == 4) // EINTR
                        continue;
                    final.TrySetResult($"poll on the pidfd of {Pid} failed: {new Win32Exception(errno).Message}");
                    return;
                }
            }

            final.TrySetResult("the watch ended before the process did");
        }
        catch (Exception e)
        {
            // A dedicated thread has no caller to throw to: the failure becomes the answer.
            final.TrySetResult($"watching the pidfd of {Pid} failed: {e.Message}");
            started.TrySetException(e);
        }
        finally
        {
            counter.Dispose();
            Close(pidfd);
            wake.Dispose();
        }
    }

    /// <summary>Stops the watch at once; <see cref="Final"/> then says it ended first (unless the process had).</summary>
    public void Dispose()
    {
        disposed = true;
        wake.Wake();
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long PidfdOpen(long number, long pid, long flags);

    private const int PrioProcess = 0;

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int prio);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
