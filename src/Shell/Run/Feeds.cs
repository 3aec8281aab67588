using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Shell.Checkpoints;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>
/// What feeds the loop from outside: BOINC's control channel (looked at every 100 ms) and the 1-second tick, the
/// checkpoint watcher's signals, and SIGTERM/SIGINT/SIGHUP (handled as BOINC's quit). They only post.
/// </summary>
public sealed class Feeds : IDisposable
{
    private readonly JobLoop loop;
    private readonly Option<IBoincClient> client;
    private readonly WrapperLog log;
    private readonly TimeProvider time;
    private readonly CancellationTokenSource cts;
    private readonly Thread tick;

    public Feeds(JobLoop loop, Option<IBoincClient> client, Option<CheckpointWatcher> watcher, WrapperLog log, TimeProvider time, CancellationToken stopping)
    {
        this.loop = loop;
        this.client = client;
        this.log = log;
        this.time = time;
        cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        tick = new Thread(TickThread) { IsBackground = true, Name = "boinc-persist tick" };
        tick.Start();
        foreach (var w in watcher)
            _ = Pump(w);
    }

    /// <summary>SIGTERM/SIGINT/SIGHUP: what a host shutdown or a user at a terminal does; handled as BOINC's quit.</summary>
    public void OnSignal(PosixSignalContext signal)
    {
        signal.Cancel = true;
        log.Info($"{signal.Signal} received: quitting as the quit policy says");
        loop.Post(new Command.Quit());
    }

    public void Dispose()
    {
        cts.Cancel();
        // The tick thread reads the client's shared memory: it must be gone before that is unmapped.
        tick.Join(TimeSpan.FromSeconds(2));
        cts.Dispose();
    }

    /// <summary>
    /// A thread that sleeps 100 ms between looks at the control channel (one read of a flag byte in shared
    /// memory), so a suspend pauses the container well within BOINC's expectations; the loop is woken only when
    /// BOINC has sent a message, and for the tick. (A PeriodicTimer posting every 100 ms cost ~25 futex calls per
    /// wake-up: most of an idle wrapper's CPU.)
    /// </summary>
    private void TickThread()
    {
        var token = cts.Token;
        var period = TimeSpan.FromMilliseconds(100);
        var nextSecond = time.GetTimestamp() + time.TimestampFrequency;
        while (true)
        {
            Thread.Sleep(period);
            if (token.IsCancellationRequested)
                return;
            var second = time.GetTimestamp() >= nextSecond;
            if (second)
                nextSecond += time.TimestampFrequency;
            if (second || client.Exists(c => c.ControlPending))
                loop.Post(new LoopInput.Poll());
            if (second)
                loop.Post(new LoopInput.Tick());
        }
    }

    private async Task Pump(CheckpointWatcher watcher)
    {
        try
        {
            await foreach (var signal in watcher.Signals.ReadAllAsync(cts.Token))
            {
                log.Debug($"checkpoint signal: {signal.Why}");
                loop.Post(new Command.CheckpointDetected());
            }
        }
        catch (OperationCanceledException)
        {
            // The wrapper is ending.
        }
    }
}
