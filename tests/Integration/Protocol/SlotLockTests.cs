using System;
using System.Diagnostics;
using System.IO;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Verification.Fakes;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Protocol;

public sealed class SlotLockTests
{
    private static T Ok<T>(Fin<T> f) => f.Match(v => v, e => throw new InvalidOperationException(e.Message));

    [Fact]
    public void A_lock_held_by_another_process_is_waited_for_then_the_temporary_exit_is_written()
    {
        // Given another process holding boinc_lockfile with fcntl
        using var dir = new FakeDataDir();
        var lockPath = Path.Combine(dir.Slot.SlotDir, SlotLock.FileName);
        using var holder = ChildProcess.Python(ChildProcess.HoldLock, lockPath);
        Assert.Equal("locked", holder.ReadLine());

        // When we try for 2 s
        var watch = Stopwatch.StartNew();
        var got = Ok(SlotLock.Acquire(dir.Slot.SlotDir, TimeSpan.FromSeconds(2), TimeProvider.System));
        watch.Stop();

        // Then we did not get it, waited the patience, and the fallback is BOINC's temporary exit
        Assert.True(got.IsNone);
        // (no upper bound: how late a loaded host returns proves nothing; a hang is the run's timeout's business)
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.9), $"gave up after {watch.Elapsed}, before the patience");
        Assert.Equal(ExitCodes.TemporaryExit, BoincExit.LockBusy(dir.Slot.SlotDir));
        using var client = Ok(FakeClient.Attach(dir.Slot.SlotDir));
        Assert.Equal(Option<(int, string)>.Some((600, "Waiting to acquire slot directory lock")), client.TemporaryExit());
        Assert.True(client.FinishStatus().IsNone);
    }

    [Fact]
    public void Our_lock_keeps_another_process_out_and_dispose_releases_and_removes_it()
    {
        using var dir = new FakeDataDir();
        var lockPath = Path.Combine(dir.Slot.SlotDir, SlotLock.FileName);

        var held = Ok(SlotLock.Acquire(dir.Slot.SlotDir, TimeSpan.FromSeconds(1), TimeProvider.System));
        var slotLock = held.IfNone(() => throw new InvalidOperationException("a free lock was not taken"));
        using (var probe = ChildProcess.Python(ChildProcess.TryLock, lockPath))
            Assert.Equal(1, probe.WaitForExit());

        slotLock.Dispose();
        Assert.False(File.Exists(lockPath));
        using (var probe = ChildProcess.Python(ChildProcess.TryLock, lockPath))
            Assert.Equal(0, probe.WaitForExit());
    }

    [Fact]
    public void A_lock_freed_while_we_wait_is_taken()
    {
        using var dir = new FakeDataDir();
        var lockPath = Path.Combine(dir.Slot.SlotDir, SlotLock.FileName);
        using var holder = ChildProcess.Python(
            "import fcntl,sys,time\nf=open(sys.argv[1],'w')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(1.5)", lockPath);
        Assert.Equal("locked", holder.ReadLine());

        var got = Ok(SlotLock.Acquire(dir.Slot.SlotDir, TimeSpan.FromSeconds(10), TimeProvider.System));

        Assert.True(got.IsSome);
        got.Iter(l => l.Dispose());
    }

    [Fact]
    public void Finish_writes_the_status_the_client_reads_and_removes_the_lockfile()
    {
        using var dir = new FakeDataDir();
        var slotLock = Ok(SlotLock.Acquire(dir.Slot.SlotDir));
        Assert.True(File.Exists(Path.Combine(dir.Slot.SlotDir, SlotLock.FileName)));

        var code = BoincExit.Finish(dir.Slot.SlotDir, 0, slotLock);

        Assert.Equal(0, code);
        Assert.Equal("0\n", File.ReadAllText(Path.Combine(dir.Slot.SlotDir, BoincExit.FinishFileName)));
        Assert.False(File.Exists(Path.Combine(dir.Slot.SlotDir, SlotLock.FileName)));
        using var client = Ok(FakeClient.Attach(dir.Slot.SlotDir));
        Assert.Equal(Option<int>.Some(0), client.FinishStatus());
        Assert.Equal(Option<int>.Some(3), Option<int>.Some(BoincExit.Finish(dir.Slot.SlotDir, 3, Option<SlotLock>.None)));
        Assert.Equal(Option<int>.Some(3), client.FinishStatus());
    }

    [Fact]
    public void The_fraction_done_file_is_read_clamped_and_garbage_is_a_reason()
    {
        using var dir = new FakeDataDir();
        var path = Path.Combine(dir.Slot.SlotDir, FractionDoneFile.FileName);
        Assert.True(FractionDoneFile.Read(dir.Slot.SlotDir).IsNone);
        File.WriteAllText(path, "0.42\n");
        Assert.Equal(Option<Either<string, double>>.Some(0.42), FractionDoneFile.Read(dir.Slot.SlotDir));
        File.WriteAllText(path, "1.7");
        Assert.Equal(Option<Either<string, double>>.Some(1.0), FractionDoneFile.Read(dir.Slot.SlotDir));
        File.WriteAllText(path, "0,5");
        Assert.Contains("comma", FractionDoneFile.Read(dir.Slot.SlotDir).Bind(e => e.LeftToSeq().HeadOrNone()).IfNone(""));
        File.WriteAllText(path, new string('1', 1000));
        Assert.Contains("larger than", FractionDoneFile.Read(dir.Slot.SlotDir).Bind(e => e.LeftToSeq().HeadOrNone()).IfNone(""));
    }
}
