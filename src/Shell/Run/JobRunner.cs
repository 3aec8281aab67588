using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Jobs;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>
/// The wrapper mode: one task in one slot, from start (or restart) to its last effect. It reads the run's fixed
/// facts once (<see cref="RunContext"/>: slot lock, job directory, engine, boot), builds the ports, starts the
/// feeds (BOINC's channel and the 1-second tick, the checkpoint watcher, SIGTERM/SIGINT/SIGHUP) and hands over
/// to <see cref="JobLoop"/>, where every decision is <see cref="JobLifecycle"/>'s.
/// </summary>
public static class JobRunner
{
    /// <summary>How long BOINC should wait before starting us again when the engine is not usable.</summary>
    public static readonly TimeSpan EngineRetryDelay = TimeSpan.FromMinutes(5);

    /// <summary>The file a checkpoint-and-stop quit creates in WORKDIR: "checkpoint now, you will be stopped".</summary>
    public const string CheckpointRequestFile = SlotPort.CheckpointRequestFile;

    /// <summary>
    /// Runs the task in <see cref="RunOptions.SlotDir"/>; returns the process exit status for BOINC.
    /// <paramref name="connect"/> opens the engine once the job directory is read, with the client's engine
    /// preference from init_data.xml (<c>host_info/docker_type</c>): that file is read once, by
    /// <see cref="JobDirectory.Load"/>.
    /// </summary>
    public static async Task<int> Run(RunOptions options, TextWriter stderr, TimeProvider time, Func<ContainerEngine, IEngine> connect)
    {
        var log = new WrapperLog(stderr, time, options.Verbose);
        log.Info($"boinc-persist {Program.Version} starting in {Path.GetFullPath(options.SlotDir)}");
        using var stopping = new CancellationTokenSource();
        var slot = Path.GetFullPath(options.SlotDir);
        Option<SlotPort> slotPort = Option<SlotPort>.None;
        try
        {
            return await RunTask(options, slot, log, time, connect, stopping, p => slotPort = p);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug or an unforeseen failure: never a silent exit. A compute error would throw the work away;
            // a temporary exit lets BOINC start us again, and the journal and store make that safe.
            log.Error($"unexpected failure: {e}");
            try
            {
                return BoincExit.TemporaryExit(slot, 600, $"boinc-persist failed unexpectedly: {e.GetType().Name}: {e.Message}",
                    slotPort.Bind(p => p.Release()));
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
            stopping.Cancel();
            // What this run cost the engine: the benchmark reads this line (engine API calls per minute).
            log.Info(EngineCallCounter.Summary());
        }
    }

    /// <summary>The task's run: the slot locked and the job loaded, the engine opened, then the loop (<see cref="RunLoop"/>).</summary>
    private static async Task<int> RunTask(
        RunOptions options, string slot, WrapperLog log, TimeProvider time, Func<ContainerEngine, IEngine> connect, CancellationTokenSource stopping, Action<SlotPort> held)
    {
        var loaded = LockAndLoad(options, slot, log);
        if (loaded.Case is int notRun)
            return notRun;
        var (slotLock, report, plan, slotContext) = ((SlotLock, JobReport, Core.Planning.Plan, SlotContext))loaded.Case!;

        // BOINC client 8.2 removes boinc__* containers at its start unless the plan class says docker: say so now.
        Core.Slots.ClientCleanup.Warning(slotContext.ClientVersion, slotContext.PlanClass,
            slotContext.HostInfo.DockerVersion.Exists(d => d.Length > 0), plan.Container.Name).Iter(log.Warn);

        using var slotFiles = SlotFiles.Open(slot);
        var slotPort = new SlotPort(slotFiles, plan, log);
        slotPort.Hold(slotLock);
        held(slotPort);

        var opened = await OpenEngine(connect, slotContext, slotPort, log, stopping.Token);
        if (opened.Case is int engineNotUsable)
            return engineNotUsable;
        var (engine, v, t) = ((IEngine, EngineVersion, EngineTraits))opened.Case!;
        using var engineInUse = engine;
        return await RunLoop(options, slot, log, time, stopping, report, plan, slotContext, slotFiles, slotPort, engine, v, t);
    }

    /// <summary>
    /// The slot lock (two wrappers in one slot would fight over everything), then the job directory: job.toml,
    /// the Dockerfile, init_data.xml, the link files, the plan. Left: the exit status when the job cannot run.
    /// </summary>
    private static Either<int, (SlotLock, JobReport, Core.Planning.Plan, SlotContext)> LockAndLoad(RunOptions options, string slot, WrapperLog log)
    {
        var locked = SlotLock.Acquire(slot);
        if (locked.IsFail)
        {
            var why = locked.Match(_ => "", e => e.Message);
            log.Error($"cannot take the slot lock: {why}");
            return BoincExit.TemporaryExit(slot, 600, $"cannot take the slot lock: {why}", Option<SlotLock>.None);
        }

        if (locked.IfFail(Option<SlotLock>.None).Case is not SlotLock slotLock)
        {
            log.Error($"another process holds {SlotLock.FileName} after {SlotLock.DefaultPatience.TotalSeconds:0}s");
            return BoincExit.LockBusy(slot);
        }

        // A temporary exit of an earlier run is spent (BOINC has restarted us), and exit files found before we
        // write ours are not ours to trust (the job can write the slot): removed through the slot accessor.
        BoincExit.RemoveForeignExitFiles(slot);

        var report = JobDirectory.Load(new JobDirectoryOptions(slot, options.ConfigName, options.DockerfileName, options.AppArgs));
        ReportWriter.Findings(log.Writer, report);
        if (report.HasErrors || report.Plan.Case is not Core.Planning.Plan plan || report.Context.Case is not SlotContext slotContext)
        {
            log.Error("the job cannot run as configured (errors above); reporting a compute error");
            slotLock.Dispose();
            return ExitCodes.JobFailed;
        }

        return (slotLock, report, plan, slotContext);
    }

    /// <summary>
    /// The engine the client prefers, answering: one that cannot be used or does not answer is not the job's
    /// fault (a temporary exit, BOINC retries). Left: that exit's status.
    /// </summary>
    private static async Task<Either<int, (IEngine, EngineVersion, EngineTraits)>> OpenEngine(
        Func<ContainerEngine, IEngine> connect, SlotContext slotContext, SlotPort slotPort, WrapperLog log, CancellationToken ct)
    {
        IEngine engine;
        try
        {
            engine = connect(slotContext.HostInfo.Engine);
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException or InvalidOperationException)
        {
            log.Error($"cannot use the container engine: {e.Message}");
            return slotPort.TemporaryExit(EngineRetryDelay, $"container engine not usable: {e.Message}");
        }

        var version = await engine.Version(ct);
        var traits = await engine.Traits(ct);
        if (version.IsLeft || traits.IsLeft)
        {
            engine.Dispose();
            var e = version.Match(_ => traits.LeftToSeq().Head(), e => e);
            log.Warn($"temporary exit, BOINC retries in {EngineRetryDelay.TotalSeconds:0}s: the container engine does not answer: {e}");
            return slotPort.TemporaryExit(EngineRetryDelay, $"the container engine does not answer: {e}");
        }

        return (engine, version.RightToSeq().Head(), traits.RightToSeq().Head());
    }

    /// <summary>The ports over the engine, the store, the slot and the client, and the job loop until it exits.</summary>
    private static async Task<int> RunLoop(
        RunOptions options, string slot, WrapperLog log, TimeProvider time, CancellationTokenSource stopping, JobReport report,
        Core.Planning.Plan plan, SlotContext slotContext, SlotFiles slotFiles, SlotPort slotPort, IEngine engine, EngineVersion v, EngineTraits t)
    {
        var config = report.Config.IfNone(JobConfig.Default);
        var bootId = JournalFile.BootId();
        log.Info($"container engine {v.Version} (API {v.ApiVersion}) at {engine.Endpoint}");
        log.Info($"engine: {EngineDifferences.Describe(t)}");
        var facts = Facts(plan, config, t, bootId, log);
        // imagegc (issue 16.4): hold this job's image, collect unused images of ours now and again at job end (Shell/Gc/ImageLifecycle.cs).
        await using var imageGc = await Gc.ImageLifecycle.AtJobStart(engine, slot, plan.Container.Image.Tag, log.Info, log.Warn, time, stopping.Token);
        // client (issue 16 point 2): the client's proxy reaches the build and, with a network, the container.
        var context = new RunContext(Core.Protocol.ProxyEnv.Apply(plan.Container, slotContext.ProxyInfo), report.DockerfileText, facts, $"{engine.Endpoint.Uri} engine {v.Version} api {v.ApiVersion} boot {bootId}");

        var store = config.Checkpoint.Enabled
            ? Option<CheckpointStore>.Some(CheckpointStore.Open(slot, config.Checkpoint, time))
            : Option<CheckpointStore>.None;
        if (store.IsNone)
            log.Warn("job.toml declares no [checkpoint] files: after a crash this job starts over from the beginning");
        var client = OpenClient(slotFiles, slot, report, slotContext, time, log);
        using var clientLifetime = new Disposer(() => client.Iter(c => c.Dispose()));
        using var cpu = new CpuPort(engine, log);
        // diskbudget hook (issue 16 point 8): commits are budgeted against rsc_disk_bound.
        var ports = new RunPorts(new EnginePort(engine), store.Map(s => (ICheckpoints)new DiskBudgetPort(new StorePort(s), s, slotContext.RscDiskBound, log.Warn,
            () => OutputBytes(report, log))), slotPort,
            client.Map(c => Sporadic(options.Sporadic || config.Sporadic, c, slotFiles, log)), cpu);
        if ((options.Sporadic || config.Sporadic) && client.IsNone)
            log.Info("sporadic app without a BOINC client: no client state to pass on (ca and ac are not used)");

        using var loop = new JobLoop(context, ports, log, time, stopping.Token);
        var watcher = store.Map(s => CheckpointWatcher.Start(slot, s.Config, time, log.Warn));
        try
        {
            using var feeds = new Feeds(loop, ports.Client, watcher, log, time, stopping.Token);
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, feeds.OnSignal);
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, feeds.OnSignal);
            using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, feeds.OnSignal);
            var code = await loop.Run(stopping.Token);
            // imagegc: the collection at job end runs only once the task is over for good (a quit exits at once).
            if (slotFiles.Kind(BoincExit.FinishFileName).Case is SlotFileKind.File)
                imageGc.JobIsOver();
            return code;
        }
        finally
        {
            watcher.Iter(w => w.Dispose());
            // The last commit's retention runs aside: wait for it (and close the store's slot handle), and say if it
            // failed, which a later commit would have said and none will now.
            store.Iter(s =>
            {
                s.Dispose();
                s.RetentionProblem.Iter(p => log.Warn($"old generations not removed after the last commit: {p}"));
            });
        }
    }

    /// <summary>The result's output files in the project directory (the client counts them toward rsc_disk_bound); a problem is logged once.</summary>
    private static long OutputBytes(JobReport report, WrapperLog log)
    {
        var (bytes, problem) = OutputUsageMeter.Measure(report.ProjectPath, report.OutputFiles);
        problem.Iter(p => { if (outputProblemLogged.TryAdd(p, 0)) log.Warn($"disk budget: {p}; counted as 0 bytes"); });
        return bytes;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> outputProblemLogged = new();

    /// <summary>
    /// The client port, with docker_wrapper's sporadic bridge when the app is sporadic (<c>--sporadic</c> or
    /// job.toml <c>sporadic = true</c>): <c>ac</c> created as <c>boinc_sporadic_dir</c> does, then one look per status.
    /// </summary>
    private static IBoincClient Sporadic(bool sporadic, ClientPort client, SlotFiles slotFiles, WrapperLog log)
    {
        if (!sporadic)
            return client;
        var files = new SporadicFiles(slotFiles);
        try
        {
            files.CreateAc();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warn($"sporadic: cannot create {Core.Protocol.SporadicText.AcFileName}: {e.Message}; the job can still create it");
        }

        log.Info($"sporadic app: the client's state goes to {Core.Protocol.SporadicText.CaFileName}, the app's state is read from {Core.Protocol.SporadicText.AcFileName} (0 none, 1 don't want to compute, 2 want to compute)");
        return new SporadicClient(client, () => client.SporadicCa, files, log);
    }

    /// <summary>The task's facts for the decider: names, boot, quit policy and budget, what the engine can do.</summary>
    private static TaskFacts Facts(Core.Planning.Plan plan, JobConfig config, EngineTraits traits, string bootId, WrapperLog log)
    {
        if (!traits.CanPause)
            log.Warn(config.Lifecycle.Quit == QuitPolicy.Pause
                ? "this engine cannot pause containers (rootless Podman on cgroup v1): quit_policy = \"pause\" becomes checkpoint-and-stop, and so does a suspend"
                : "this engine cannot pause containers (rootless Podman on cgroup v1): a suspend checkpoints and stops the job, as a quit does");
        var grace = config.Lifecycle.StopGrace;
        if (QuitBudget.Effective(grace) != grace)
            log.Warn($"stop_grace = {grace.TotalSeconds:0.#}s is more than the BOINC client waits for an app to quit ({QuitBudget.ClientQuitTimeout.TotalSeconds:0}s, less a margin): using {QuitBudget.Effective(grace).TotalSeconds:0}s");
        var budget = QuitBudget.Of(grace);
        log.Info($"a quit waits up to {budget.CheckpointWait.TotalSeconds:0.#}s for a checkpoint, then stops the container within {budget.StopTimeout.TotalSeconds:0}s");
        if (!plan.Container.Init)
            log.Warn("the container runs without an init as PID 1: a job that ignores SIGTERM is stopped only by SIGKILL");
        return new TaskFacts(plan.Container.Name, plan.Container.Image.Tag, bootId, config.Lifecycle.Quit, grace, EngineRetryDelay)
        {
            CanPause = traits.CanPause,
            HostBoot = HostBoot.Time(),
            Checkpoints = config.Checkpoint.Enabled,
        };
    }

    private static Option<ClientPort> OpenClient(ISlotFiles slotFiles, string slot, JobReport report, Core.Slots.SlotContext context, TimeProvider time, WrapperLog log)
    {
        if (report.Standalone || slotFiles.Kind(SharedMemory.FileName).Case is not SlotFileKind.File)
        {
            log.Info(report.Standalone
                ? "standalone: no init_data.xml, so no BOINC client (Ctrl-C or SIGTERM quits as the quit policy says)"
                : $"no {SharedMemory.FileName} in the slot: running without a BOINC client channel");
            return Option<ClientPort>.None;
        }

        return ClientLink.Open(slot, context, time).Match(
            c => Option<ClientPort>.Some(new ClientPort(c)),
            e =>
            {
                log.Warn($"cannot open the BOINC client channel, running without it: {e.Message}");
                return Option<ClientPort>.None;
            });
    }

    private sealed class Disposer(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
