using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using Docker.DotNet.Models;
using ContainerSpec = Boinc.Persist.Core.Planning.ContainerSpec;
using Ulimit = Docker.DotNet.Models.Ulimit;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// The one place where a <see cref="ContainerSpec"/> becomes Docker Engine API models. Nothing here decides:
/// every value comes from the plan.
/// </summary>
public static class ContainerSpecConverter
{
    public static CreateContainerParameters ToCreateParameters(ContainerSpec spec, string imageReference) =>
        ToCreateParameters(spec, imageReference, EngineCreateOptions.None);

    /// <summary>
    /// With the engine's own create options (<see cref="EngineDifferences.Adapt"/>): the log driver and the
    /// user namespace mode, which only Podman needs.
    /// </summary>
    public static CreateContainerParameters ToCreateParameters(ContainerSpec spec, string imageReference, EngineCreateOptions engine)
    {
        var host = new HostConfig
        {
            Mounts = spec.Mounts.Filter(m => m.Relabel == Relabel.None).Map(ToMount).ToList(),
            Binds = spec.Mounts.Filter(m => m.Relabel != Relabel.None).Map(ToBind).ToList(),
            Tmpfs = spec.Tmpfs.ToDictionary(
                t => t.Target,
                t => string.Join(',', new[] { t.ReadOnly ? "ro" : "rw", "nosuid", "nodev", $"size={t.SizeBytes.ToString(CultureInfo.InvariantCulture)}" }
                    .Concat(engine.TmpfsOptions))),
            NetworkMode = spec.Network switch
            {
                NetworkMode.Bridge => "bridge",
                NetworkMode.Host => "host",
                _ => "none",
            },
            ReadonlyRootfs = spec.ReadOnlyRootfs,
            SecurityOpt = spec.NoNewPrivileges ? new List<string> { "no-new-privileges:true" } : new List<string>(),
            CapDrop = ContainerSpec.CapDrop.ToList(),
            CapAdd = spec.CapAdd.ToList(),
            NanoCPUs = spec.NanoCpus,
            Memory = spec.MemoryBytes.IfNone(0),
            // Swap would let a job use more than BOINC's memory bound; the same value for both forbids it.
            MemorySwap = spec.MemoryBytes.IfNone(0),
            PidsLimit = spec.PidsLimit,
            Ulimits = spec.Ulimits.Map(u => new Ulimit { Name = u.Name, Soft = u.Soft, Hard = u.Hard }).ToList(),
            ShmSize = spec.ShmSizeBytes.IfNone(0),
            Init = spec.Init ? true : null,
            PortBindings = PortBindings(spec),
            DeviceRequests = spec.Gpus
                ? new List<DeviceRequest> { new() { Count = -1, Capabilities = new List<IList<string>> { new List<string> { "gpu" } } } }
                : new List<DeviceRequest>(),
            RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
        };
        host.LogConfig = DockerEngine.LogConfigFor(engine.LogDriver);
        engine.UsernsMode.Iter(u => host.UsernsMode = u);

        var parameters = new CreateContainerParameters
        {
            Name = spec.Name,
            Image = imageReference,
            User = spec.User.IfNone(""),
            WorkingDir = spec.WorkingDir,
            Env = spec.Env.Map(e => $"{e.Key}={e.Value}").ToList(),
            Labels = spec.Labels.GroupBy(l => l.Key).ToDictionary(g => g.Key, g => g.Last().Value),
            Hostname = spec.Hostname.IfNone(""),
            StopSignal = spec.StopSignal.IfNone(""),
            // Not Match: LanguageExt's Match throws ResultIsNullException when a branch returns null, which made
            // every plan without a stop timeout (the default) fail to convert.
            StopTimeout = spec.StopTimeoutSeconds.IsSome
                ? System.TimeSpan.FromSeconds(spec.StopTimeoutSeconds.IfNone(0))
                : null,
            ExposedPorts = ExposedPorts(spec),
            HostConfig = host,
        };
        spec.Entrypoint.Iter(e => parameters.Entrypoint = new List<string> { e });
        if (spec.Network == NetworkMode.None) parameters.NetworkDisabled = true;
        return parameters;
    }

    private static Mount ToMount(PlannedMount m) => new()
    {
        Type = "bind",
        Source = Host.MountSources.Verified(m.Source),
        Target = m.Target,
        ReadOnly = m.ReadOnly,
        BindOptions = new BindOptions { Propagation = "rprivate" },
    };

    // Relabelling (:z/:Z) exists only in the Binds syntax. Sources with ':' cannot be expressed there; the
    // planner's paths come from BOINC's slot layout, which has none.
    private static string ToBind(PlannedMount m)
    {
        var opts = new List<string> { m.ReadOnly ? "ro" : "rw", m.Relabel == Relabel.Private ? "Z" : "z" };
        return $"{Host.MountSources.Verified(m.Source)}:{m.Target}:{string.Join(',', opts)}";
    }

    private static IDictionary<string, EmptyStruct> ExposedPorts(ContainerSpec spec)
    {
        var d = new Dictionary<string, EmptyStruct>();
        foreach (var p in spec.Ports) d[PortKey(p.ContainerPort, p.Protocol)] = default;
        spec.WebGraphicsGuestPort.Iter(p => d[PortKey(p, PortProtocol.Tcp)] = default);
        return d;
    }

    private static IDictionary<string, IList<PortBinding>> PortBindings(ContainerSpec spec)
    {
        var d = new Dictionary<string, IList<PortBinding>>();
        foreach (var p in spec.Ports)
        {
            var key = PortKey(p.ContainerPort, p.Protocol);
            if (!d.TryGetValue(key, out var list)) d[key] = list = new List<PortBinding>();
            list.Add(new PortBinding { HostIP = p.HostIp, HostPort = p.HostPort.ToString(CultureInfo.InvariantCulture) });
        }

        // Web graphics: the engine picks a free host port on loopback; the wrapper reads it back and tells BOINC.
        spec.WebGraphicsGuestPort.Iter(p =>
            d[PortKey(p, PortProtocol.Tcp)] = new List<PortBinding> { new() { HostIP = "127.0.0.1", HostPort = "" } });
        return d;
    }

    private static string PortKey(int port, PortProtocol protocol) =>
        $"{port.ToString(CultureInfo.InvariantCulture)}/{(protocol == PortProtocol.Udp ? "udp" : "tcp")}";
}
