using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Host;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>
/// What feeds the loop from outside: BOINC's control channel (looked at every 0.5 s, every 0.1 s for 10 s after a message) and the 1-second tick, the
/// checkpoint watcher's signals, and SIGTERM/SIGINT/SIGHUP (handled as BOINC's quit). They only post.
/// </summary>
public sealed class Feeds : IDisposable
{
    private readonly JobLoop loop;
    private readonly Option<IBoincClient> client;
    private readonly WrapperLog log;
    private readonly TimeProvider time;
    private readonly CancellationTokenSource cts;
    private readonly LoopPump pump;
    private readonly long second;
    private readonly long fastFor;
    private long nextSecond;
    private long fastUntil = long.MinValue;

    public Feeds(JobLoop loop, Option<IBoincClient> client, Option<CheckpointWatcher> watcher, WrapperLog log, TimeProvider time, CancellationToken stopping)
    {
        this.loop = loop;
        this.client = client;
        this.log = log;
        this.time = time;
        cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        second = time.TimestampFrequency;
        fastFor = (long)(FastFor.TotalSeconds * second);
        nextSecond = time.GetTimestamp() + second;
        // The look is the loop thread's own timed wait (Program.cs runs the job under a LoopPump).
        pump = LoopPump.OfThisThread
            ?? throw new InvalidOperationException("Feeds are made on the wrapper's loop thread (LoopPump.Run)");
        pump.StartPeriodic(Period, Look);

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
        // The look reads the client's shared memory: it must be over for good before that is unmapped.
        pump.StopPeriodic();
        cts.Dispose();
    }

    /// <summary>How often the control channel is looked at while BOINC sends nothing (and the tick checked for).</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);

    /// <summary>How often it is looked at for <see cref="FastFor"/> after a message (BOINC's CPU throttling).</summary>
    public static readonly TimeSpan FastPeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the channel is looked at every <see cref="FastPeriod"/> after the last message.</summary>
    public static readonly TimeSpan FastFor = TimeSpan.FromSeconds(10);

    /// <summary>
    /// One look at the control channel (one read of a flag byte in shared memory) and the tick when a second has
    /// passed; returns how long until the next look. The loop is woken only when BOINC has sent a message, and for
    /// the tick. Each wake-up of a sleeping thread costs ~50 us of CPU here (schedstat of the old tick thread, bench
    /// item 1): ten looks a second were 0.5 ms/s, a third of a running wrapper's CPU (issue 17's goal is 1 ms/s).
    /// So while BOINC sends nothing it looks every <see cref="Period"/> (a suspend, quit or abort out of the blue is
    /// taken within half a second; docker_wrapper looks once a second, BOINC's API in an app every 0.1 s), and for
    /// <see cref="FastFor"/> after any message
    /// every <see cref="FastPeriod"/>: BOINC's CPU throttling ("use at most N % of CPU time") suspends and resumes a
    /// task about every second, and each of those is taken within 0.1 s as before. (A PeriodicTimer posting every
    /// 100 ms cost ~25 futex calls per wake-up.) It used to be a thread of its own; it is now the loop thread's
    /// timed wait (<see cref="LoopPump"/>), which saved that thread's wake-ups and the pool's (issue 17 item 1).
    /// </summary>
    private TimeSpan Look()
    {
        var now = time.GetTimestamp();
        var tick = now >= nextSecond;
        if (tick)
            nextSecond += second;
        var message = client.Exists(c => c.ControlPending);
        if (message)
            fastUntil = now + fastFor;
        if (tick || message)
            loop.Post(new LoopInput.Poll());
        if (tick)
            loop.Post(new LoopInput.Tick());
        return now < fastUntil ? FastPeriod : Period;
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
