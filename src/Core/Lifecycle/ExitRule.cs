using System;
using LanguageExt;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>Why a container that ran is no longer running. A closed union.</summary>
public abstract record ContainerEnd
{
    private ContainerEnd() { }

    /// <summary>The job exited on its own with this code: its result (0 finished, anything else a compute error).</summary>
    public sealed record OwnExit(int Code) : ContainerEnd;

    /// <summary>Something outside the job ended it (a signal, the OOM killer, an engine stop, a host reboot): run it again.</summary>
    public sealed record Killed(string Why) : ContainerEnd;

    /// <summary>We stopped it (the journal's intent was Stop): a quit, not a result.</summary>
    public sealed record StoppedByUs : ContainerEnd;
}

/// <summary>
/// The rule that tells a container that exited on its own from one that was killed, from what the engine
/// recorded (exit code, OOMKilled, StartedAt, FinishedAt), the host's boot time and our journal. In order:
/// <list type="number">
/// <item>The journal's intent is Stop: the exit is ours (a quit), whatever its code.</item>
/// <item>OOMKilled: the kernel killed it for memory. Run it again (its memory limit is the project's business).</item>
/// <item>It started before this boot of the host and its end was recorded after the boot (Docker marks such
///   containers exited with 255 when its daemon restores them), or no end was recorded at all (Podman resets a
///   container that ran in an earlier boot to "created"): the host went down under it.</item>
/// <item>The exit status is 128+N for a signal N that comes from outside the job: SIGHUP, SIGINT, SIGQUIT,
///   SIGKILL, SIGTERM (129, 130, 131, 137, 143): what an engine stop, a host shutdown, an OOM kill of a child or
///   someone's <c>kill</c> produce. With an init as PID 1 (our default) the status of the job's process comes
///   through unchanged.</item>
/// <item>Seen at a start (no wrapper watched the exit), status 255: Docker's daemon marks a container whose
///   process vanished with the engine (a daemon or containerd crash) exited with 255 when it restores it. Run it
///   again. Seen live through the wait API (the engine was up to report it), 255 is the job's own.</item>
/// <item>Anything else is the job's own exit status: 0 is a finished job, reported once and never run again,
///   whatever the boot id; any other (its own crash, SIGSEGV 139, SIGABRT 134) is a compute error, reported
///   once. (A job that exits 255 on its own while no wrapper watches is run once more from its newest
///   generation; the live wrapper then sees its 255 and reports it.)</item>
/// </list>
/// Known limit: a job that catches SIGTERM and exits 0 when the engine stops it (a host shutdown) is
/// indistinguishable from a finished one; the engine records nothing about who stopped it.
/// </summary>
public static class ExitRule
{
    /// <summary>Signals that reach a job only from outside it: HUP, INT, QUIT, KILL, TERM.</summary>
    public static readonly Seq<int> OutsideSignals = new[] { 1, 2, 3, 9, 15 }.ToSeq();

    /// <summary>Docker's exit status for a container whose process was gone when its daemon restored it.</summary>
    public const int EngineLostExit = 255;

    /// <param name="watched">True when a live wrapper saw the exit through the engine's wait API; false at a start.</param>
    public static ContainerEnd Classify(int code, RunFacts run, Intent intent, Option<DateTimeOffset> hostBoot, bool watched)
    {
        if (intent == Intent.Stop)
            return new ContainerEnd.StoppedByUs();
        if (run.OomKilled)
            return new ContainerEnd.Killed($"the kernel's OOM killer ended it (exit status {code})");
        if (RanAcrossReboot(run, hostBoot))
            return new ContainerEnd.Killed("the host went down while it ran (it started before this boot)");
        if (code > 128 && code < 128 + 65 && OutsideSignals.Exists(s => s == code - 128))
            return new ContainerEnd.Killed($"killed by signal {SignalName(code - 128)} (exit status {code}): an engine stop, a host shutdown or a kill from outside the job");
        if (!watched && code == EngineLostExit)
            return new ContainerEnd.Killed($"exit status {code} while no wrapper watched: the engine's mark for a container whose process vanished with the engine");
        return new ContainerEnd.OwnExit(code);
    }

    /// <summary>Started before the host's current boot, and ended after it or never recorded as ended.</summary>
    public static bool RanAcrossReboot(RunFacts run, Option<DateTimeOffset> hostBoot) =>
        hostBoot.Case is DateTimeOffset boot
        && run.StartedAt.Case is DateTimeOffset started
        && started < boot
        && run.FinishedAt.Map(f => f >= boot || f < started).IfNone(true);

    private static string SignalName(int n) => n switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        9 => "SIGKILL",
        15 => "SIGTERM",
        _ => $"{n}",
    };
}
