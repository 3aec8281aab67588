using System;
using LanguageExt;

namespace Boinc.Persist.Core.Config;

/// <summary>
/// What job.toml says, after validation. The first group of members are BOINC docker_wrapper's keys with
/// their meaning kept; the tables after them are ours and are ignored by other wrappers. A missing file and
/// an empty file both give <see cref="Default"/>.
/// </summary>
public sealed record JobConfig(
    Option<string> Workdir,
    Option<string> ProjectDirMount,
    Option<string> ImageName,
    BuildOptions Build,
    CreateOptions Create,
    bool UseGpu,
    Option<int> WebGraphicsGuestPort,
    Seq<MountSpec> Mounts,
    Seq<PortMap> PortMaps,
    int Verbose,
    CheckpointConfig Checkpoint,
    ConfinementConfig Confinement,
    Limits Limits,
    LifecycleConfig Lifecycle)
{
    /// <summary>docker_wrapper's default WORKDIR when neither job.toml nor the Dockerfile names one.</summary>
    public const string DefaultWorkdir = "/app";

    /// <summary>docker_wrapper's VERBOSE_STD.</summary>
    public const int DefaultVerbose = 1;

    /// <summary>The <c>[inputs]</c> table: how the slot's link files reach the job.</summary>
    public InputsConfig Inputs { get; init; } = InputsConfig.Default;

    /// <summary>
    /// A sporadic app (<c>sporadic = true</c>; docker_wrapper takes it as the <c>--sporadic</c> command-line flag,
    /// which we accept too): the wrapper bridges the client's and the app's states through the files <c>ca</c>
    /// and <c>ac</c> in WORKDIR.
    /// </summary>
    public bool Sporadic { get; init; }

    public static JobConfig Default { get; } = new(
        Option<string>.None,
        Option<string>.None,
        Option<string>.None,
        BuildOptions.None,
        CreateOptions.None,
        false,
        Option<int>.None,
        Seq<MountSpec>.Empty,
        Seq<PortMap>.Empty,
        DefaultVerbose,
        CheckpointConfig.Default,
        ConfinementConfig.Default,
        Limits.Default,
        LifecycleConfig.Default);
}

/// <summary>A <c>KEY=VALUE</c> pair (environment variable, build argument, label).</summary>
public sealed record KeyValue(string Key, string Value);

/// <summary>The understood subset of docker_wrapper's <c>build_args</c> (options of <c>docker build</c>).</summary>
public sealed record BuildOptions(
    Seq<KeyValue> BuildArgs,
    Option<string> Target,
    Seq<KeyValue> Labels,
    bool NoCache,
    Option<string> Platform)
{
    public static BuildOptions None { get; } =
        new(Seq<KeyValue>.Empty, Option<string>.None, Seq<KeyValue>.Empty, false, Option<string>.None);
}

/// <summary>A <c>--ulimit name=soft[:hard]</c>.</summary>
public sealed record Ulimit(string Name, long Soft, long Hard);

/// <summary>A <c>--tmpfs path[:size=...]</c> with its size in bytes when one was given.</summary>
public sealed record TmpfsSpec(string Target, Option<long> SizeBytes);

/// <summary>
/// The understood subset of docker_wrapper's <c>create_args</c> (options of <c>docker create</c>). Options that
/// set a limit (<c>--cpus</c>, <c>--memory</c>, <c>--pids-limit</c>) land in <see cref="Limits"/> instead, so
/// there is one place for each limit.
/// </summary>
public sealed record CreateOptions(
    Seq<KeyValue> Env,
    Seq<KeyValue> Labels,
    Seq<Ulimit> Ulimits,
    Seq<TmpfsSpec> Tmpfs,
    Option<long> ShmSizeBytes,
    Option<string> Hostname,
    Option<string> Entrypoint,
    bool Init,
    Option<int> StopTimeoutSeconds,
    Option<string> StopSignal)
{
    public static CreateOptions None { get; } = new(
        Seq<KeyValue>.Empty,
        Seq<KeyValue>.Empty,
        Seq<Ulimit>.Empty,
        Seq<TmpfsSpec>.Empty,
        Option<long>.None,
        Option<string>.None,
        Option<string>.None,
        false,
        Option<int>.None,
        Option<string>.None);
}

/// <summary>SELinux relabelling of a bind mount (<c>:z</c> shared, <c>:Z</c> private).</summary>
public enum Relabel
{
    None,
    Shared,
    Private,
}

/// <summary>
/// One docker_wrapper <c>mount</c> entry, <c>source:target[:options]</c> as for <c>docker -v</c>. A source
/// that does not start with <c>/</c> is a path inside the slot directory (never a named volume).
/// </summary>
public sealed record MountSpec(string Source, string Target, bool ReadOnly, Relabel Relabel)
{
    public bool IsSlotRelative => !Source.StartsWith('/');
}

