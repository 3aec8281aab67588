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
/// away. On a busy host this thread can come too late and find the counter gone (CI: under the AOT build's
/// load; a stress of the scenario under 8 busy loops lost 4 reads in 50). So the thread asks for nice -20 for
/// itself alone (Linux nice is per thread) while it waits, and goes back to its old nice after its one read,
/// before it completes any task (a thread-pool worker created from it would inherit the nice). Nice orders
/// threads within one CPU cgroup: it wins over the other work beside the wrapper (the BOINC client runs its
/// apps, the wrapper among them, at nice 19), not over the engine's processes in their own cgroups, which
/// compete by cgroup weight. Only a wrapper with CAP_SYS_NICE (root on the host) may raise itself; otherwise
/// (a client running as its own user, as Debian's does) the request is refused, the watch runs at the
/// wrapper's priority, and the note says so once.
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
    private volatile int threadId;
    private volatile bool priorityAsked;
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

    /// <summary>The watching thread's id (its /proc/self/task entry); 0 until it runs.</summary>
    public int ThreadId => threadId;

    /// <summary>Whether the watching thread has asked for its priority (and <see cref="ThreadId"/> is set).</summary>
    public bool PriorityAsked => priorityAsked;

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

    /// <summary>
    /// Raises the calling thread (only it: <c>who</c> 0 with PRIO_PROCESS is the calling thread on Linux) to
    /// <see cref="WatchNice"/>: the nice it had, or why not.
    /// </summary>
    private static Either<string, int> RaiseThisThread()
    {
        Marshal.SetLastPInvokeError(0);
        var old = GetPriority(PrioProcess, 0);
        if (old == -1 && Marshal.GetLastPInvokeError() != 0)
            return $"getpriority: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}";
        if (SetPriority(PrioProcess, 0, WatchNice) == 0)
            return old;
        return $"setpriority(this thread, {WatchNice}): {new Win32Exception(Marshal.GetLastPInvokeError()).Message}";
    }

    private void Watch()
    {
        Either<string, long> answer = "the watch ended before the process did";
        var restore = Option<int>.None;
        try
        {
            threadId = ThisThreadId();
            RaiseThisThread().Match(old => restore = old, Note);
            priorityAsked = true;
            while (!disposed)
            {
                // Sleeps until the process ends or Dispose wakes it (no timeout: a sliced poll woke this thread
                // four times a second for nothing).
                var ready = wake.Wait(pidfd);
                if (ready > 0)
                {
                    answer = counter.Read();
                    return;
                }

                if (ready < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == 4) // EINTR
                        continue;
                    answer = $"poll on the pidfd of {Pid} failed: {new Win32Exception(errno).Message}";
                    return;
                }
            }
        }
        catch (Exception e)
        {
            // A dedicated thread has no caller to throw to: the failure becomes the answer.
            answer = $"watching the pidfd of {Pid} failed: {e.Message}";
        }
        finally
        {
            // Back to the old nice before completing the task (lowering one's priority is always allowed): a
            // thread-pool worker that completion creates from this thread must not inherit -20.
            foreach (var old in restore)
                SetPriority(PrioProcess, 0, old);
            counter.Dispose();
            Close(pidfd);
            wake.Dispose();
            final.TrySetResult(answer);
        }
    }

    /// <summary>gettid(2) through glibc (2.30 and later); 0 where it is missing: only tests look at it.</summary>
    private static int ThisThreadId()
    {
        try
        {
            return GetTid();
        }
        catch (EntryPointNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>The note is advisory: a failing note (its log unwritable) must not cost the watch its read.</summary>
    private void Note(string why)
    {
        try
        {
            note?.Invoke(why);
        }
        catch (Exception)
        {
            // The log that would say this is the one that failed: nothing left to tell.
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

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int prio);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
