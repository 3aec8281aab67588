using Boinc.Persist.Core.Config;
using LanguageExt;

namespace Boinc.Persist.Core.Planning;

/// <summary>Why a mount is there; the plan prints it.</summary>
public enum MountRole
{
    /// <summary>The slot directory at WORKDIR: where every job file lives.</summary>
    Slot,

    /// <summary>The project directory (BOINC's <c>projects/&lt;dir&gt;</c>), for <c>&lt;soft_link&gt;</c> inputs.</summary>
    Project,

    /// <summary>An entry of job.toml's <c>mount</c>.</summary>
    Extra,

    /// <summary>A project file over its <c>&lt;soft_link&gt;</c> link file at WORKDIR/&lt;logical name&gt;, read-only (an input).</summary>
    LinkedInput,

    /// <summary>A task's output file (in the project directory) over its link file, read-write.</summary>
    LinkedOutput,

    /// <summary>The project directory, read-only, where the slot's real symlinks (<c>use_symlinks</c>) point.</summary>
    SymlinkTarget,

    /// <summary>One of BOINC's or the wrapper's own slot files over itself, read-only (<see cref="ProtectedFiles"/>).</summary>
    Protected,
}

/// <summary>A bind mount from an absolute host path. Invariant: <see cref="Target"/> is normalised and absolute.</summary>
public sealed record PlannedMount(string Source, string Target, bool ReadOnly, Relabel Relabel, MountRole Role, string Why);

/// <summary>A tmpfs in the container (with the read-only root, /tmp is one).</summary>
public sealed record PlannedTmpfs(string Target, long SizeBytes, string Why)
{
    /// <summary>Mounted read-only: the job can neither read anything there nor write into it.</summary>
    public bool ReadOnly { get; init; }
}

/// <summary>
/// The image to run: built from the Dockerfile with an empty context and tagged by the hash of what it is
/// built from, so every job of one app version shares one build (unless job.toml names the image).
/// </summary>
public sealed record ImagePlan(
    string Tag,
    string ContentHash,
    bool NamedByJob,
    string DockerfileName,
    BuildOptions Build,
    Seq<KeyValue> Labels);

/// <summary>
/// Everything needed to create the container through the Engine API, and nothing that needs a shell.
/// The shell converts it to Docker's models in one place.
/// </summary>
public sealed record ContainerSpec(
    string Name,
    ImagePlan Image,
    Option<string> User,
    string WorkingDir,
    Seq<KeyValue> Env,
    Option<string> Entrypoint,
    Seq<PlannedMount> Mounts,
    Seq<PlannedTmpfs> Tmpfs,
    NetworkMode Network,
    bool ReadOnlyRootfs,
    bool NoNewPrivileges,
    Seq<string> CapAdd,
    long NanoCpus,
    Option<long> MemoryBytes,
    long PidsLimit,
    Seq<Ulimit> Ulimits,
    Option<long> ShmSizeBytes,
    bool Gpus,
    Seq<PortMap> Ports,
    Option<int> WebGraphicsGuestPort,
    Seq<KeyValue> Labels,
    Option<string> Hostname,
    bool Init,
    Option<int> StopTimeoutSeconds,
    Option<string> StopSignal)
{
    /// <summary>Capabilities are all dropped; only <see cref="CapAdd"/> come back.</summary>
    public static readonly Seq<string> CapDrop = new[] { "ALL" }.ToSeq();
}

/// <summary>A relaxation of the strict defaults, and the job.toml key that asked for it.</summary>
public sealed record Relaxation(string Key, string What);

/// <summary>The plan for one job: the container, and each way it is less confined than the default.</summary>
public sealed record Plan(ContainerSpec Container, Seq<Relaxation> Relaxations);
