using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Verification.Model;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Run;
using Boinc.Persist.Shell.Verification.Simulation;
using LanguageExt;

namespace Boinc.Persist.Properties.LoopSimulation;

/// <summary>What the world does between the wrapper's decisions (one generated run is a list of these).</summary>
public abstract record Act
{
    private Act() { }

    /// <summary>The app computes one step and renames its new checkpoint into place (<c>state.tmp</c> → <c>state</c>, no fsync, as apps do).</summary>
    public sealed record AppStep : Act;

    /// <summary>The app's process exits on its own.</summary>
    public sealed record AppExits(int Code) : Act;

    /// <summary>Someone kills the container (SIGKILL), or the OOM killer does.</summary>
    public sealed record ContainerKilled(bool Oom) : Act;

    public sealed record EngineRestart : Act;

    /// <summary>The container is removed behind the wrapper's back.</summary>
    public sealed record Vanish : Act;

    public sealed record Quit : Act;

    public sealed record Suspend : Act;

    public sealed record Resume : Act;

    /// <summary>Simulated time passes (timers fire) and the 1-second tick comes.</summary>
    public sealed record Advance(int Seconds) : Act;

    /// <summary>kill -9 of the wrapper alone: the file system and the engine are untouched.</summary>
    public sealed record WrapperKilled : Act;

    /// <summary>BOINC starts the wrapper (if it is not running).</summary>
    public sealed record Restart : Act;

    /// <summary>The user aborts the task in BOINC.</summary>
    public sealed record Abort : Act;

    /// <summary>The engine stops answering while BOINC (re)starts the wrapper and sends a suspend; then it answers again.</summary>
    public sealed record EngineOutage : Act;

    public sealed override string ToString() => this switch
    {
        AppExits x => $"app exits {x.Code}",
        ContainerKilled k => k.Oom ? "OOM kill" : "container SIGKILLed",
        Advance a => $"+{a.Seconds}s",
        _ => GetType().Name,
    };
}

/// <summary>One generated run: the acts, the quit policy, and whether the engine keeps containers across a host crash.</summary>
public sealed record SimRun(Seq<Act> Acts, bool PausePolicy, bool ContainersSurviveReboot)
{
    public override string ToString() =>
        $"[{string.Join(", ", Acts)}] policy={(PausePolicy ? "pause" : "checkpoint-and-stop")} containers {(ContainersSurviveReboot ? "survive" : "are lost in")} a host crash";
}

/// <summary>
/// The world the SHIPPED wrapper loop runs in under simulation: the real <see cref="JobLoop"/>, <see cref="Interpreter"/>
/// and <see cref="CheckpointStore"/> (through the binary's <see cref="StorePort"/>) over the model file system
/// (<see cref="ModelSlotFiles"/>), a <see cref="SimulatedEngine"/>, a manual clock, and an app that writes its
/// checkpoint file into the same file system. The world also holds the oracle: what BOINC was told, what is durable,
/// what started when, and the violations of the three promises it saw.
/// </summary>
public sealed class SimWorld
{
    public const string StateFile = "state";
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly Lazy<Plan> PlanOf = new(MakePlan);

    private readonly Dictionary<long, int> stepOfCpuMs = new();
    private readonly bool pausePolicy;
    private readonly bool keepContainers;
    private TaskCompletionSource crashed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private (JobLoop Loop, Task<int> Run, CancellationTokenSource Cts)? wrapper;
    private int stepAtStart;
    private int bootCount;

    private SimWorld(ModelSlotFiles files, SimulatedEngine engine, ManualTime time, bool pausePolicy, bool keepContainers)
    {
        Files = files;
        Engine = engine;
        Time = time;
        this.pausePolicy = pausePolicy;
        this.keepContainers = keepContainers;
        engine.OnStart = _ => Started();
    }

    public static SimWorld New(SimRun run)
    {
        var engine = new SimulatedEngine(T0);
        return new SimWorld(new ModelSlotFiles(ModelFs.Empty(), -1), engine, new ManualTime(T0.AddHours(1)), run.PausePolicy, run.ContainersSurviveReboot);
    }

