using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Run;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Simulation;

/// <summary>
/// A container engine for deterministic simulation of the wrapper loop (verification tooling): one host with a
/// boot time, images, containers by name that run, exit with their own code, are killed by a signal or the OOM
/// killer, vanish, and an engine that restarts (Docker marks what ran exited 255), goes unreachable, and a host
/// that reboots (a new boot time; what ran is marked as ended by the reboot). It implements the wrapper's
/// engine port <see cref="IJobEngine"/>, so the shipped <see cref="Interpreter"/> runs against it; the
/// simulation's own controls (<see cref="JobExits"/>, <see cref="HostReboot"/>...) are what the world does.
/// Every change is recorded in <see cref="History"/>; <see cref="Starts"/> counts container starts, so a
/// property can check that a finished job never runs again. Thread-safe (the interpreter follows the
/// container from a task of its own).
/// </summary>
public sealed class SimulatedEngine(DateTimeOffset boot) : IJobEngine
{
    private sealed record Container(string Id, string Status, int Code, RunFacts Run);

    private readonly object gate = new();
    private readonly Dictionary<string, Container> containers = new();
    private readonly Dictionary<string, TaskCompletionSource<int>> exits = new();
    private readonly System.Collections.Generic.HashSet<string> images = new();
    private int nextId;
    private DateTimeOffset now = boot;

    /// <summary>The host's current boot time (what the wrapper's boot-id/boot-time facts read).</summary>
    public DateTimeOffset Boot { get; private set; } = boot;

    /// <summary>False: every call fails as <see cref="EngineError.Unreachable"/>.</summary>
    public bool Reachable { get; set; } = true;

    public int Starts { get; private set; }

    public List<string> History { get; } = new();

    /// <summary>Called (under the engine's lock) as a container starts: a simulation records what the job resumes from.</summary>
    public Action<string>? OnStart { get; set; }

    /// <summary>
    /// The engine as a wrapper finds it after a host crash: a new boot time, the images kept, and either no
    /// container (<paramref name="keepContainers"/> false: removed, or on a tmpfs) or each one as the engine
    /// restores it (what ran is exited 255, ended after the boot). <see cref="Starts"/> and <see cref="History"/> carry over.
    /// </summary>
    public SimulatedEngine Rebooted(TimeSpan downFor, bool keepContainers)
    {
        lock (gate)
        {
            var next = new SimulatedEngine(now + downFor) { Starts = Starts, nextId = nextId, OnStart = OnStart };
            next.History.AddRange(History);
            foreach (var image in images) next.images.Add(image);
            if (keepContainers)
                foreach (var (name, c) in containers)
                    next.containers[name] = c.Status is "running" or "paused"
                        ? c with { Status = "exited", Code = ExitRule.EngineLostExit, Run = c.Run with { FinishedAt = now + downFor, OomKilled = false } }
                        : c;
            next.Record($"host crashed and rebooted at {next.Boot:O}; containers {(keepContainers ? "restored" : "gone")}");
            return next;
        }
    }

    /// <summary>The simulated clock moves only when the simulation says so.</summary>
    public void Advance(TimeSpan by)
    {
        lock (gate) now += by;
    }

    public Observation Observe(string name)
    {
        lock (gate)
            return containers.TryGetValue(name, out var c) ? Observation.From(c.Id, c.Status, c.Code, c.Run) : new Observation.Absent();
    }

    // ---- what the world does ----

    /// <summary>The job's process exits on its own with <paramref name="code"/> (0: finished).</summary>
    public void JobExits(string name, int code) => End(name, code, oom: false, $"job exits {code}");

    /// <summary>Someone outside the job kills it with signal <paramref name="signal"/> (exit status 128+N).</summary>
    public void Signal(string name, int signal) => End(name, 128 + signal, oom: false, $"signal {signal}");

    public void OomKill(string name) => End(name, 137, oom: true, "OOM kill");

    /// <summary>The container is removed behind the wrapper's back (a user's rm -f, an engine reset).</summary>
    public void Vanish(string name)
    {
        lock (gate)
        {
            if (containers.Remove(name)) Record($"{name} vanished");
            Release(name, 137);
        }
    }

