using System;
using LanguageExt;

namespace Boinc.Persist.Core.Protocol;

/// <summary>
/// A reading of the container's CPU counter: the cumulative CPU seconds the engine reports for one run of
/// the container (cgroup usage, reset to 0 when the container starts again), and which run it belongs to
/// (e.g. the engine's StartedAt of that run).
/// </summary>
public sealed record CpuSample(string RunId, double CounterSeconds);

/// <summary>
/// CPU accounting for the status messages, after BOINC issues #6824 and #6830 (CPU time reset to zero, or
/// counted twice, after a restart). Invariants:
/// <list type="bullet">
/// <item><see cref="Current"/> = <see cref="ClientBase"/> (init_data.xml's <c>wu_cpu_time</c>: the CPU
/// time at the checkpoint the client recorded) + CPU counted in this wrapper run; it never decreases.</item>
/// <item>Each second of a container run is counted once: a sample of the same run adds only its increase
/// over the previous one; the first sample of a new run adds its whole counter (the cgroup started at 0).</item>
/// <item>A counter that goes backwards within one run is re-anchored and adds nothing (never over-count).</item>
/// <item><see cref="CheckpointCpu"/> is the CPU time of the last COMMITTED generation (or the client's base
/// before the first commit of this run); it never exceeds <see cref="Current"/> and never decreases.</item>
/// </list>
/// A wrapper restart begins a new ledger from the client's <c>wu_cpu_time</c>, so CPU spent after the last
/// checkpoint the client saw is dropped exactly as the client drops it for native apps.
/// </summary>
public sealed record CpuLedger(double ClientBase, double Counted, Option<CpuSample> Last, double CheckpointCpu)
{
    public double Current => ClientBase + Counted;

    /// <summary>A ledger at wrapper start; a non-finite or negative <c>wu_cpu_time</c> counts as 0.</summary>
    public static CpuLedger Start(double wuCpuTime)
    {
        var b = double.IsFinite(wuCpuTime) && wuCpuTime > 0 ? wuCpuTime : 0;
        return new CpuLedger(b, 0, Option<CpuSample>.None, b);
    }

    /// <summary>Adds what the container used since the previous sample. Idempotent for a repeated sample.</summary>
    public CpuLedger Observe(CpuSample sample)
    {
        var v = double.IsFinite(sample.CounterSeconds) && sample.CounterSeconds > 0 ? sample.CounterSeconds : 0;
        var clean = sample with { CounterSeconds = v };
        var added = Last.Match(
            last => last.RunId != sample.RunId ? v : Math.Max(0, v - last.CounterSeconds),
            () => v);
        return this with { Counted = Counted + added, Last = clean };
    }

    /// <summary>The CPU time to store in a generation whose files were captured now.</summary>
    public double SnapshotCpu => Current;

    /// <summary>
    /// A generation holding <paramref name="generationCpu"/> (its <see cref="SnapshotCpu"/> at capture) is now
    /// durable: report it as the checkpoint CPU time. Older or out-of-order commits never move it backwards.
    /// </summary>
    public CpuLedger Committed(double generationCpu)
    {
        var g = double.IsFinite(generationCpu) ? Math.Min(generationCpu, Current) : CheckpointCpu;
        return this with { CheckpointCpu = Math.Max(CheckpointCpu, g) };
    }

    /// <summary>The status to send now, with the job's fraction done.</summary>
    public AppStatus Status(double fractionDone, Option<double> workingSetBytes = default) =>
        AppStatus.Of(Current, CheckpointCpu, fractionDone, workingSetBytes);
}
