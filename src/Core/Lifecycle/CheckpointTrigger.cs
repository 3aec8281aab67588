using System;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Config;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>What happened to a path in WORKDIR, as the kernel (inotify) or a periodic scan reports it.</summary>
public enum FileEvent
{
    /// <summary>Written to, created, deleted, renamed away, attributes changed: a checkpoint may be in the making.</summary>
    Changed,

    /// <summary>Renamed into place (IN_MOVED_TO; a scan sees a new inode under the name): that file is complete.</summary>
    RenamedInto,

    /// <summary>Closed after writing (IN_CLOSE_WRITE): the writer says it is done with that file.</summary>
    ClosedAfterWrite,
}

/// <summary>What the watcher does about an event.</summary>
public enum TriggerAction
{
    /// <summary>Not a declared file (or one of the wrapper's own): nothing.</summary>
    Ignore,

    /// <summary>(Re)arm the quiescence timer: commit once the declared files have been still for the window.</summary>
    ArmQuiescence,

    /// <summary>The app's checkpoint is complete: commit at once.</summary>
    CommitNow,
}

/// <summary>
/// When the app's checkpoint is complete. At once: the done marker (any event on it); for a one-file checkpoint
/// (one declared pattern, no wildcard), the file renamed into place or closed after writing. A multi-file
/// checkpoint without a marker cannot be known complete from one file's event (committing then could mix files of
/// two app checkpoints), so it waits for the quiescence window, as do all other changes to declared files.
/// </summary>
public static class CheckpointTrigger
{
    public static TriggerAction On(CheckpointConfig config, string relativePath, FileEvent e)
    {
        if (relativePath.Length == 0 || StoreLayout.IsWrapperPath(relativePath) || relativePath.StartsWith("..", StringComparison.Ordinal))
            return TriggerAction.Ignore;
        if (config.DoneMarker.Exists(m => m == relativePath))
            return TriggerAction.CommitNow;
        if (!Globs.MatchesAny(config.Files, relativePath))
            return TriggerAction.Ignore;
        return e != FileEvent.Changed && IsOneFile(config) ? TriggerAction.CommitNow : TriggerAction.ArmQuiescence;
    }

    /// <summary>One declared pattern that names exactly one file (no wildcard or class).</summary>
    public static bool IsOneFile(CheckpointConfig config) =>
        config.Files.Count == 1 && config.Files.Head.IndexOfAny(new[] { '*', '?', '[', '{' }) < 0;
}