    // ---- the world's state ----

    public ModelSlotFiles Files { get; private set; }

    public SimulatedEngine Engine { get; private set; }

    public ManualTime Time { get; }

    /// <summary>The journal: durable once written (the binary replaces it with fsyncs).</summary>
    public Option<Journal> Journal { get; set; }

    public bool CheckpointRequested { get; set; }

    /// <summary>The app's step (its computation so far, in the container's memory).</summary>
    public int Step { get; private set; }

    public long ContainerCpuNanos => Math.Max(0, Step - stepAtStart) * 1_000_000_000L;

    private static string Name => PlanOf.Value.Container.Name;

    /// <summary>The container's name in every simulated world.</summary>
    public static string ContainerName => Name;

    // ---- the oracle ----

    public List<string> Violations { get; } = new();

    public List<string> Story { get; } = new();

    /// <summary>The newest checkpoint CPU time BOINC was told, and the app step of the files it stands for.</summary>
    public double ToldCpu { get; private set; }

    public int ToldStep { get; private set; }

    /// <summary>The code reported to BOINC by the finish file, if any.</summary>
    public Option<int> Reported { get; private set; }

    /// <summary>Set once the job's end is known to the world for sure (its own exit 0 with the container kept, its result recorded or reported): no container may start after it.</summary>
    public bool Finished { get; private set; }

    public int Starts { get; private set; }

    /// <summary>The wrapper exited as aborted: the task is over (nothing may start after it).</summary>
    public bool Aborted { get; private set; }

    public void AbortReported()
    {
        Aborted = true;
        Finished = true;
        Story.Add("  abort completed");
    }

    // ---- crash injection ----

    public int EffectCount { get; set; }

    public int CrashAt { get; set; } = -1;

    public bool Crashing { get; private set; }

    /// <summary>The file system as it stood when the host crashed (volatile state and pending operations).</summary>
    public Option<ModelFs> CrashedFs { get; private set; }

    public bool Following { get; set; }

    public void CrashHere(Effect effect)
    {
        Crashing = true;
        CrashedFs = Files.Fs;
        Story.Add($"  HOST CRASH before effect #{EffectCount - 1} ({effect.GetType().Name})");
        crashed.TrySetResult();
    }

    /// <summary>
    /// The world a fresh wrapper finds after the host crash, with <paramref name="fs"/> as the file system came
    /// back: a new boot, the engine rebooted (containers restored as exited 255, or gone), the journal as
    /// durable, the app's memory lost, BOINC's knowledge kept.
    /// </summary>
    public SimWorld AfterCrash(ModelFs fs, string how)
    {
        var next = new SimWorld(new ModelSlotFiles(fs, -1), Engine.Rebooted(TimeSpan.FromMinutes(1), keepContainers), new ManualTime(Time.GetUtcNow().AddMinutes(1)), pausePolicy, keepContainers)
        {
            Journal = Journal,
            ToldCpu = ToldCpu,
            ToldStep = ToldStep,
            Reported = Reported,
            Aborted = Aborted,
            Starts = Starts,
            bootCount = bootCount + 1,
            Log = Log,
        };
        foreach (var (k, v) in stepOfCpuMs) next.stepOfCpuMs[k] = v;
        // A container that finished on its own and is restored by the engine still says so; one that is gone does not.
        next.Finished = Reported.IsSome || Aborted || Journal.Exists(j => j.FinishedExitCode.IsSome || j.Intent == Intent.Abort) || (Finished && keepContainers);
        next.Story.AddRange(Story);
        next.Story.Add($"  after the crash: {how}");
        return next;
    }

