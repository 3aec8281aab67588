using System;
using System.Threading;
using System.Threading.Tasks;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// The running container's cumulative CPU time for the 1-second status tick, at the least cost: from the
/// container's cgroup counter (<see cref="CgroupCpu"/>: no engine call, one <c>pread</c>), located once per
/// container start with one inspect; from the engine's stats only when the counter cannot be found (a rootless
/// or remote engine, a cgroup the wrapper cannot see), which it says once in the log. Not thread-safe: the
/// wrapper's loop owns it.
/// <para>
/// The CPU a container used after the last tick is not lost: when the counter is located, a
/// <see cref="ProcessExit"/> watch reads it again the instant the container's main process ends, before the
/// engine deletes the cgroup (which it does before it reports the exit). <see cref="AtExit"/> gives that
/// figure: the container's own total at its end.
/// </para>
/// </summary>
public sealed class ContainerCpu : IDisposable
{
    private readonly IContainers engine;
    private readonly Action<string> info;
    private readonly Action<string> warn;
    private Option<CgroupCpu> counter;
    private Option<CgroupMemory> memory;
    private bool memoryWarned;
    private Option<ProcessExit> exitWatch;
    private Option<long> lastSample;
    private int samplingPid;
    private bool fallback;
    private bool exitWatchWarned;

    public ContainerCpu(IContainers engine, Action<string> info, Action<string> warn)
    {
        this.engine = engine;
        this.info = info;
        this.warn = warn;
        fallback = engine is not IContainerProcess;
        if (fallback)
            warn("this engine adapter does not tell the container's process: CPU time comes from engine stats every second");
    }

    /// <summary>
    /// How the warning begins when the read at the container's end lost its race with the engine's removal of the
    /// cgroup (<see cref="ProcessExit"/>): the figure is then the last sample.
    /// </summary>
    public const string LostAtEnd = "the container's CPU counter could not be read at its end";

    /// <summary>Where samples come from now: the counter file, engine stats, or nothing located yet.</summary>
    public string Source =>
        fallback ? "engine stats" : counter.Match(c => c.Counter.Path, () => "not located yet");

