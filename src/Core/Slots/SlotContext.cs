using LanguageExt;

namespace Boinc.Persist.Core.Slots;

/// <summary>
/// What the BOINC client told this task in <c>init_data.xml</c> (APP_INIT_DATA), reduced to what the wrapper
/// uses. Invariants: <see cref="ProjectDir"/>, <see cref="WuName"/> and <see cref="ResultName"/> are not empty;
/// <see cref="ProjectDirName"/> is the last segment of <see cref="ProjectDir"/> (never empty, <c>.</c> or
/// <c>..</c>), the name BOINC uses in link files (<c>../../projects/&lt;ProjectDirName&gt;/…</c>) and in
/// container and image names. Every number is finite.
/// </summary>
public sealed record SlotContext(
    string ProjectDir,
    string ProjectDirName,
    Option<string> ProjectUrl,
    string AppName,
    string WuName,
    string ResultName,
    int Slot,
    Option<int> ClientPid,
    Option<int> ShmKey,
    double Ncpus,
    double RscMemoryBound,
    double RscDiskBound,
    double RscFpopsEst,
    double WuCpuTime,
    double StartingElapsedTime,
    double CheckpointPeriod,
    double FractionDoneStart,
    double FractionDoneEnd,
    Option<GpuAssignment> Gpu,
    HostInfo HostInfo,
    Option<ProxyInfo> ProxyInfo)
{
    /// <summary>The client's version (<c>major_version</c>, <c>minor_version</c>, <c>release</c>); None when not all three are given.</summary>
    public Option<ClientVersion> ClientVersion { get; init; }

    /// <summary>The app version's plan class (<c>plan_class</c>), empty when none.</summary>
    public string PlanClass { get; init; } = "";
}

/// <summary>The GPU the client assigned (<c>gpu_type</c> non-empty), e.g. <c>NVIDIA</c> device 0.</summary>
public sealed record GpuAssignment(string GpuType, int GpuDeviceNum, int GpuOpenclDevIndex, double GpuUsage);

/// <summary>Which engine the client detected (<c>docker_type</c> in <c>host_info</c>).</summary>
public enum ContainerEngine
{
    Unknown = 0,
    Docker = 1,
    Podman = 2,
}

/// <summary>
/// The host as the client describes it. <see cref="DockerType"/> and <see cref="DockerVersion"/> are None when
/// the client is too old to detect engines (before 8.x) or found none. Strings are unescaped.
/// </summary>
public sealed record HostInfo(
    string Hostname,
    int PNcpus,
    double MNbytes,
    string OsName,
    string OsVersion,
    string PVendor,
    string PModel,
    Option<int> DockerType,
    Option<string> DockerVersion)
{
    public static readonly HostInfo Empty = new(
        "", 0, 0, "", "", "", "", Option<int>.None, Option<string>.None);

    public ContainerEngine Engine => DockerType.Match(
        t => t switch { 1 => ContainerEngine.Docker, 2 => ContainerEngine.Podman, _ => ContainerEngine.Unknown },
        () => ContainerEngine.Unknown);
}

/// <summary>
/// The client's proxy settings (written only when a proxy is in use). Credentials are deliberately left out:
/// they must not end up in logs or container environments by accident.
/// </summary>
public sealed record ProxyInfo(
    bool UseHttpProxy,
    string HttpServerName,
    int HttpServerPort,
    bool UseSocksProxy,
    string SocksServerName,
    int SocksServerPort,
    string NoProxy);
