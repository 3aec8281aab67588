using Boinc.Persist.Core.Config;
using LanguageExt;

namespace Boinc.Persist.Core.Planning;

/// <summary>What the planner needs from the Dockerfile (the Dockerfile analysis provides it).</summary>
public sealed record DockerfileFacts(
    string FileName,
    string Text,
    Option<(string Path, int Line)> Workdir,
    Option<string> User);

/// <summary>Which BOINC task this is (from init_data.xml, or stand-ins when a job directory is checked alone).</summary>
public sealed record TaskIdentity(
    string ProjectDirName,
    string WuName,
    string ResultName,
    int Slot,
    double Ncpus,
    double MemoryBoundBytes);

/// <summary>Facts of the host the shell read: absolute paths and the slot directory's owner.</summary>
public sealed record HostFacts(string SlotPath, string ProjectPath, long SlotUid, long SlotGid);

/// <summary>Everything a plan is made from. Pure data: the shell gathers it, the planner decides.</summary>
public sealed record PlanInput(
    JobFile Job,
    DockerfileFacts Dockerfile,
    TaskIdentity Task,
    HostFacts Host,
    Seq<string> AppArgs)
{
    /// <summary>The slot's links into the project directory, mounted by <see cref="InputMounts"/> (none by default).</summary>
    public LinkFacts Links { get; init; } = LinkFacts.None;
}