    /// <summary>The container's CPU time in nanoseconds; Left while it does not run (or the engine fails).</summary>
    public async Task<Either<EngineError, long>> Sample(string name, CancellationToken ct)
    {
        if (fallback)
            return await engine.CpuNanos(name, ct).ConfigureAwait(false);

        foreach (var c in counter)
        {
            var read = c.Read();
            if (read.IsRight)
            {
                ReadMemory();
                return Remember(read.RightToSeq().Head());
            }

            // The cgroup went away (the container stopped or was replaced): locate it again below.
            c.Dispose();
            counter = Option<CgroupCpu>.None;
            DropMemory();
        }

        var process = await ((IContainerProcess)engine).MainProcess(name, ct).ConfigureAwait(false);
        if (process.IsLeft)
            return process.Map(_ => 0L);
        var p = process.RightToSeq().Head();
        if (p.Pid <= 0)
            return new EngineError.Failed("cgroup", $"container {name} is not running");

        var opened = CgroupCpu.Open(p.Pid);
        return await opened.MatchAsync(
            c =>
            {
                counter = c;
                info($"CPU time from the container's cgroup counter {c.Counter.Path} (no engine call per tick)");
                if (p.Pid != samplingPid)
                {
                    // A new main process (a restart): its counter starts again, so do the figures.
                    samplingPid = p.Pid;
                    lastSample = Option<long>.None;
                }

                WatchExit(p.Pid, c.Counter);
                OpenMemory(p.Pid);
                return c.Read().Map(Remember).MapLeft(e => (EngineError)new EngineError.Failed("cgroup", e));
            },
            async why =>
            {
                fallback = true;
                warn($"the container's cgroup CPU counter cannot be used ({why}): CPU time comes from engine stats every second");
                return await engine.CpuNanos(name, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    /// <summary>
    /// The container's cumulative CPU time at its end, in nanoseconds: the counter read the instant its main
    /// process ended (never less than any sample taken before). Call it once the engine has reported the exit;
    /// it waits at most <paramref name="limit"/> for the watch (which fired before the engine could answer).
    /// When the watch could not be armed or lost the race with the engine, the last sample, said in the log:
    /// the figure is then short by what ran after that sample. None when this container was never sampled
    /// (or CPU comes from engine stats, which say nothing about a stopped container).
    /// </summary>
    public async Task<Option<long>> AtExit(TimeSpan limit, CancellationToken ct)
    {
        foreach (var w in exitWatch)
        {
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var done = await Task.WhenAny(w.Final, Task.Delay(limit, patience.Token)).ConfigureAwait(false);
            await patience.CancelAsync().ConfigureAwait(false);
            if (ct.IsCancellationRequested && done != w.Final)
                return lastSample;
            if (done == w.Final)
            {
                var final = await w.Final.ConfigureAwait(false);
                if (final.IsRight)
                {
                    Remember(final.RightToSeq().Head());
                    return lastSample;
                }

                warn($"{LostAtEnd} ({final.LeftToSeq().Head()}): reporting the last sample, short by what ran after it");
            }
            else
            {
                warn($"process {w.Pid} (the container's) has not ended {limit.TotalSeconds:0.#} s after the engine said so: reporting the last CPU sample");
            }
        }

        return lastSample;
    }

    /// <summary>
    /// The container's memory use at the last sample (its memory cgroup, read with each CPU sample); None before
    /// the first sample, after the container ended, or when its memory cgroup cannot be read (said once).
    /// </summary>
    public Option<MemoryUse> Memory { get; private set; }

    private void OpenMemory(int pid)
    {
        DropMemory();
        CgroupMemory.Open(pid).Match(
            m =>
            {
                memory = m;
                ReadMemory();
            },
            why =>
            {
                if (!memoryWarned)
                    warn($"the container's memory cgroup cannot be read ({why}): no working set is reported to the client");
                memoryWarned = true;
            });
    }

    private void ReadMemory()
    {
        foreach (var m in memory)
        {
            m.Read().Match(
                use => Memory = use,
                _ => DropMemory());
        }
    }

    private void DropMemory()
    {
        memory.Iter(m => m.Dispose());
        memory = Option<CgroupMemory>.None;
        Memory = Option<MemoryUse>.None;
    }

    private long Remember(long nanos)
    {
        lastSample = Math.Max(lastSample.IfNone(0), nanos);
        return nanos;
    }

    /// <summary>A new main process: stop watching the old one's end and watch this one's.</summary>
    private void WatchExit(int pid, CgroupCounter at)
    {
        if (exitWatch.Exists(w => w.Pid == pid && !w.Final.IsCompleted))
            return;
        exitWatch.Iter(w => w.Dispose());
        exitWatch = Option<ProcessExit>.None;
        var armed = CgroupCpu.OpenCounter(at).Bind(c =>
        {
            var w = ProcessExit.Arm(pid, c, PriorityRefused);
            if (w.IsLeft)
                c.Dispose();
            return w;
        });
        armed.Match(
            w => exitWatch = w,
            why =>
            {
                if (!exitWatchWarned)
                    warn($"the container's CPU counter cannot be read at its end ({why}): the CPU used after the last 1-second sample will be missing");
                exitWatchWarned = true;
            });
    }

    /// <summary>Said once per wrapper (from the watch's thread): the exit watch could not raise its priority.</summary>
    private void PriorityRefused(string why)
    {
        if (Interlocked.Exchange(ref priorityNoted, 1) == 0)
            info($"the watch that reads the CPU counter at the container's end runs at the wrapper's own priority ({why}): on a busy host the engine may delete the counter first, and the final CPU figure is then the last sample");
    }

    private int priorityNoted;

    public void Dispose()
    {
        DropMemory();
        counter.Iter(c => c.Dispose());
        counter = Option<CgroupCpu>.None;
        exitWatch.Iter(w => w.Dispose());
        exitWatch = Option<ProcessExit>.None;
    }
}
