using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Cli;
using Boinc.Persist.Shell.Engine;
using LanguageExt;
using Generation = Boinc.Persist.Core.Lifecycle.Generation;

namespace Boinc.Persist.Shell.Run;

/// <summary>
/// The wrapper mode: one task in one slot, from start (or restart) to its last effect. The sandwich of the
/// style guide: read the world (slot, journal, engine, checkpoint store), ask <see cref="JobLifecycle"/>, run
/// the effects it returns, and feed what happens next (BOINC's messages, the engine's exit, checkpoints, the
/// 1-second tick) back as commands. Everything runs on one loop; background tasks only post to its inbox.
/// </summary>
public sealed partial class JobRunner : IAsyncDisposable
{
    /// <summary>How long BOINC should wait before starting us again when the engine is not usable.</summary>
    public static readonly TimeSpan EngineRetryDelay = TimeSpan.FromMinutes(5);

    /// <summary>How often a lost container is replaced within one wrapper run before leaving it to BOINC.</summary>
    public const int MaxInProcessRestarts = 3;

    /// <summary>The file a checkpoint-and-stop quit creates in WORKDIR: "checkpoint now, you will be stopped".</summary>
    public const string CheckpointRequestFile = "checkpoint_requested";

    private readonly RunOptions options;
    private readonly WrapperLog log;
    private readonly TimeProvider time;
    private readonly IEngine engine;
    private readonly System.Threading.Channels.Channel<Inbox> inbox = System.Threading.Channels.Channel.CreateUnbounded<Inbox>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource stopping = new();

    private JobReport report = null!;
    private Plan plan = null!;
    private JobConfig config = JobConfig.Default;
    private SlotContext context = null!;
    private Option<SlotLock> slotLock;
    private Option<ClientLink> client;
    private Option<CheckpointStore> store;
    private Option<CheckpointWatcher> watcher;
    private LifecycleState state = null!;
    private string engineIdentity = "";
    private string bootId = "";
    private double lastCpuSeconds;
    private double fraction;
    private bool clientLostReported;
    private int restarts;
    private Option<CancellationTokenSource> containerTasks;
    private Option<ITimer> graceTimer;
    private Option<DateTimeOffset> logsSince;

    private JobRunner(RunOptions options, WrapperLog log, TimeProvider time, IEngine engine)
    {
        this.options = options;
        this.log = log;
        this.time = time;
        this.engine = engine;
    }

