using System;
using LanguageExt;

namespace Boinc.Persist.Core.Planning;

/// <summary>
/// The slot files that belong to BOINC's client or to the wrapper, never to the job: the client writes
/// init_data.xml and uploads stderr.txt (<see cref="Slots.LinkFiles.BoincFileNames"/>); the wrapper reads its
/// configuration (job.toml, Dockerfile), writes the checkpoint request, and keeps its journal and checkpoints in
/// <see cref="Checkpoints.StoreLayout.StateDirName"/>. Checkpoint patterns never match them, restores never
/// write them, and the planner keeps them out of the job's reach.
/// </summary>
public static class ProtectedFiles
{
    /// <summary>Top-level names of the wrapper's own slot files (BOINC's are <see cref="Slots.LinkFiles.IsBoincFile"/>).</summary>
    public static Seq<string> WrapperNames { get; } = new[]
    {
        Checkpoints.StoreLayout.StateDirName,
        "job.toml",
        "Dockerfile",
        "checkpoint_requested",
    }.ToSeq();

    /// <summary>
    /// Whether a slot-relative path is one of BOINC's or the wrapper's files, or inside the wrapper's directory.
    /// Compared as the kernel does (byte for byte, case-sensitive); only top-level names are BOINC's.
    /// </summary>
    public static bool IsSlotOwn(string relativePath)
    {
        var slash = relativePath.IndexOf('/');
        var first = slash < 0 ? relativePath : relativePath[..slash];
        return WrapperNames.Exists(n => string.Equals(n, first, StringComparison.Ordinal))
               || (slash < 0 && Slots.LinkFiles.IsBoincFile(first));
    }
}
