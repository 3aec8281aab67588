using System;
using System.Diagnostics;
using System.IO;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Shell.Verification.Fakes;
using LanguageExt;

namespace Boinc.Persist.Integration.Protocol;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>A fake BOINC data directory under a private temp root, removed on dispose.</summary>
public sealed class FakeDataDir : IDisposable
{
    public FakeDataDir(FakeTask? task = null, params FakeInput[] files)
    {
        Root = Path.Combine(Path.GetTempPath(), "boinc-persist-proto-" + Guid.NewGuid().ToString("N")[..10]);
        Slot = FakeSlot.Create(Root, task ?? FakeTask.Default(), files.ToSeq());
    }

    public string Root { get; }
    public FakeSlot Slot { get; }

    /// <summary>init_data.xml as the wrapper reads it.</summary>
    public SlotContext Context() =>
        SlotContexts.Parse("init_data.xml", Slot.InitDataXml()).Value.IfNone(() => throw new InvalidOperationException("fake init_data.xml does not parse"));

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}

/// <summary>A helper process (python3) for things that must happen in ANOTHER process: fcntl locks are per process.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _p;

    private ChildProcess(Process p) => _p = p;

    public int Pid => _p.Id;

    public static ChildProcess Python(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return new ChildProcess(Process.Start(psi) ?? throw new InvalidOperationException("cannot start python3"));
    }

    /// <summary>The next line the child prints, or an exception after 30 s.</summary>
    public string ReadLine()
    {
        var line = _p.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(30)))
            throw new TimeoutException("the helper process printed nothing in 30 s: " + _p.StandardError.ReadToEnd());
        return line.Result ?? throw new InvalidOperationException("the helper process ended: " + _p.StandardError.ReadToEnd());
    }

    public int WaitForExit()
    {
        if (!_p.WaitForExit(30_000))
            throw new TimeoutException("the helper process did not exit in 30 s");
        return _p.ExitCode;
    }

    public void Kill()
    {
        if (!_p.HasExited) _p.Kill();
        _p.WaitForExit(30_000);
    }

    public void Dispose()
    {
        Kill();
        _p.Dispose();
    }

    /// <summary>Locks argv[1] with a whole-file fcntl write lock, says "locked", holds it until killed.</summary>
    public const string HoldLock = "import fcntl,sys,time\nf=open(sys.argv[1],'w')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(600)";

    /// <summary>Tries once to fcntl-lock argv[1]: exit 0 when it got the lock, 1 when another process holds it.</summary>
    public const string TryLock = "import fcntl,sys\nf=open(sys.argv[1],'w')\ntry:\n  fcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\nexcept OSError:\n  sys.exit(1)\nsys.exit(0)";
}