    /// <summary>
    /// The world a fresh wrapper finds after the wrapper process alone was killed at the crash point (kill -9, no
    /// host crash): the same file system with its pending operations, the same engine (the container runs on),
    /// the journal, the app's state. Use it after every host-crash continuation of this point: it moves the engine.
    /// </summary>
    public SimWorld AfterWrapperKill()
    {
        wrapper?.Cts.Cancel();
        wrapper = null;
        var next = new SimWorld(new ModelSlotFiles(CrashedFs.IfNone(Files.Fs), -1), Engine, Time, pausePolicy, keepContainers)
        {
            Journal = Journal,
            ToldCpu = ToldCpu,
            ToldStep = ToldStep,
            Reported = Reported,
            Aborted = Aborted,
            Starts = Starts,
            bootCount = bootCount,
            Log = Log,
            Finished = Finished,
            Step = Step,
            stepAtStart = stepAtStart,
            CheckpointRequested = CheckpointRequested,
        };
        foreach (var (k, v) in stepOfCpuMs) next.stepOfCpuMs[k] = v;
        next.Story.AddRange(Story);
        next.Story.Add("  (not a host crash: the wrapper process alone was killed there)");
        return next;
    }

    // ---- the oracle's hooks ----

    private void Started()
    {
        Starts++;
        var resumed = FileStep();
        if (Finished)
            Violations.Add($"a container started after the job had finished (start #{Starts}, resuming step {resumed})");
        if (resumed < ToldStep)
            Violations.Add($"resumed from step {resumed}, but BOINC had been told checkpoint CPU {ToldCpu:0.###}s (the files of step {ToldStep})");
        Story.Add($"  container starts from step {resumed}");
        Step = resumed;
        stepAtStart = resumed;
    }

    public void StatusReceived(AppStatus status)
    {
        var cpu = status.CheckpointCpuTime;
        if (cpu <= ToldCpu + 1e-9)
            return;
        var durable = DurableNewestCpu();
        if (durable + 1e-6 < cpu)
            Violations.Add($"BOINC was told checkpoint CPU {cpu:0.###}s, but the newest durable intact generation has {durable:0.###}s");
        ToldCpu = cpu;
        ToldStep = Math.Max(ToldStep, stepOfCpuMs.TryGetValue(Ms(cpu), out var s) ? s : (int)Math.Floor(cpu + 1e-9));
        Story.Add($"  BOINC told checkpoint CPU {cpu:0.###}s");
    }

    public void FinishReported(int code)
    {
        if (!Journal.Exists(j => j.FinishedExitCode == code))
            Violations.Add($"finish {code} reported to BOINC before the journal durably recorded it ({Journal.Map(j => j.FinishedExitCode.ToString()).IfNone("no journal")})");
        if (Reported.Case is int before && before != code)
            Violations.Add($"finish {code} reported after {before}");
        Reported = code;
        Finished = true;
        Story.Add($"  finish {code} reported");
    }

    public void Committed(GenerationSummary g, int step)
    {
        stepOfCpuMs[Ms(g.CpuNanos / 1e9)] = step;
        Story.Add($"  generation {g.Number} committed (CPU {g.CpuNanos / 1e9:0.###}s, files of step {step})");
    }

    /// <summary>The step the app's checkpoint file in WORKDIR says (0: none, or unreadable).</summary>
    public int FileStep() =>
        Files.Fs.Volatile.Read(StateFile).Bind(ParseStep).IfNone(0);

