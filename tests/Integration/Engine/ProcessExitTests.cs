using System;
using System.Diagnostics;
using System.IO.Pipes;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Host;
using Xunit;

namespace Boinc.Persist.Integration.Engine;

/// <summary>
/// The untimed waits of the dedicated threads (issue 17: no more sliced polls that wake a thread four times a
/// second): a pidfd watch answers when its process ends and when it is disposed, and the eventfd that stops a
/// wait stops it before, during and after the wait, and is harmless once closed. No engine: a host process.
/// </summary>
public sealed class ProcessExitTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(1); // only a hung watch gets here: not a speed bound

    [Fact]
    public async Task A_watch_answers_with_the_counter_when_its_process_ends()
    {
        using var process = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        var counter = CgroupCpu.Open(process.Id).Match(c => c, why => throw new Xunit.Sdk.XunitException(why));
        using var watch = ProcessExit.Arm(process.Id, counter).Match(w => w, why => throw new Xunit.Sdk.XunitException(why));
        Assert.False(watch.Final.IsCompleted);

        process.Kill();
        var final = await watch.Final.WaitAsync(Hang);

        Assert.True(final.IsRight, $"no counter at the end: {final}");
        Assert.True(final.IfLeft(-1) >= 0);
    }

    /// <summary>
    /// The watch's read races the engine's removal of the cgroup (the CI flake of stop 26: under a build's load the
    /// engine won and the CPU after the last sample was missing), so its thread, and only it, asks for nice -20
    /// while it waits, and goes back before it completes its task. Where the host refuses (no CAP_SYS_NICE), the
    /// note says why and the thread keeps the process's nice; with CAP_SYS_NICE (CI runs as root) it must not be
    /// refused.
    /// </summary>
    [Fact]
    public async Task The_watching_thread_alone_runs_at_the_highest_priority_while_it_waits_or_says_why_not()
    {
        using var process = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        try
        {
            var notes = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var counter = CgroupCpu.Open(process.Id).Match(c => c, why => throw new Xunit.Sdk.XunitException(why));
            using var watch = ProcessExit.Arm(process.Id, counter, notes.Enqueue).Match(w => w, why => throw new Xunit.Sdk.XunitException(why));

            Assert.True(System.Threading.SpinWait.SpinUntil(() => watch.PriorityAsked, Hang), "the watch never asked for its priority");
            var tid = watch.ThreadId;
            var own = Nice(Environment.ProcessId);

            if (MayRaisePriority())
            {
                Assert.Empty(notes);
                Assert.Equal(ProcessExit.WatchNice, Nice(tid));
                Assert.NotEqual(ProcessExit.WatchNice, own);
            }
            else
            {
                Assert.Contains(notes, n => n.StartsWith($"setpriority(this thread, {ProcessExit.WatchNice}): ", StringComparison.Ordinal));
                Assert.Equal(own, Nice(tid));
            }

            // When the process ends, the thread reads the counter, then goes back to the process's nice before the
            // answer is given
            process.Kill();
            var final = await watch.Final.WaitAsync(Hang);
            Assert.True(final.IsRight, $"no counter at the end: {final}");
            int? after = null;
            try
            {
                after = Nice(tid);
            }
            catch (System.IO.IOException)
            {
                // The thread has ended since (its /proc entry is gone): nothing left to look at
            }

            if (after is not null)
                Assert.Equal(own, after);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    /// <summary>Whether this process has CAP_SYS_NICE in its effective set (bit 23 of CapEff).</summary>
    private static bool MayRaisePriority()
    {
        foreach (var line in System.IO.File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                return (ulong.Parse(line[7..].Trim(), System.Globalization.NumberStyles.HexNumber) & (1UL << 23)) != 0;
        }

        return false;
    }

    /// <summary>The nice value of a thread of this process (field 19 of /proc/self/task/TID/stat).</summary>
    private static int Nice(int tid)
    {
        var stat = System.IO.File.ReadAllText($"/proc/self/task/{tid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture); // field 19, counted from 3
    }

    [Fact]
    public async Task Disposing_a_watch_ends_its_wait_while_the_process_still_runs()
    {
        using var process = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        try
        {
            var counter = CgroupCpu.Open(process.Id).Match(c => c, why => throw new Xunit.Sdk.XunitException(why));
            var watch = ProcessExit.Arm(process.Id, counter).Match(w => w, why => throw new Xunit.Sdk.XunitException(why));

            watch.Dispose();
            var final = await watch.Final.WaitAsync(Hang);

            Assert.Equal("the watch ended before the process did", final.Match(_ => "a counter", why => why));
            Assert.False(process.HasExited);
            watch.Dispose(); // twice: nothing written to a closed descriptor
        }
        finally
        {
            process.Kill();
        }
    }

    [Fact]
    public async Task A_wake_ends_a_wait_in_progress_and_every_later_one_and_a_readable_descriptor_wins()
    {
        using var wake = new Wakeable();
        Assert.True(wake.Untimed);
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        var fd = (int)pipe.ClientSafePipeHandle.DangerousGetHandle();

        // A wait in progress, on a descriptor with nothing to read, returns 0 once woken
        var waiting = Task.Factory.StartNew(() => wake.Wait(fd), TaskCreationOptions.LongRunning);
        wake.Wake();
        Assert.Equal(0, await waiting.WaitAsync(Hang));
        // and the wake stays: a later wait returns at once
        Assert.Equal(0, wake.Wait(fd));

        // A readable descriptor is reported as such even with the wake pending
        pipe.WriteByte(1);
        Assert.Equal(1, wake.Wait(fd));

        wake.Dispose();
        wake.Wake(); // after the dispose: does nothing
        Assert.False(wake.Untimed);
    }
}