    /// <summary>The engine restarts: what ran is marked exited 255 (its process vanished with the engine).</summary>
    public void EngineRestart()
    {
        lock (gate)
        {
            foreach (var name in new List<string>(containers.Keys))
                if (containers[name].Status is "running" or "paused") End(name, ExitRule.EngineLostExit, oom: false, "engine restart");
        }
    }

    /// <summary>The host reboots: a new boot time; a container that ran is found exited 255, its end recorded after the boot.</summary>
    public void HostReboot(TimeSpan downFor)
    {
        lock (gate)
        {
            now += downFor;
            Boot = now;
            foreach (var name in new List<string>(containers.Keys))
                if (containers[name].Status is "running" or "paused") End(name, ExitRule.EngineLostExit, oom: false, "host reboot");
            Record($"host rebooted at {Boot:O}");
        }
    }

    // ---- the port ----

    public Task<Either<EngineError, Observation>> Inspect(string name, CancellationToken ct) => Call("inspect", () => Observe(name));

    public Task<Either<EngineError, EnsuredImage>> EnsureImage(ImagePlan image, string dockerfile, TextWriter log, CancellationToken ct) =>
        Call("build", () =>
        {
            var built = images.Add(image.Tag);
            return new EnsuredImage("sha256:" + image.Tag, built);
        });

    public Task<Either<EngineError, string>> Create(ContainerSpec spec, CancellationToken ct) => Call<string>("create", () =>
    {
        if (containers.TryGetValue(spec.Name, out var c)) return c.Id;
        if (!images.Contains(spec.Image.Tag)) throw new SimulatedEngineError(new EngineError.NotFound("create", $"image {spec.Image.Tag}"));
        var id = $"c{++nextId}";
        containers[spec.Name] = new Container(id, "created", 0, RunFacts.Unknown);
        Record($"{spec.Name} created as {id}");
        return id;
    });

    public Task<Either<EngineError, Unit>> Start(string name, CancellationToken ct) => Call("start", () =>
    {
        var c = Existing("start", name);
        if (c.Status == "running") throw new SimulatedEngineError(new EngineError.Conflict("start", "already running"));
        containers[name] = c with { Status = "running", Code = 0, Run = new RunFacts(now, Option<DateTimeOffset>.None, false) };
        exits[name] = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Starts++;
        Record($"{name} started ({Starts} starts)");
        OnStart?.Invoke(name);
        return Unit.Default;
    });

    public Task<Either<EngineError, Unit>> Pause(string name, CancellationToken ct) => Call("pause", () => Move(name, "running", "paused"));

    public Task<Either<EngineError, Unit>> Unpause(string name, CancellationToken ct) => Call("unpause", () => Move(name, "paused", "running"));

    public Task<Either<EngineError, Unit>> Stop(string name, TimeSpan grace, CancellationToken ct) => Call("stop", () =>
    {
        // Our init forwards SIGTERM to the job, which ends at once: exit status 143.
        if (containers.TryGetValue(name, out var c) && c.Status is "running" or "paused") End(name, 143, oom: false, "stopped by the wrapper");
        return Unit.Default;
    });

    public Task<Either<EngineError, Unit>> Kill(string name, CancellationToken ct) => Call("kill", () =>
    {
        if (containers.TryGetValue(name, out var c) && c.Status is "running" or "paused") End(name, 137, oom: false, "killed by the wrapper");
        return Unit.Default;
    });

    public Task<Either<EngineError, Unit>> Remove(string name, CancellationToken ct) => Call("remove", () =>
    {
        if (containers.Remove(name)) Record($"{name} removed by the wrapper");
        Release(name, 137);
        return Unit.Default;
    });

    public Task<Either<EngineError, bool>> RemoveImageIfUnused(string tag, CancellationToken ct) => Call("rmi", () =>
    {
        return containers.Count == 0 && images.Remove(tag);
    });