    /// <summary>Runs the task in <see cref="RunOptions.SlotDir"/>; returns the process exit status for BOINC.</summary>
    public static async Task<int> Run(RunOptions options, TextWriter stderr, TimeProvider time, Func<IEngine> connect)
    {
        var log = new WrapperLog(stderr, time, options.Verbose);
        log.Info($"boinc-persist {Program.Version} starting in {Path.GetFullPath(options.SlotDir)}");
        if (options.Sporadic)
            log.Warn("--sporadic (docker_wrapper's sporadic apps) is accepted but not supported: the job runs as a normal one");
        IEngine engine;
        try
        {
            engine = connect();
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException or InvalidOperationException)
        {
            log.Error($"cannot use the container engine: {e.Message}");
            return BoincExit.TemporaryExit(options.SlotDir, (int)EngineRetryDelay.TotalSeconds,
                $"container engine not usable: {e.Message}", Option<SlotLock>.None);
        }

        await using var runner = new JobRunner(options, log, time, engine);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, runner.OnSignal);
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, runner.OnSignal);
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, runner.OnSignal);
        try
        {
            return await runner.RunTask();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug or an unforeseen failure: never a silent exit. A compute error would throw the work away;
            // a temporary exit lets BOINC start us again, and the journal and store make that safe.
            log.Error($"unexpected failure: {e}");
            try
            {
                return BoincExit.TemporaryExit(options.SlotDir, 600, $"boinc-persist failed unexpectedly: {e.GetType().Name}: {e.Message}", runner.slotLock);
            }
            catch (Exception again) when (again is not OutOfMemoryException)
            {
                // Not even that file can be written (a full disk): exit 0 without files, a "premature exit"
                // the client restarts, rather than crash into a compute error.
                log.Error($"cannot write {BoincExit.TemporaryExitFileName} either: {again.Message}; exiting for BOINC to restart us");
                return ExitCodes.TemporaryExit;
            }
        }
        finally
        {
            // What this run cost the engine: the benchmark reads this line (engine API calls per minute).
            log.Info(EngineCallCounter.Summary());
        }
    }

    public async ValueTask DisposeAsync()
    {
        stopping.Cancel();
        // The tick thread reads the client's shared memory: it must be gone before that is unmapped below.
        tickThread?.Join(TimeSpan.FromSeconds(2));
        containerTasks.Iter(c => c.Cancel());
        graceTimer.Iter(t => t.Dispose());
        watcher.Iter(w => w.Dispose());
        client.Iter(c => c.Dispose());
        engine.Dispose();
        await Task.Yield();
        stopping.Dispose();
    }

    private void OnSignal(PosixSignalContext signal)
    {
        // SIGTERM/SIGINT/SIGHUP: what a host shutdown or a user at a terminal does; handled as BOINC's quit.
        signal.Cancel = true;
        log.Info($"{signal.Signal} received: quitting as the quit policy says");
        inbox.Writer.TryWrite(new Inbox.Cmd(new Command.Quit()));
    }

    private async Task<int> RunTask()
    {
        var slot = Path.GetFullPath(options.SlotDir);

        // The slot lock first: two wrappers in one slot would fight over everything below.
        var locked = SlotLock.Acquire(slot);
        if (locked.IsFail)
        {
            var why = locked.Match(_ => "", e => e.Message);
            log.Error($"cannot take the slot lock: {why}");
            return BoincExit.TemporaryExit(slot, 600, $"cannot take the slot lock: {why}", Option<SlotLock>.None);
        }

        slotLock = locked.IfFail(Option<SlotLock>.None);
        if (slotLock.IsNone)
        {
            log.Error($"another process holds {SlotLock.FileName} after {SlotLock.DefaultPatience.TotalSeconds:0}s");
            return BoincExit.LockBusy(slot);
        }

        // A temporary exit of an earlier run is spent: BOINC has restarted us.
        var staleExit = Path.Combine(slot, BoincExit.TemporaryExitFileName);
        if (File.Exists(staleExit))
        {
            log.Info($"removing {BoincExit.TemporaryExitFileName} left by the previous run");
            File.Delete(staleExit);
        }

        // The job directory: job.toml, the Dockerfile, init_data.xml, the link files, the plan.
        report = JobDirectory.Load(new JobDirectoryOptions(slot, options.ConfigName, options.DockerfileName, options.AppArgs));
        ReportWriter.Findings(log.Writer, report);
        if (report.HasErrors || report.Plan.IsNone)
        {
            log.Error("the job cannot run as configured (errors above); reporting a compute error");
            slotLock.Iter(l => l.Dispose());
            return ExitCodes.JobFailed;
        }

        plan = report.Plan.IfNone(() => throw new InvalidOperationException());
        config = report.Config.IfNone(JobConfig.Default);
        context = report.Context.IfNone(() => throw new InvalidOperationException());
        OpenClient(slot);

        // The engine: an engine that does not answer is not the job's fault.
        var version = await engine.Version(stopping.Token);
        if (version.IsLeft)
            return TemporaryExitFor(version.LeftToSeq().Head(), "the container engine does not answer").IfNone(0);
        var v = version.RightToSeq().Head();
        bootId = JournalFile.BootId();
        engineIdentity = $"{engine.Endpoint.Uri} engine {v.Version} api {v.ApiVersion} boot {bootId}";
        log.Info($"container engine {v.Version} (API {v.ApiVersion}) at {engine.Endpoint}");

        if (config.Checkpoint.Enabled)
        {
            store = CheckpointStore.Open(slot, config.Checkpoint, time);
        }
        else
        {
            log.Warn("job.toml declares no [checkpoint] files: after a crash this job starts over from the beginning");
        }

        var started = await StartOrRecover("start");
        if (started.IsSome)
            return started.IfNone(0);

        store.Iter(s => watcher = CheckpointWatcher.Start(slot, s.Config, time));
        _ = PumpCheckpointSignals();
        _ = Tick();
        return await Loop();
    }

    /// <summary>Reads journal, engine and store, asks <see cref="JobLifecycle.Start"/>, runs its effects.</summary>
    private async Task<Option<int>> StartOrRecover(string why)
    {
        var slot = report.Directory;
        var read = JournalFile.Read(slot);
        read.Problem.Iter(problem => log.Warn($"the journal cannot be trusted ({problem}); deciding from the engine and the checkpoint store alone"));
        var journal = read.Journal;

        var observed = await engine.Inspect(plan.Container.Name, stopping.Token);
        if (observed.IsLeft)
            return TemporaryExitFor(observed.LeftToSeq().Head(), "cannot inspect the job's container");

        var traits = await engine.Traits(stopping.Token);
        if (traits.IsLeft)
            return TemporaryExitFor(traits.LeftToSeq().Head(), "cannot ask the container engine what it supports");
        var canPause = traits.Exists(t => t.CanPause);
        log.Info($"engine: {traits.Map(EngineDifferences.Describe).IfLeft("")}");
        if (!canPause)
            log.Warn(config.Lifecycle.Quit == QuitPolicy.Pause
                ? "this engine cannot pause containers (rootless Podman on cgroup v1): quit_policy = \"pause\" becomes checkpoint-and-stop, and so does a suspend"
                : "this engine cannot pause containers (rootless Podman on cgroup v1): a suspend checkpoints and stops the job, as a quit does");
        var facts = new TaskFacts(
            plan.Container.Name,
            plan.Container.Image.Tag,
            bootId,
            config.Lifecycle.Quit,
            config.Lifecycle.StopGrace,
            EngineRetryDelay) { CanPause = canPause };
        var decision = JobLifecycle.Start(new StartInput(facts, journal, observed.RightToSeq().Head(), StoreStateNow()));
        log.Info($"{why}: {Describe(decision.Case)}");
        logsSince = decision.Case is StartCase.ReattachRunning or StartCase.UnpausePaused
            ? time.GetUtcNow()
            : Option<DateTimeOffset>.None;
        state = decision.State;
        var exit = await Execute(decision.Effects);
        if (exit.IsNone && state.Phase is Phase.Running or Phase.Suspended)
            WatchContainer();
        return exit;
    }

    private async Task<int> Loop()
    {
        while (true)
        {
            var item = await inbox.Reader.ReadAsync(stopping.Token);
            var exit = item switch
            {
                Inbox.Cmd c => await Decide(c.Command),
                Inbox.Poll => await OnPoll(),
                Inbox.Tick => await OnTick(),
                Inbox.ContainerEnded e => await OnContainerEnded(e.Code),
                Inbox.WaitFailed f => await OnWaitFailed(f.Error),
                _ => Option<int>.None,
            };
            if (exit.IsSome)
                return exit.IfNone(0);
        }
    }

    private async Task<Option<int>> Decide(Command command)
    {
        if (command is Command.Quit or Command.Abort or Command.Suspend or Command.Resume or Command.ClientLost)
            log.Info($"BOINC: {command.GetType().Name.ToLowerInvariant()}");
        var decision = JobLifecycle.Decide(state, command);
        state = decision.State;
        return await Execute(decision.Effects);
    }

    private static string Describe(StartCase c) => c switch
    {
        StartCase.ReportFinishedAgain => "the job already finished: reporting its result again, not re-running it",
        StartCase.CompleteAbort => "completing an abort that was interrupted",
        StartCase.CreateFromNewest => "no container: starting it from the newest committed generation",
        StartCase.StartCreated => "the container was created but never started: starting it",
        StartCase.ReattachRunning => "the container is running: re-attaching to it (no restart, no work lost)",
        StartCase.UnpausePaused => "the container is paused: resuming it",
        StartCase.RestartAfterUnrecordedExit => "the container exited without a recorded result (reboot or engine restart): recovering and starting again",
        StartCase.RecreateDeadOrUnknown => "the container is dead or in an unknown state: recreating it from the newest generation",
        StartCase.EngineUnreachable => "the container engine is unreachable",
        _ => c.ToString(),
    };

    /// <summary>The mailbox of the loop: BOINC commands, the tick, and what the container watchers saw.</summary>
    private abstract record Inbox
    {
        private Inbox() { }

        public sealed record Cmd(Command Command) : Inbox;

        public sealed record Poll : Inbox;

        public sealed record Tick : Inbox;

        public sealed record ContainerEnded(int Code) : Inbox;

        public sealed record WaitFailed(EngineError Error) : Inbox;
    }
}
