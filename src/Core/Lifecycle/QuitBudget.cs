using System;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>
/// How a quit spends <c>stop_grace</c>: the whole of it, from BOINC's quit (or SIGTERM, or the lost client) to the
/// wrapper's exit, is <see cref="CheckpointWait"/> (the app may still commit) plus <see cref="StopTimeout"/> (the
/// engine's stop: the stop signal to the container's init, SIGKILL when it runs out).
/// <para>
/// The BOINC client kills an app that has not exited <see cref="ClientQuitTimeout"/> after a quit or abort
/// (<c>QUIT_TIMEOUT</c> and <c>ABORT_TIMEOUT</c>, 60 s, in <c>client/client_state.h</c> since 2015; 7.20.5
/// included). <c>stop_grace</c> is capped at <see cref="MaxStopGrace"/>, which leaves 15 s for what follows the
/// budget: a last commit, the journal, the engine's answer to the stop and the exit files.
/// </para>
/// </summary>
public sealed record QuitBudget(TimeSpan CheckpointWait, TimeSpan StopTimeout)
{
    public static readonly TimeSpan ClientQuitTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan MaxStopGrace = TimeSpan.FromSeconds(45);

    /// <summary>The stop's share: a third of the grace in whole seconds (the engine's unit), at least 1 s, at most 10 s.</summary>
    public static QuitBudget Of(TimeSpan stopGrace)
    {
        var grace = Effective(stopGrace);
        var stopSeconds = grace < TimeSpan.FromSeconds(1) ? 0 : Math.Clamp((int)(grace.TotalSeconds / 3), 1, 10);
        var stop = TimeSpan.FromSeconds(stopSeconds);
        return new QuitBudget(grace - stop, stop);
    }

    /// <summary><paramref name="stopGrace"/> within [0, <see cref="MaxStopGrace"/>].</summary>
    public static TimeSpan Effective(TimeSpan stopGrace) =>
        stopGrace < TimeSpan.Zero ? TimeSpan.Zero : stopGrace > MaxStopGrace ? MaxStopGrace : stopGrace;

    public TimeSpan Total => CheckpointWait + StopTimeout;
}
