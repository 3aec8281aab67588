namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>
/// One step of a crash story. <c>KillAfter</c> kills the wrapper after that many effects of the resulting
/// decision (feedback included); -1 lets it run them all.
/// </summary>
public abstract record Step
{
    private Step() { }

    /// <summary>BOINC (re)starts the wrapper (a no-op while one runs).</summary>
    public sealed record Restart(int KillAfter) : Step;

    /// <summary>The app writes a complete checkpoint; a live wrapper commits it.</summary>
    public sealed record Checkpoint(int KillAfter) : Step;

    public sealed record Suspend(int KillAfter) : Step;

    public sealed record Resume(int KillAfter) : Step;

    public sealed record Quit(int KillAfter) : Step;

    public sealed record Abort(int KillAfter) : Step;

    /// <summary>The app exits on its own with this code (only if its container runs).</summary>
    public sealed record JobExits(int Code, int KillAfter) : Step;

    /// <summary>dockerd restarts: live containers exit with 143; the wrapper's calls fail and it is lost.</summary>
    public sealed record DaemonRestart : Step;

    /// <summary>The host reboots: new boot id, containers exit, the wrapper dies.</summary>
    public sealed record HostReboot : Step;

    /// <summary>Someone (or a reset engine) removes the container.</summary>
    public sealed record ContainerRemoved : Step;

    /// <summary>The engine stops answering the live wrapper for a while.</summary>
    public sealed record EngineDown(int KillAfter) : Step;

    public string Describe() => GetType().Name + this switch
    {
        Restart s => Kill(s.KillAfter),
        Checkpoint s => Kill(s.KillAfter),
        Suspend s => Kill(s.KillAfter),
        Resume s => Kill(s.KillAfter),
        Quit s => Kill(s.KillAfter),
        Abort s => Kill(s.KillAfter),
        JobExits s => $"({s.Code})" + Kill(s.KillAfter),
        EngineDown s => Kill(s.KillAfter),
        _ => "",
    };

    private static string Kill(int k) => k < 0 ? "" : $"+kill@{k}";
}
