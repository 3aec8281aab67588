using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Engine;
using LanguageExt;
using Generation = Boinc.Persist.Core.Lifecycle.Generation;

namespace Boinc.Persist.Shell.Run;

/// <summary>What feeds the loop: the client, the tick, the checkpoint watcher, the container's exit.</summary>
public sealed partial class JobRunner
{
    /// <summary>The thread that looks at the control channel every 100 ms (see <see cref="Tick"/>).</summary>
    private Thread? tickThread;

    /// <summary>The CPU sampler of the running container (its cgroup counter, located on first use).</summary>
    private Option<ContainerCpu> containerCpu;

    /// <summary>Exit codes of a container killed by a signal we did not send (host shutdown, engine restart).</summary>
    private static readonly int[] SignalExits = { 129, 130, 131, 137, 143 };

    private void OpenClient(string slot)
    {
        if (report.Standalone || !File.Exists(Path.Combine(slot, SharedMemory.FileName)))
        {
            log.Info(report.Standalone
                ? "standalone: no init_data.xml, so no BOINC client (Ctrl-C or SIGTERM quits as the quit policy says)"
                : $"no {SharedMemory.FileName} in the slot: running without a BOINC client channel");
            return;
        }

        var opened = ClientLink.Open(slot, context, time);
        opened.Match(
            c => client = Option<ClientLink>.Some(c),
            e => log.Warn($"cannot open the BOINC client channel, running without it: {e.Message}"));
    }

    /// <summary>The newest generation that verifies, for the start decision (recovery itself runs as an effect).</summary>
    private StoreState StoreStateNow() =>
        store.Match(
            s => s.List().Match(
                list => new StoreState(list.Find(g => g.Problem.IsNone)
                    .Map(g => new Generation(g.Info.Number, (long)(g.Info.CpuTimeSeconds * 1e9)))),
                e =>
                {
                    log.Warn($"the checkpoint store cannot be listed ({e.Message}); recovery will decide");
                    return new StoreState(s.Latest.Map(g => new Generation(g.Number, (long)(g.CpuTimeSeconds * 1e9))));
                }),
            () => StoreState.Empty);

    /// <summary>
    /// Every 100 ms a look at the client's control channel, so a suspend pauses the container well within
    /// BOINC's expectations; every second a status tick, which makes no engine call unless something changed
    /// (see <see cref="OnTick"/>). A thread of its own that sleeps between looks: a look is one read of a flag
    /// byte in shared memory, and the loop is woken only when BOINC has sent a message, or for the tick.
    /// (A PeriodicTimer posting every 100 ms to the loop cost ~25 futex calls per wake-up: most of an idle
    /// wrapper's CPU.)
    /// </summary>
    private Task Tick()
    {
        tickThread = new Thread(TickThread) { IsBackground = true, Name = "boinc-persist tick" };
        tickThread.Start();
        return Task.CompletedTask;
    }

    /// <summary>The tick thread: a nanosleep per 100 ms, then a look; ends within 100 ms of <c>stopping</c>.</summary>
    private void TickThread()
    {
        var token = stopping.Token;
        var period = TimeSpan.FromMilliseconds(100);
        var nextSecond = time.GetTimestamp() + time.TimestampFrequency;
        while (true)
        {
            Thread.Sleep(period);
            // Checked before every look: DisposeAsync cancels, joins this thread, and only then unmaps the
            // client's shared memory.
            if (token.IsCancellationRequested)
                return;
            var second = time.GetTimestamp() >= nextSecond;
            if (second)
                nextSecond += time.TimestampFrequency;
            if (second || client.Exists(c => c.ControlPending))
                inbox.Writer.TryWrite(new Inbox.Poll());
            if (second)
                inbox.Writer.TryWrite(new Inbox.Tick());
        }
    }

