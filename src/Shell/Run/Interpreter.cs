using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Core;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>What running one effect produced: commands for the decider, or the process exit status.</summary>
public sealed record Outcome(Seq<Command> Feedback, Option<int> Exit)
{
    public static Outcome Nothing { get; } = new(Seq<Command>.Empty, Option<int>.None);

    public static Outcome Then(Command c) => new(Seq1(c), Option<int>.None);

    public static Outcome Exited(int code) => new(Seq<Command>.Empty, code);

    /// <summary>An outcome after which the rest of the batch must not run (the decider must see it first).</summary>
    public bool Failed => Feedback.Exists(c => c is Command.EngineUnreachable or Command.EffectFailed);

    private static Seq<Command> Seq1(Command c) => new[] { c }.ToSeq();
}

/// <summary>
/// The one interpreter of the lifecycle's effects. It decides nothing: it runs an effect against the ports and
/// reports what happened as commands (<see cref="Outcome"/>), or, for effects that complete later (following the
/// container, the checkpoint wait), posts them through <c>post</c>. Its only state is machinery: the task
/// following the container, the grace timer, the last CPU time and fraction sent.
/// </summary>
public sealed class Interpreter(RunContext context, RunPorts ports, WrapperLog log, TimeProvider time, Action<Command> post, CancellationToken stopping)
    : IEffectRunner, IDisposable
{
    private Option<CancellationTokenSource> following;

    /// <summary>The relay of the container's output into stderr.txt, while one runs, and its own cancellation:
    /// the run's end stops following the container at once but lets the relay finish (see <see cref="DrainOutput"/>).</summary>
    private Option<Task> relay;
    private Option<CancellationTokenSource> relaying;

    /// <summary>Whether the followed container has ended (its wait returned, or the wrapper stopped or killed it): only
    /// then does its output stream end by itself, so only then is there a rest of the output to wait for. A container
    /// left running or paused (a quit, a temporary exit) is not waited for: the next wrapper re-attaches to it.</summary>
    private volatile bool followedEnded;
    private Option<ITimer> graceTimer;
    private double lastCpuSeconds;

    /// <summary>The declared files' identities when the last generation of this run was committed.</summary>
    private Option<string> committedFingerprint;
    private double lastCheckpointSeconds;
    private double fraction;

    /// <summary>The web graphics message the client has not taken yet (its channel was full).</summary>
    private Option<string> pendingGraphics;

    private static Outcome Nothing => Outcome.Nothing;

    public void Dispose()
    {
        EndRun();
        StopRelay();
    }

    /// <summary>The run is over: no more waiting for the container or the grace period. The output relay goes on,
    /// so the container's last lines still reach stderr.txt (<see cref="Execute"/> drains it, bounded).</summary>
    private void EndRun()
    {
        StopFollowing();
        graceTimer.Iter(t => t.Dispose());
        graceTimer = Option<ITimer>.None;
    }

    public async Task<Outcome> Execute(Effect effect)
    {
        var outcome = await Run(effect);
        // The run ends here: when the container has ended, its output still on its way to stderr.txt is relayed
        // first (the engine's follow stream ends by itself once the container has stopped), bounded so an engine
        // that keeps the stream open cannot hold the exit. A container left running or paused is not waited for.
        if (outcome.Exit.IsSome)
            await DrainOrStop();
        return outcome;
    }

    /// <summary>How long the end of the run waits for the container's last output.</summary>
    private static readonly TimeSpan OutputDrainLimit = TimeSpan.FromSeconds(10);

    /// <summary>The container's remaining output, when it has ended; else the relay stops now.</summary>
    private async Task DrainOrStop()
    {
        if (followedEnded)
            await DrainOutput(OutputDrainLimit);
        else
            StopRelay();
    }

    private async Task DrainOutput(TimeSpan limit)
    {
        if (relay.Case is not Task task || task.IsCompleted)
            return;
        using var giveUp = new CancellationTokenSource();
        var bound = Task.Delay(limit, time, giveUp.Token);
        var first = await Task.WhenAny(task, bound);
        giveUp.Cancel();
        if (first != task)
        {
            log.Warn($"the container's output was still being relayed {limit.TotalSeconds:0} s after the end: the rest is not in stderr.txt");
            StopRelay();
        }
    }

    private void StopRelay()
    {
        relaying.Iter(c => c.Cancel());
        relaying = Option<CancellationTokenSource>.None;
    }

    /// <summary>One effect: the store's and the journal's here, the others by kind (container, checkpoint and status, exit).</summary>
    private async Task<Outcome> Run(Effect effect)
    {
        log.Debug($"effect {effect}");
        switch (effect)
        {
            case Effect.RecoverStore:
                return RecoverStore();

            case Effect.ObserveWorld:
                return await ObserveWorld();

            case Effect.BuildImage:
                return await EnsureImage();

            case Effect.RestoreGeneration g:
                return Restore(g.Number, g.Why);

            case Effect.WriteJournal w:
                ports.Slot.WriteJournal(w.Journal);
                return Nothing;

            case Effect.RequestCheckpoint or Effect.AwaitCheckpoint or Effect.CommitCheckpoint or Effect.ReportStatus:
                return await RunCheckpointOrStatus(effect);

            case Effect.Finish or Effect.TemporaryExit or Effect.QuitExit or Effect.ExitAborted:
                return RunExit(effect);

            default:
                return await RunOnContainer(effect);
        }
    }

    /// <summary>The effects on the job's container and its image.</summary>
    private async Task<Outcome> RunOnContainer(Effect effect)
    {
        var name = context.Name;
        var engine = ports.Engine;
        switch (effect)
        {
            case Effect.CreateContainer:
                ports.Slot.PrepareForContainer();
                return await Refusable(await engine.Create(context.Container, stopping), "create the container");

            case Effect.StartContainer:
                return await Refusable(await engine.Start(name, stopping), "start the container");

            case Effect.FollowContainer f:
                Follow(f.Reattached ? time.GetUtcNow() : null);
                await PublishWebGraphics();
                // The container's CPU (and memory) right away, not a tick later: a re-attached container has run
                // all along, and its figure belongs in the first status (issue 15).
                var first = await ports.Cpu.Sample(name, stopping);
                return first.Case is long nanos ? Outcome.Then(new Command.CpuSampled(nanos)) : Nothing;

            case Effect.PauseContainer:
                return Required(await engine.Pause(name, stopping), "pause the container");

            case Effect.UnpauseContainer:
                return Required(await engine.Unpause(name, stopping), "resume the container");

            case Effect.StopContainer s:
                return await Stop(s.Grace);

            case Effect.KillContainer:
                StopFollowing();
                var killed = await engine.Kill(name, stopping);
                Complain(killed, "kill the container");
                followedEnded |= killed.IsRight;
                return Nothing;

            case Effect.RemoveContainer:
                // The container's last output first: once it is removed, the engine has no log left to read
                // (Podman's follow stream can end before the end of the output, and the relay then reads the
                // stopped container's log once more).
                await DrainOrStop();
                StopFollowing();
                Complain(await engine.Remove(name, stopping), "remove the container");
                return Nothing;

            case Effect.RemoveImageIfUnused r:
                (await engine.RemoveImageIfUnused(r.Tag, stopping)).Match(
                    removed => log.Info(removed ? $"removed image {r.Tag}" : $"kept image {r.Tag}: another container or wrapper uses it, or builds on this host went on for {DockerEngine.BuildsPatience.TotalSeconds:0} s (the image collector removes it once unused)"),
                    e => log.Warn($"cannot remove image {r.Tag}: {e}"));
                return Nothing;

            default:
                throw new InvalidOperationException($"no interpreter for effect {effect}");
        }
    }

    /// <summary>Asking the app for a checkpoint, waiting for it, committing it, and telling the client.</summary>
    private async Task<Outcome> RunCheckpointOrStatus(Effect effect)
    {
        switch (effect)
        {
            case Effect.RequestCheckpoint:
                ports.Slot.RequestCheckpoint();
                return Nothing;

            case Effect.AwaitCheckpoint a:
                graceTimer.Iter(t => t.Dispose());
                graceTimer = Option<ITimer>.Some(time.CreateTimer(
                    _ => post(new Command.GraceElapsed()), null, a.Grace, Timeout.InfiniteTimeSpan));
                return Nothing;

            case Effect.CommitCheckpoint c:
                return await Commit(c);

            case Effect.ReportStatus s:
                if (s.Message.Length > 0)
                    log.Info(s.Message);
                lastCpuSeconds = Math.Max(lastCpuSeconds, s.CpuNanos / 1e9);
                lastCheckpointSeconds = s.CheckpointCpuNanos / 1e9;
                SendStatus();
                return Nothing;

            default:
                throw new InvalidOperationException($"no interpreter for effect {effect}");
        }
    }

    /// <summary>The run's end, as BOINC is to see it: finished, a temporary exit, a quit, an abort.</summary>
    private Outcome RunExit(Effect effect)
    {
        EndRun();
        switch (effect)
        {
            case Effect.Finish f:
                if (f.Code == 0)
                    fraction = 1;
                SendFinalStatus();
                log.Info(f.Code == 0 ? "the job finished successfully" : $"the job failed with exit code {f.Code}: reporting a compute error");
                return Outcome.Exited(ports.Slot.Finish(f.Code));

            case Effect.TemporaryExit t:
                SendStatus();
                log.Warn($"temporary exit, BOINC retries in {t.Delay.TotalSeconds:0}s: {t.Reason}");
                return Outcome.Exited(ports.Slot.TemporaryExit(t.Delay, t.Reason));

            case Effect.QuitExit q:
                SendStatus();
                log.Info($"quitting: {q.Reason}");
                return Outcome.Exited(ports.Slot.Quit());

            case Effect.ExitAborted:
                log.Info("aborted: container removed");
                return Outcome.Exited(ports.Slot.Aborted());

            default:
                throw new InvalidOperationException($"no interpreter for effect {effect}");
        }
    }

    /// <summary>
    /// The status that goes with the result: its CPU time is what the client credits, so when the client has not
    /// read the previous message yet (the channel takes one at a time; it looks about once a second) the wrapper
    /// waits for it, at most <see cref="FinalStatusTries"/> looks 20 ms apart, instead of dropping the last figure.
    /// </summary>
    private void SendFinalStatus()
    {
        ReadFraction();
        var status = CurrentStatus();
        foreach (var c in ports.Client)
        {
            var sent = Sent(c.TrySendStatus(status), status);
            // The channel still holds our last status unread. If that one already carries the final CPU and
            // checkpoint CPU times (the exit's own status does: nothing changes them between it and the finish), the
            // client credits exactly these on reading it: do not hold the finish up to a second for the rest (the
            // fraction done and working set, which the client does not credit).
            if (!sent && lastSent.Exists(pending => pending.CreditsAs(status)))
            {
                log.Debug("the final CPU times are in the status the client has not read yet");
                continue;
            }

            for (var i = 0; !sent && i < FinalStatusTries && !stopping.IsCancellationRequested; i++)
            {
                Thread.Sleep(20);
                sent = Sent(c.TrySendStatus(status), status);
            }

            if (!sent)
                log.Warn($"the client did not read the previous status within {FinalStatusTries * 20 / 1000.0:0.#} s: the final CPU time ({status.CurrentCpuTime:0.###} s) was not sent");
        }
    }

    private const int FinalStatusTries = 150;

    /// <summary>The last status the client's channel took (it may still be unread: the channel holds one).</summary>
    private Option<AppStatus> lastSent;

    private bool Sent(bool sent, AppStatus status)
    {
        if (sent) lastSent = status;
        return sent;
    }

    private AppStatus CurrentStatus()
    {
        var memory = ports.Cpu.Memory;
        return AppStatus.Of(
            lastCpuSeconds,
            lastCheckpointSeconds,
            fraction,
            workingSetBytes: memory.Map(m => (double)m.WorkingSetBytes),
            maxWorkingSetBytes: memory.Map(m => (double)m.MaxWorkingSetBytes));
    }

    public void SendStatus()
    {
        ReadFraction();
        var memory = ports.Cpu.Memory;
        var status = AppStatus.Of(
            lastCpuSeconds,
            lastCheckpointSeconds,
            fraction,
            workingSetBytes: memory.Map(m => (double)m.WorkingSetBytes),
            maxWorkingSetBytes: memory.Map(m => (double)m.MaxWorkingSetBytes));
        foreach (var c in ports.Client)
        {
            if (!Sent(c.TrySendStatus(status), status))
                log.Debug("the client has not read the previous status yet");
            foreach (var g in pendingGraphics)
            {
                if (c.TrySendGraphics(g))
                    pendingGraphics = Option<string>.None;
            }
        }
    }

    /// <summary>
    /// No build (nor the pull of its base image) while the client says the user suspended network activity, as
    /// docker_wrapper does: the wrapper tells the client it wants the network (<c>want_network</c> in each status,
    /// which makes the client show "waiting for network access") and waits, reading only the heartbeat, until
    /// it lifts. A control request (quit, abort, suspend) or a lost client ends the wait with a temporary exit, so
    /// the loop's reading of the request is not taken away and nothing has started. An image already present
    /// needs no network: no wait then. None: go on and build.
    /// </summary>
    private async Task<Option<Outcome>> WaitForNetwork(string tag)
    {
        if (ports.Client.Case is not IBoincClient client)
            return Option<Outcome>.None;
        client.RefreshHeartbeat();
        if (!client.NetworkSuspended)
            return Option<Outcome>.None;
        var present = await ports.Engine.HasImage(tag, stopping);
        if (present.Exists(p => p))
            return Option<Outcome>.None;

        log.Info($"network activity is suspended by the client: the image {tag} is not built until it is allowed again");
        var waitedSince = time.GetTimestamp();
        while (client.NetworkSuspended)
        {
            ReadFraction();
            client.TrySendStatus(AppStatus.Of(lastCpuSeconds, lastCheckpointSeconds, fraction, wantNetwork: true));
            if (client.ControlPending || client.ClientLost || stopping.IsCancellationRequested)
            {
                log.Info("a request from the client (or its loss) ends the wait for the network");
                return Outcome.Then(new Command.EngineUnreachable("network activity is suspended by the client; the image is built once it is allowed"));
            }

            try
            {
                await Task.Delay(NetworkPoll, time, stopping);
            }
            catch (OperationCanceledException)
            {
                return Outcome.Then(new Command.EngineUnreachable("the wrapper is stopping while waiting for the network"));
            }

            client.RefreshHeartbeat();
        }

        client.TrySendStatus(AppStatus.Of(lastCpuSeconds, lastCheckpointSeconds, fraction, wantNetwork: false));
        log.Info($"network activity allowed again after {time.GetElapsedTime(waitedSince).TotalSeconds:0} s: building the image");
        return Option<Outcome>.None;
    }

    private static readonly TimeSpan NetworkPoll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Web graphics (job.toml <c>web_graphics_guest_port</c>): the host port the engine picked on loopback for the
    /// container's port, sent to the client as <c>boinc_web_graphics_url</c> does, so the Manager's "Show graphics"
    /// opens it. Once per container start or re-attach (the port changes with each start); a full channel is
    /// retried with the next status.
    /// </summary>
    private async Task PublishWebGraphics()
    {
        if (context.Container.WebGraphicsGuestPort.Case is not int guest || ports.Client.IsNone)
            return;
        var found = await ports.Engine.LoopbackPort(context.Name, guest, stopping);
        found.Match(
            port => port.Match(
                p => GraphicsReply.LoopbackUrl(p).Bind(url => GraphicsReply.WebGraphicsUrl(url).Map(text => (url, text))).Match(
                    m =>
                    {
                        log.Info($"web graphics at {m.url} (container port {guest}): sent to the client");
                        pendingGraphics = m.text;
                        foreach (var c in ports.Client)
                        {
                            if (c.TrySendGraphics(m.text))
                                pendingGraphics = Option<string>.None;
                        }
                    },
                    why => log.Warn($"web graphics not sent to the client: {why}")),
                () => log.Warn($"the engine shows no loopback host port for the web graphics port {guest}/tcp: the client cannot open the graphics")),
            e => log.Warn($"cannot read the web graphics' host port: {e}"));
    }

    private Outcome RecoverStore()
    {
        if (ports.Store.Case is not ICheckpoints store)
            return Outcome.Then(new Command.StoreRecovered(StoreSummary.Empty));
        var r = store.RecoverStore();
        foreach (var rejected in r.Rejected)
            log.Warn($"checkpoint generation rejected: {rejected}");
        log.Info($"recovery: {r.Why}");
        return Outcome.Then(new Command.StoreRecovered(new StoreSummary(r.Newest.Map(Of))));
    }

    private async Task<Outcome> ObserveWorld()
    {
        var read = ports.Slot.ReadJournal();
        read.Problem.Iter(problem => log.Warn($"the journal cannot be trusted ({problem}); deciding from the engine and the checkpoint store alone"));
        var observed = await ports.Engine.Inspect(context.Name, stopping);
        return observed.Match(
            o => Outcome.Then(new Command.WorldObserved(read.Journal, o)),
            e => EngineFailure(e, "cannot inspect the job's container"));
    }

    private async Task<Outcome> EnsureImage()
    {
        var image = context.Image;
        if (context.DockerfileText.Case is not string dockerfile)
        {
            // job.toml names a prebuilt image and there is no Dockerfile: the engine must have it.
            log.Info($"using the image {image.Tag} named by job.toml");
            return Nothing;
        }

        var waited = await WaitForNetwork(image.Tag);
        if (waited.IsSome)
            return waited.IfNone(Nothing);

        var ensured = await ports.Engine.EnsureImage(image, dockerfile, log.Writer, stopping);
        return ensured.Match(
            i =>
            {
                log.Info(i.Built ? $"built image {image.Tag}" : $"reusing image {image.Tag}");
                return Nothing;
            },
            e => e.IsTemporary
                ? EngineFailure(e, "cannot build the image")
                : Outcome.Then(new Command.EffectFailed($"cannot build the image {image.Tag} from {image.DockerfileName}: {e.Message}", JobsFault: true)));
    }

    private Outcome Restore(long number, string why)
    {
        if (ports.Store.Case is not ICheckpoints store)
        {
            log.Warn($"generation {number} should be restored, but job.toml declares no checkpoint");
            return Nothing;
        }

        var before = store.WorkFiles();
        var r = store.Restore();
        if (r.RestoreError.Case is string failed)
        {
            // Never start the job on half-restored files: it would start over and its commits would push the
            // intact generation out.
            log.Error($"restoring generation {number} failed: {failed}");
            return Outcome.Then(new Command.EffectFailed($"restoring checkpoint generation {number} failed: {failed}", JobsFault: false));
        }

        foreach (var rejected in r.Rejected)
            log.Warn($"checkpoint generation rejected: {rejected}");
        log.Info(r.Chosen.Match(
            g => $"recovered generation {g.Number} (CPU {g.CpuNanos / 1e9:0.0}s, {g.FractionDone:P0} done){(r.Restored.IsEmpty && r.Removed.IsEmpty ? "; WORKDIR already matched it" : "")}",
            () => $"no intact generation to recover: {r.Why}"));
        foreach (var discarded in Discarded(before, r))
            log.Warn($"discarded {discarded}: {why}");
        if (r.Chosen.Map(g => g.Number).IfNone(-1) != number)
            log.Warn($"recovery chose {r.Chosen.Map(g => g.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)).IfNone("no generation")} where {number} was expected: {r.Why}");
        return Nothing;
    }

    /// <summary>The app's files recovery replaced or removed, each with what it was (size, time of its last write).</summary>
    private static Seq<string> Discarded(Seq<WorkFile> before, RecoveryReport r)
    {
        string What(string name, string verb) =>
            before.Find(f => f.Name == name).Match(
                f => $"the app's {name} ({f.Bytes} bytes, written {f.Modified.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} UTC{r.Chosen.Match(g => f.Modified > g.CommittedAt ? $", after generation {g.Number} was committed at {g.CommittedAt.UtcDateTime:HH:mm:ss.fff}" : "", () => "")}), {verb}",
                () => $"{name}, {verb}");
        var replaced = r.Restored
            .Filter(n => n.EndsWith(" (differed from the generation)", StringComparison.Ordinal))
            .Map(n => What(n[..^" (differed from the generation)".Length], r.Chosen.Match(g => $"replaced by generation {g.Number}'s copy", () => "replaced")));
        var removed = r.Removed.Map(n => What(n, r.Chosen.Match(g => $"removed (generation {g.Number} has no such file)", () => "removed")));
        return replaced.Then(removed);
    }

    private async Task<Outcome> Commit(Effect.CommitCheckpoint c)
    {
        if (ports.Store.Case is not ICheckpoints store)
            return Outcome.Then(new Command.CheckpointNotCommitted("job.toml declares no checkpoint"));

        // The CPU time of the files being captured: sampled now (the cgroup counter, one read), not a second ago.
        // A second trigger for files already committed (the rename into place and then the done marker of one
        // checkpoint) makes no generation: it would only move checkpoint CPU time past the files it stands for.
        string fingerprint;
        try
        {
            fingerprint = store.WorkFingerprint();
        }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException)
        {
            fingerprint = "";
        }

        if (fingerprint.Length > 0 && committedFingerprint.Exists(f => f == fingerprint))
        {
            log.Debug("checkpoint files unchanged since the last commit: no new generation");
            return Outcome.Then(new Command.CheckpointNotCommitted("the checkpoint files have not changed since the last commit"));
        }

        var sampled = await ports.Cpu.Sample(context.Name, stopping);
        var cpuNanos = c.CpuAt(sampled.IfLeft(0));
        ReadFraction();
        Fin<GenerationInfo> committed;
        try
        {
            committed = store.Commit(cpuNanos, fraction, context.EngineIdentity);
        }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException)
        {
            // The app changed its files under the walk (a directory gone, a file unreadable): try next time.
            committed = LanguageExt.Common.Error.New($"the checkpoint files changed while they were read: {e.Message}");
        }

        return committed.Match(
            g =>
            {
                log.Info($"committed checkpoint generation {g.Number} ({g.Files} file(s), {g.Bytes} bytes, CPU {g.CpuNanos / 1e9:0.0}s)");
                committedFingerprint = fingerprint.Length > 0 ? Option<string>.Some(fingerprint) : Option<string>.None;
                store.RetentionProblem.Iter(p => log.Warn($"old generations not yet removed: {p}"));
                return Outcome.Then(new Command.CheckpointCommitted(Of(g)));
            },
            e =>
            {
                log.Error($"checkpoint not committed (the previous generation stays intact): {e.Message}");
                return Outcome.Then(new Command.CheckpointNotCommitted(e.Message));
            });
    }

    private async Task<Outcome> Stop(TimeSpan grace)
    {
        StopFollowing();
        graceTimer.Iter(t => t.Dispose());
        graceTimer = Option<ITimer>.None;
        var stopped = await ports.Engine.Stop(context.Name, grace, stopping);
        if (stopped.Case is EngineError e)
            return EngineFailure(e, "stop the container");
        followedEnded = true;
        var observed = await ports.Engine.Inspect(context.Name, stopping);
        return observed.Match(
            o => Outcome.Then(new Command.ContainerEnded(o)),
            err => EngineFailure(err, "inspect the stopped container"));
    }

    /// <summary>Follows the container: its exit through the engine's wait API, its output into stderr.txt.</summary>
    private void Follow(DateTimeOffset? since)
    {
        StopFollowing();
        // A container followed anew (re-created, re-attached): the previous one's stream is over.
        StopRelay();
        var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        following = Option<CancellationTokenSource>.Some(cts);
        var relayCts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        relaying = Option<CancellationTokenSource>.Some(relayCts);
        followedEnded = false;
        var name = context.Name;
        var engine = ports.Engine;
        relay = Task.Run(async () =>
        {
            var streamed = await engine.StreamLogs(name, "[job] ", log.Writer, relayCts.Token, since, log.Warn);
            streamed.IfLeft(e => { if (!relayCts.IsCancellationRequested) log.Debug($"container output stream ended: {e}"); });
        });
        _ = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                var waited = await engine.WaitForExit(name, TimeSpan.FromHours(12), cts.Token);
                if (cts.IsCancellationRequested)
                    return;
                if (waited.IsRight || waited.LeftToSeq().Head() is EngineError.NotFound)
                {
                    followedEnded = true;
                    var observed = await engine.Inspect(name, cts.Token);
                    if (cts.IsCancellationRequested)
                        return;
                    post(observed.Match<Command>(
                        o => new Command.ContainerEnded(o),
                        e => e.IsTemporary ? new Command.EngineUnreachable(e.ToString()) : new Command.ContainerEnded(new Observation.Absent())));
                    return;
                }

                var error = waited.LeftToSeq().Head();
                if (error is EngineError.Timeout)
                    continue;
                if (error.IsTemporary)
                {
                    post(new Command.EngineUnreachable(error.ToString()));
                    return;
                }

                log.Warn($"waiting for the container failed: {error}; waiting again");
                await Task.Delay(TimeSpan.FromSeconds(1), time, cts.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        });
    }

    private void StopFollowing()
    {
        following.Iter(c => c.Cancel());
        following = Option<CancellationTokenSource>.None;
    }

    private void ReadFraction() =>
        ports.Slot.FractionDone().Iter(r => r.Match(
            value => fraction = value,
            problem => log.Debug($"fraction_done ignored: {problem}")));

    /// <summary>An engine call the run cannot do without: temporary failures and refusals both end in a temporary exit.</summary>
    private Outcome Required<T>(Either<EngineError, T> result, string what) =>
        result.Match(
            _ => Nothing,
            e => e is EngineError.Conflict
                ? Already(e, what)
                : EngineFailure(e, $"cannot {what}"));

    /// <summary>
    /// Create and start: an engine that does not answer is a temporary exit, but one that refuses the container
    /// (a bad command, a missing program: the engine's 4xx/5xx with a reason) would refuse it every time, so that
    /// is the job's error, reported once, not an endless retry.
    /// </summary>
    private Task<Outcome> Refusable<T>(Either<EngineError, T> result, string what) =>
        Task.FromResult(result.LeftToSeq().FirstOrDefault() is EngineError.Failed refused
            ? Outcome.Then(new Command.EffectFailed($"the engine refused to {what}: {refused.Message}", JobsFault: true))
            : Required(result, what));

    private Outcome Already(EngineError e, string what)
    {
        // A conflict means it is already done (started, paused...): the effects are idempotent.
        log.Debug($"{what}: {e.Message} (already in that state)");
        return Nothing;
    }

    private static Outcome EngineFailure(EngineError e, string what) =>
        Outcome.Then(e.IsTemporary
            ? new Command.EngineUnreachable($"{what}: {e}")
            : new Command.EffectFailed($"{what}: {e}", JobsFault: false));

    private void Complain<T>(Either<EngineError, T> result, string what) =>
        result.IfLeft(e => log.Warn($"cannot {what}: {e}"));

    private static GenerationSummary Of(GenerationInfo g) => new(g.Number, g.CpuNanos);
}