    private static Option<int> ParseStep(string content) =>
        content.StartsWith("step ", StringComparison.Ordinal) && content.EndsWith("\n", StringComparison.Ordinal) && content.Length == StateContent(0).Length
        && int.TryParse(content.AsSpan(5, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : Option<int>.None;

    private static string StateContent(int step) => $"step {step:D4} of the app's computation\n";

    /// <summary>What a crash that loses every pending operation leaves: the newest intact generation's CPU there (seconds, as BOINC is told), as a fresh store lists it.</summary>
    private double DurableNewestCpu()
    {
        var durable = Files.Fs.Crash(_ => false, (_, len) => len);
        using var store = CheckpointStore.Open(new ModelSlotFiles(durable, -1), Config, Time);
        return store.List().Match(
            list => list.Find(g => g.Problem.IsNone).Map(g => g.Info.CpuNanos / 1e9).IfNone(0),
            _ => 0);
    }

    private static long Ms(double seconds) => (long)Math.Round(seconds * 1000);

    // ---- the wrapper ----

    private static CheckpointConfig Config => CheckpointConfig.Default with { Files = Seq(StateFile) };

    private static Seq<string> Seq(params string[] items) => items.ToSeq();

    public bool Alive => wrapper is not null;

    /// <summary>Where the wrappers of this world write their log (stderr.txt in the binary); nowhere unless a test looks.</summary>
    public TextWriter Log { get; set; } = TextWriter.Null;

    public async Task StartWrapper()
    {
        if (wrapper is not null || Crashing) return;
        Story.Add("  wrapper starts");
        var plan = PlanOf.Value;
        var store = CheckpointStore.Open(Files, Config, Time);
        var ports = new RunPorts(Engine, Option<ICheckpoints>.Some(new StorePort(store)), new SimSlot(this),
            Option<IBoincClient>.Some(new SimClient(this)), new SimCpu(this));
        var facts = new TaskFacts(Name, plan.Container.Image.Tag, $"boot-{bootCount}",
            pausePolicy ? QuitPolicy.Pause : QuitPolicy.CheckpointAndStop, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5))
        {
            HostBoot = Engine.Boot,
        };
        var context = new RunContext(plan.Container, Option<string>.Some("FROM scratch\n"), facts, "simulated engine");
        var cts = new CancellationTokenSource();
        var loop = new JobLoop(context, ports, new WrapperLog(Log, Time, false), Time, cts.Token, r => new CrashBefore(r, this));
        wrapper = (loop, loop.Run(cts.Token), cts);
        await Settle(0);
    }

    /// <summary>Waits until the loop has nothing left to do (or the host crashed, or the wrapper exited).</summary>
    private async Task Settle(long atLeast)
    {
        if (wrapper is not { } w) return;
        await Task.WhenAny(w.Loop.Settled(atLeast), crashed.Task);
        if (Crashing) return;
        if (w.Loop.Ended)
        {
            try
            {
                var code = await w.Run;
                Story.Add($"  wrapper exits {code}");
            }
            catch (Exception e)
            {
                Violations.Add($"the wrapper failed: {e.GetType().Name}: {e.Message}");
            }

            Following = false;
            w.Cts.Cancel();
            w.Loop.Dispose();
            wrapper = null;
        }
    }

    private async Task Post(Command command)
    {
        if (wrapper is not { } w) return;
        var n = w.Loop.Posted + 1;
        w.Loop.Post(command);
        await Settle(n);
    }

    /// <summary>Ends the container through <paramref name="end"/>; the wrapper's follower, if one is on it, posts the end.</summary>
    private async Task EndContainer(Action end)
    {
        var before = Engine.Observe(Name);
        var posted = wrapper?.Loop.Posted ?? 0;
        end();
        var wasUp = before is Observation.Running or Observation.Paused;
        if (wrapper is not null && Following && wasUp && Engine.Observe(Name) is not (Observation.Running or Observation.Paused))
        {
            Following = false;
            await Settle(posted + 1);
        }
    }

    private void KillWrapper()
    {
        if (wrapper is not { } w) return;
        Story.Add("  wrapper killed");
        w.Cts.Cancel();
        wrapper = null;
        Following = false;
    }

    // ---- acts ----

    public async Task Do(Act act)
    {
        if (Crashing) return;
        Story.Add(act.ToString());
        switch (act)
        {
            case Act.AppStep:
                if (Engine.Observe(Name) is not Observation.Running) break;
                Step++;
                using (var s = Files.CreateFresh(StateFile + ".tmp"))
                    s.Write(Encoding.Latin1.GetBytes(StateContent(Step)));
                Files.Rename(StateFile + ".tmp", StateFile);
                // The watcher's IN_MOVED_TO: a declared file renamed into place is a complete checkpoint.
                await Post(new Command.CheckpointDetected());
                break;
            case Act.AppExits x:
                if (Engine.Observe(Name) is not Observation.Running) break;
                // Its own exit 0 is the job's result, unless the wrapper had asked it to checkpoint and stop (an app
                // that answers checkpoint_requested by exiting 0 has not finished: the wrapper rightly restarts it).
                if (x.Code == 0 && !CheckpointRequested) Finished = true;
                await EndContainer(() => Engine.JobExits(Name, x.Code));
                break;
            case Act.ContainerKilled k:
                await EndContainer(() => { if (k.Oom) Engine.OomKill(Name); else Engine.Signal(Name, 9); });
                break;
            case Act.EngineRestart:
                await EndContainer(Engine.EngineRestart);
                break;
            case Act.Vanish:
                if (Engine.Observe(Name) is Observation.Absent) break;
                await EndContainer(() => Engine.Vanish(Name));
                Finished = Reported.IsSome || Aborted || Journal.Exists(j => j.FinishedExitCode.IsSome || j.Intent == Intent.Abort);
                break;
            case Act.Quit:
                await Post(new Command.Quit());
                break;
            case Act.Suspend:
                await Post(new Command.Suspend());
                break;
            case Act.Resume:
                await Post(new Command.Resume());
                break;
            case Act.Advance a:
                if (wrapper is not { } w)
                {
                    Time.Advance(TimeSpan.FromSeconds(a.Seconds));
                    Engine.Advance(TimeSpan.FromSeconds(a.Seconds));
                    break;
                }

                var before = w.Loop.Posted;
                Time.Advance(TimeSpan.FromSeconds(a.Seconds));
                Engine.Advance(TimeSpan.FromSeconds(a.Seconds));
                w.Loop.Post(new LoopInput.Tick());
                await Settle(before + 1);
                break;
            case Act.WrapperKilled:
                KillWrapper();
                break;
            case Act.Restart:
                await StartWrapper();
                break;
            case Act.Abort:
                await Post(new Command.Abort());
                break;
            case Act.EngineOutage:
                Engine.Reachable = false;
                await StartWrapper();
                await Post(new Command.Suspend());
                Engine.Reachable = true;
                break;
        }
    }

    /// <summary>
    /// BOINC and the app carry the task to its end: the wrapper is (re)started whenever it is not running, a
    /// suspended job is resumed, the app computes a few steps and exits 0. True once a finish was reported.
    /// </summary>
    public async Task<bool> RunToCompletion(int maxRounds = 40)
    {
        var steps = 0;
        for (var round = 0; round < maxRounds && !Crashing; round++)
        {
            if (Reported.IsSome || Aborted) return true;
            if (!Alive)
            {
                await Do(new Act.Restart());
                continue;
            }

            switch (Engine.Observe(Name))
            {
                case Observation.Running:
                    await Do(steps++ < 2 ? new Act.AppStep() : new Act.AppExits(0));
                    break;
                case Observation.Paused:
                    await Do(new Act.Resume());
                    break;
                default:
                    await Do(new Act.Resume());
                    await Do(new Act.Advance(60));
                    break;
            }
        }

        return Reported.IsSome || Aborted;
    }

    /// <summary>Ends this world's wrapper (the run is over): its loop is cancelled, nothing is checked after.</summary>
    public void Abandon()
    {
        if (wrapper is { } w) w.Cts.Cancel();
        wrapper = null;
    }

    private static Plan MakePlan()
    {
        var job = JobConfigReader.Parse("job.toml", "[checkpoint]\nfiles = [\"state\"]\n").Value.IfNone(() => throw new InvalidOperationException("job.toml"));
        var input = new PlanInput(
            job,
            new DockerfileFacts("Dockerfile", "FROM x\nWORKDIR /app\n", Option<(string, int)>.Some(("/app", 2)), Option<string>.None),
            new TaskIdentity("p", "w", "w_0", 0, 1, 1e9),
            new HostFacts("/s/slot", "/s/project", 1000, 1000),
            Seq<string>.Empty);
        return Planner.Make(input).Value.IfNone(() => throw new InvalidOperationException("no plan"));
    }
}