    /// <summary>BOINC's control messages.</summary>
    private async Task<Option<int>> OnPoll()
    {
        foreach (var c in client)
        {
            foreach (var message in c.Poll())
            {
                var exit = message switch
                {
                    ControlMessage.Suspend => await Decide(new Command.Suspend()),
                    ControlMessage.Resume => await Decide(new Command.Resume()),
                    ControlMessage.Quit => await Decide(new Command.Quit()),
                    ControlMessage.Abort => await Decide(new Command.Abort()),
                    _ => Option<int>.None,
                };
                if (exit.IsSome)
                    return exit;
            }

        }

        return Option<int>.None;
    }

    /// <summary>Once a second: the client's liveness, the CPU counter while the job runs, a status message.</summary>
    private async Task<Option<int>> OnTick()
    {
        foreach (var c in client)
        {
            if (c.ClientLost && !clientLostReported)
            {
                clientLostReported = true;
                log.Warn("the BOINC client is gone (no heartbeat for 30 s, or its process ended)");
                var exit = await Decide(new Command.ClientLost());
                if (exit.IsSome)
                    return exit;
            }
        }

        // CPU from the container's cgroup counter (no engine call); the engine is asked only when the container
        // (re)started and its counter has to be located, or when no counter can be found (said once in the log).
        if (state.Phase is Phase.Running or Phase.Quitting)
        {
            var sampler = containerCpu.IfNone(() =>
            {
                var made = new ContainerCpu(engine, log.Info, log.Warn);
                containerCpu = made;
                return made;
            });
            var cpu = await sampler.Sample(plan.Container.Name, stopping.Token);
            if (cpu.IsRight)
                return await Decide(new Command.CpuSampled(cpu.RightToSeq().Head()));
            log.Debug($"no CPU sample: {cpu.LeftToSeq().Head()}");
        }

        SendStatus();
        return Option<int>.None;
    }

    private async Task PumpCheckpointSignals()
    {
        foreach (var w in watcher)
        {
            try
            {
                await foreach (var signal in w.Signals.ReadAllAsync(stopping.Token))
                {
                    log.Debug($"checkpoint signal: {signal.Why}");
                    inbox.Writer.TryWrite(new Inbox.Cmd(new Command.CheckpointDetected()));
                }
            }
            catch (OperationCanceledException)
            {
                // The wrapper is ending.
            }
        }
    }

