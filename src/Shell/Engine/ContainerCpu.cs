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
/// </summary>
public sealed class ContainerCpu : IDisposable
{
    private readonly IEngine engine;
    private readonly Action<string> info;
    private readonly Action<string> warn;
    private Option<CgroupCpu> counter;
    private bool fallback;

    public ContainerCpu(IEngine engine, Action<string> info, Action<string> warn)
    {
        this.engine = engine;
        this.info = info;
        this.warn = warn;
        fallback = engine is not IContainerProcess;
        if (fallback)
            warn("this engine adapter does not tell the container's process: CPU time comes from engine stats every second");
    }

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
                return read.Map(v => v).MapLeft(e => (EngineError)new EngineError.Failed("cgroup", e));
            // The cgroup went away (the container stopped or was replaced): locate it again below.
            c.Dispose();
            counter = Option<CgroupCpu>.None;
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
                return c.Read().MapLeft(e => (EngineError)new EngineError.Failed("cgroup", e));
            },
            async why =>
            {
                fallback = true;
                warn($"the container's cgroup CPU counter cannot be used ({why}): CPU time comes from engine stats every second");
                return await engine.CpuNanos(name, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    public void Dispose()
    {
        counter.Iter(c => c.Dispose());
        counter = Option<CgroupCpu>.None;
    }
}