    public async Task<Either<EngineError, int>> WaitForExit(string name, TimeSpan limit, CancellationToken ct)
    {
        Task<int> exited;
        lock (gate)
        {
            if (!Reachable) return new EngineError.Unreachable("wait", "simulated engine down");
            if (!containers.TryGetValue(name, out var c)) return new EngineError.NotFound("wait", name);
            if (c.Status is not ("running" or "paused")) return c.Code;
            exited = exits[name].Task;
        }

        // No clock: a wait ends when the simulation ends the container, or when the wrapper stops waiting.
        var done = await Task.WhenAny(exited, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
        return done == exited ? await exited.ConfigureAwait(false) : new EngineError.Timeout("wait", limit);
    }

    public Task<Either<EngineError, long>> CpuNanos(string name, CancellationToken ct) => Call("stats", () => 0L);

    /// <summary>
    /// How long after a container's end its last output reaches a follower: a real engine sends the log after the
    /// process wrote it, and once the container is removed there is no log left to send. Zero: at once (still on
    /// another task than the end).
    /// </summary>
    public TimeSpan OutputLag { get; set; } = TimeSpan.Zero;

    /// <summary>The line a simulated container's output ends with: its name and exit status.</summary>
    public static string LastWords(string name, int code) => $"{name} ends with status {code}";

    /// <summary>
    /// The container's output: one line, <see cref="LastWords"/>, sent <see cref="OutputLag"/> after the container
    /// ends, and only if the container (the same one) still exists then.
    /// </summary>
    public async Task<Either<EngineError, Unit>> StreamLogs(string name, string prefix, TextWriter sink, CancellationToken ct, DateTimeOffset? since,
        Action<string>? notice = null)
    {
        string id;
        Task<int>? ended;
        lock (gate)
        {
            if (!Reachable) return new EngineError.Unreachable("logs", "simulated engine down");
            if (!containers.TryGetValue(name, out var c)) return new EngineError.NotFound("logs", name);
            id = c.Id;
            ended = c.Status is "running" or "paused" && exits.TryGetValue(name, out var e) ? e.Task
                : c.Status is "exited" ? Task.FromResult(c.Code)
                : null;
        }

        if (ended is null)
            return Unit.Default; // created, never started: no output
        try
        {
            await ended.WaitAsync(ct).ConfigureAwait(false);
            await Task.Delay(OutputLag, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return Unit.Default; // the wrapper stopped following
        }

        lock (gate)
        {
            if (containers.TryGetValue(name, out var c) && c.Id == id)
                sink.WriteLine(prefix + LastWords(name, c.Code));
        }

        return Unit.Default;
    }

    private Container Existing(string op, string name) =>
        containers.TryGetValue(name, out var c) ? c : throw new SimulatedEngineError(new EngineError.NotFound(op, name));

    private Unit Move(string name, string from, string to)
    {
        var c = Existing(to, name);
        if (c.Status != from) throw new SimulatedEngineError(new EngineError.Conflict(to, $"container is {c.Status}"));
        containers[name] = c with { Status = to };
        Record($"{name} {to}");
        return Unit.Default;
    }

    private void End(string name, int code, bool oom, string why)
    {
        lock (gate)
        {
            if (!containers.TryGetValue(name, out var c) || c.Status is not ("running" or "paused")) return;
            containers[name] = c with { Status = "exited", Code = code, Run = c.Run with { FinishedAt = now, OomKilled = oom } };
            Record($"{name} exited {code}: {why}");
            Release(name, code);
        }
    }

    private void Release(string name, int code)
    {
        if (exits.Remove(name, out var waiting)) waiting.TrySetResult(code);
    }

    private void Record(string what) => History.Add($"{now:HH:mm:ss.fff} {what}");

    private Task<Either<EngineError, T>> Call<T>(string op, Func<T> body)
    {
        lock (gate)
        {
            if (!Reachable) return Task.FromResult<Either<EngineError, T>>(new EngineError.Unreachable(op, "simulated engine down"));
            try
            {
                return Task.FromResult<Either<EngineError, T>>(body());
            }
            catch (SimulatedEngineError e)
            {
                return Task.FromResult<Either<EngineError, T>>(e.Error);
            }
        }
    }

    private sealed class SimulatedEngineError(EngineError error) : Exception(error.ToString())
    {
        public EngineError Error { get; } = error;
    }
}