public enum PortProtocol
{
    Tcp,
    Udp,
}

/// <summary>
/// One docker_wrapper <c>portmap</c> entry, <c>[ip:]host:container[/proto]</c>. With no ip we bind to
/// 127.0.0.1, not Docker's 0.0.0.0: a volunteer's machine must not open a port to the network by default.
/// </summary>
public sealed record PortMap(string HostIp, int HostPort, int ContainerPort, PortProtocol Protocol);

/// <summary>Which files in WORKDIR make up the application's checkpoint (the <c>[checkpoint]</c> table).</summary>
public sealed record CheckpointConfig(Seq<string> Files, Option<string> DoneMarker, TimeSpan Quiescence, int Keep)
{
    public static CheckpointConfig Default { get; } =
        new(Seq<string>.Empty, Option<string>.None, TimeSpan.FromSeconds(2), 2);

    public bool Enabled => !Files.IsEmpty;
}

public enum NetworkMode
{
    None,
    Bridge,
    Host,
}

/// <summary>Who the job runs as inside the container.</summary>
public abstract record UserMode
{
    private UserMode() { }

    /// <summary>The uid:gid that owns the slot directory (the BOINC client's user): the default.</summary>
    public sealed record SlotOwner : UserMode;

    /// <summary>Whatever the image says (USER, else root): a relaxation.</summary>
    public sealed record Image : UserMode;

    /// <summary>A fixed uid:gid: a relaxation.</summary>
    public sealed record Explicit(long Uid, long Gid) : UserMode;
}

/// <summary>
/// The container's confinement (the <c>[confinement]</c> table). The defaults are the strict ones; every
/// member that differs from its default is a relaxation the plan prints.
/// </summary>
public sealed record ConfinementConfig(
    NetworkMode Network,
    bool ReadOnlyRootfs,
    bool NoNewPrivileges,
    Seq<string> CapAdd,
    UserMode User,
    bool ProjectDirWritable,
    bool AllowWorkdirMismatch,
    bool AllowHostMounts)
{
    public static ConfinementConfig Default { get; } = new(
        NetworkMode.None, true, true, Seq<string>.Empty, new UserMode.SlotOwner(), false, false, false);
}

/// <summary>
/// Resource limits (the <c>[limits]</c> table, or the matching <c>create_args</c>). Unset memory and cpus
/// come from BOINC's <c>rsc_memory_bound</c> and <c>ncpus</c>.
/// </summary>
public sealed record Limits(Option<long> MemoryBytes, Option<double> Cpus, long Pids, long TmpBytes)
{
    public const long DefaultPids = 4096;

    public const long DefaultTmpBytes = 512L * 1024 * 1024;

    public static Limits Default { get; } = new(Option<long>.None, Option<double>.None, DefaultPids, DefaultTmpBytes);
}

/// <summary>What the wrapper does when BOINC asks it to quit (or the client is lost).</summary>
public enum QuitPolicy
{
    /// <summary>Ask the app to checkpoint, wait for a committed generation, stop the container: frees RAM.</summary>
    CheckpointAndStop,

    /// <summary>docker_wrapper's behaviour: pause the container and exit; keeps the job in RAM.</summary>
    Pause,
}

/// <summary>The <c>[lifecycle]</c> table.</summary>
public sealed record LifecycleConfig(QuitPolicy Quit, TimeSpan StopGrace)
{
    public static LifecycleConfig Default { get; } = new(QuitPolicy.CheckpointAndStop, TimeSpan.FromSeconds(30));
}

/// <summary>What the job sees at WORKDIR/&lt;logical name&gt; when the client left a <c>&lt;soft_link&gt;</c> link file.</summary>
public enum LinkFileMode
{
    /// <summary>
    /// The default, as BOINC and docker_wrapper define it: the link file itself, exactly as the client wrote it.
    /// The app parses it (or calls <c>boinc_resolve_filename</c>) and opens the project file under
    /// <c>project_dir_mount</c> or at the link's own relative path.
    /// </summary>
    AsWritten,

    /// <summary>
    /// The explicit choice <c>link_files = "resolve"</c>: the project file's bytes, bind-mounted over the
    /// logical name inside the container (the link file on the host stays as written).
    /// </summary>
    Resolve,
}

/// <summary>The <c>[inputs]</c> table.</summary>
public sealed record InputsConfig(LinkFileMode LinkFiles)
{
    public static InputsConfig Default { get; } = new(LinkFileMode.AsWritten);

    /// <summary>The job.toml spelling of a mode.</summary>
    public static string Name(LinkFileMode mode) => mode == LinkFileMode.Resolve ? "resolve" : "as-written";
}
