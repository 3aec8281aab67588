using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using LanguageExt;

namespace Boinc.Persist.Core.Confinement;

/// <summary>
/// Rules on where a job may put its WORKDIR and what a job.toml mount may expose, on normalised absolute paths
/// (the planner applies them to the text; the shell again to the real paths, symlinks resolved, at create time).
/// </summary>
public static class MountRules
{
    /// <summary>The kernel's file systems in the container: the slot may be mounted neither on nor under them.</summary>
    public static readonly Seq<string> KernelDirs = new[] { "/dev", "/proc", "/sys" }.ToSeq();

    /// <summary>
    /// The system's own directories: the slot may not replace one (under one is fine: <c>WORKDIR /usr/src/app</c>
    /// is a common, harmless choice).
    /// </summary>
    public static readonly Seq<string> SystemDirs = new[]
    {
        "/", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/usr/bin", "/usr/sbin",
        "/usr/lib", "/usr/local", "/usr/local/bin", "/boot", "/run", "/var", "/var/run", "/var/lib", "/root",
    }.ToSeq();

    /// <summary>Why WORKDIR cannot be where it is, if it cannot.</summary>
    public static Option<string> WorkdirRefusal(string workdir)
    {
        var kernel = KernelDirs.Find(d => Paths.IsAtOrUnder(workdir, d));
        if (kernel.IsSome)
            return kernel.Map(d => $"WORKDIR {workdir} is {(workdir == d ? "" : "under ")}{d}, a kernel file system of the container; the slot cannot be mounted there");
        return SystemDirs.Exists(d => d == workdir)
            ? Option<string>.Some($"WORKDIR {workdir} is a system directory of the container; mounting the slot there would replace it (use a directory of its own, e.g. /app)")
            : Option<string>.None;
    }

    /// <summary>
    /// Why a mount source (a normalised absolute host path) cannot be mounted, if it cannot: the wrapper's state
    /// directory or anything in it (committed checkpoints, the journal), the slot itself (already mounted once,
    /// at WORKDIR), or a directory that contains the slot.
    /// </summary>
    public static Option<string> SourceRefusal(string source, string slotPath)
    {
        var state = Paths.Join(slotPath, StoreLayout.StateDirName);
        if (Paths.IsAtOrUnder(source, state))
            return $"mount source {source} is the wrapper's {StoreLayout.StateDirName} (committed checkpoints, journal), which the job never sees";
        if (source == slotPath)
            return $"mount source {source} is the slot directory, which is mounted once, at WORKDIR";
        if (Paths.IsAtOrUnder(slotPath, source))
            return $"mount source {source} contains the slot directory {slotPath}; the slot is mounted once, at WORKDIR";
        return Option<string>.None;
    }
}