    /// <summary>Follows the container: its exit through the engine's wait API, its output into stderr.txt.</summary>
    private void WatchContainer()
    {
        StopWatchingContainer();
        var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        containerTasks = Option<CancellationTokenSource>.Some(cts);
        var name = plan.Container.Name;
        DateTimeOffset? since = logsSince.Case is DateTimeOffset at ? at : null;
        _ = Task.Run(async () =>
        {
            var streamed = await engine.StreamLogs(name, "[job] ", log.Writer, cts.Token, since);
            streamed.IfLeft(e => { if (!cts.IsCancellationRequested) log.Debug($"container output stream ended: {e}"); });
        });
        _ = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                var waited = await engine.WaitForExit(name, TimeSpan.FromHours(12), cts.Token);
                if (cts.IsCancellationRequested)
                    return;
                if (waited.IsRight)
                {
                    inbox.Writer.TryWrite(new Inbox.ContainerEnded(waited.RightToSeq().Head()));
                    return;
                }

                var error = waited.LeftToSeq().Head();
                if (error is EngineError.Timeout)
                    continue;
                inbox.Writer.TryWrite(new Inbox.WaitFailed(error));
                return;
            }
        });
    }

    private void StopWatchingContainer()
    {
        containerTasks.Iter(c => c.Cancel());
        containerTasks = Option<CancellationTokenSource>.None;
    }

    private void StopBackground()
    {
        StopWatchingContainer();
        containerCpu.Iter(c => c.Dispose());
        containerCpu = Option<ContainerCpu>.None;
        graceTimer.Iter(t => t.Dispose());
        graceTimer = Option<ITimer>.None;
        watcher.Iter(w => w.Dispose());
        watcher = Option<CheckpointWatcher>.None;
    }

    /// <summary>
    /// The container ended. Our own stop is the lifecycle's business; otherwise look at how: gone from the
    /// engine, or killed by a signal we did not send (a shutdown, an engine restart), is a lost container to
    /// recover, not the job's result. Anything else is the job's exit status.
    /// </summary>
    private async Task<Option<int>> OnContainerEnded(int code)
    {
        containerTasks = Option<CancellationTokenSource>.None;
        if (state.Phase is Phase.Done)
            return Option<int>.None;

        // A last commit for what the app wrote before it exited (a checkpoint-and-stop exit, or its last step).
        var observed = await engine.Inspect(plan.Container.Name, stopping.Token);
        if (observed.IsLeft)
            return await OnWaitFailed(observed.LeftToSeq().Head());
        var o = observed.RightToSeq().Head();
        var why = $"the container {(o is Observation.Absent ? "was removed" : $"ended with {code} ({o.GetType().Name.ToLowerInvariant()})")}";
        var killed = o is Observation.Absent or Observation.Dead or Observation.Unknown ||
                     (state.Journal.Intent == Intent.Run && Array.IndexOf(SignalExits, code) >= 0);

        // While BOINC wants us to quit, whatever ends the container is part of quitting, never the job's result:
        // keep what the app committed, and quit (the next start recovers from the newest generation).
        if (state.Phase is Phase.Quitting)
        {
            log.Info($"{why} while quitting");
            if (code == 0 && !killed && store.IsSome)
            {
                var commit = await Commit();
                if (commit.IsSome)
                    return commit;
            }

            return await Decide(new Command.GraceElapsed());
        }

        // Suspended: BOINC does not want it running now; let BOINC start us again rather than restart it here.
        if (killed && state.Phase is Phase.Suspended)
        {
            log.Warn($"{why} while suspended");
            return await Decide(new Command.EngineEvent(new Observation.Dead("lost while suspended")));
        }

        if (killed)
            return await RestartLost($"{why} while the job ran");

        return await Decide(new Command.ExitObserved(code));
    }

    private async Task<Option<int>> OnWaitFailed(EngineError error)
    {
        if (state.Phase is Phase.Done)
            return Option<int>.None;
        if (error is EngineError.NotFound)
            return await RestartLost("the container disappeared from the engine");
        if (error.IsTemporary)
            return await Decide(new Command.EngineUnreachable(error.ToString()));
        log.Warn($"waiting for the container failed: {error}; checking it again");
        WatchContainer();
        return Option<int>.None;
    }

    /// <summary>A lost container: what BOINC would do after a temporary exit, without the wait.</summary>
    private async Task<Option<int>> RestartLost(string why)
    {
        restarts++;
        log.Warn(why);
        if (restarts > MaxInProcessRestarts)
        {
            return await Decide(new Command.EngineEvent(new Observation.Dead("lost")));
        }

        return await StartOrRecover($"recovery {restarts} of {MaxInProcessRestarts}");
    }

    private void ReadFraction()
    {
        FractionDoneFile.Read(report.Directory).Iter(r => r.Match(
            value => fraction = value,
            problem => log.Debug($"fraction_done ignored: {problem}")));
    }

    /// <summary>A status message to the client: CPU so far, the committed generation's CPU, fraction done.</summary>
    private void SendStatus()
    {
        lastCpuSeconds = Math.Max(lastCpuSeconds, state?.CpuNanos / 1e9 ?? 0);
        ReadFraction();
        var checkpoint = store.Bind(s => s.Latest).Map(g => g.CpuTimeSeconds).IfNone(0);
        var status = AppStatus.Of(lastCpuSeconds, checkpoint, fraction);
        foreach (var c in client)
        {
            if (!c.TrySendStatus(status))
                log.Debug("the client has not read the previous status yet");
        }
    }
}
