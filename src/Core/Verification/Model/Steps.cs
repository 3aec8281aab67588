using Boinc.Persist.Core.Checkpoints;
namespace Boinc.Persist.Core.Verification.Model;

/// <summary>One step of a run: what the app, the wrapper, the kernel or the host does. Closed union.</summary>
public abstract record Step
{
    private Step() { }

    /// <summary>The app writes a new checkpoint: by temp file + rename (<paramref name="Atomic"/>) or in place. Apps do not fsync.</summary>
    public sealed record AppWrites(bool Atomic) : Step;

    /// <summary>The app writes output that is not part of its checkpoint.</summary>
    public sealed record AppWritesMore : Step;

    /// <summary>The wrapper commits; with <paramref name="KillAfter"/> >= 0 it is killed (SIGKILL) after that many file-system operations.</summary>
    public sealed record Commit(int KillAfter) : Step;

    /// <summary>The disk has <paramref name="SpareChars"/> free during a commit (ENOSPC), then space is freed.</summary>
    public sealed record DiskFullCommit(int SpareChars) : Step;

    /// <summary>
    /// The host crashes here, in one seeded crash state (a random subset of the pending operations, a data write
    /// maybe torn at a block boundary). The explorer ALSO crashes every run systematically at every operation;
    /// this step lets a run go on after a crash, so crashes during recovery and after it are reached too.
    /// </summary>
    public sealed record HostCrash(ulong Seed, int State) : Step;

    /// <summary>The kernel writes back everything pending (dirty pages expire; sync(2)).</summary>
    public sealed record Writeback : Step;

    /// <summary>The container is removed (its own layer is lost; the slot, a bind mount, is not).</summary>
    public sealed record ContainerRemoved : Step;

    /// <summary>The wrapper process is killed between operations.</summary>
    public sealed record WrapperKilled : Step;

    /// <summary>The wrapper starts again and recovers; the property is checked here.</summary>
    public sealed record Restart : Step;

    public sealed override string ToString() => this switch
    {
        AppWrites a => a.Atomic ? "app-writes(rename)" : "app-writes(in-place)",
        AppWritesMore => "app-writes-more",
        Commit c => c.KillAfter < 0 ? "commit" : $"commit(killed after {c.KillAfter} ops)",
        DiskFullCommit d => $"disk-full-commit({d.SpareChars} chars free)",
        HostCrash h => $"host-crash(#{h.Seed:x}/{h.State})",
        Writeback => "writeback",
        ContainerRemoved => "container-removed",
        WrapperKilled => "wrapper-killed",
        Restart => "restart",
        _ => "?",
    };
}
