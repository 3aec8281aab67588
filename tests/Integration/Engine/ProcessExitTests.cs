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
