using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using LanguageExt;
using ContainerSpec = Boinc.Persist.Core.Planning.ContainerSpec;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// The one place where a <see cref="ContainerSpec"/> becomes the body of the engine's create request (Docker
/// Engine API <c>POST /containers/create</c>; Podman serves the same). Nothing here decides: every value comes from
/// the plan. Field names are the API's (the tests read this body back into Docker.DotNet's models, which carry the
/// API's names, so a misspelt field shows there).
/// </summary>
public static class ContainerSpecConverter
{
    public static byte[] ToCreateBody(ContainerSpec spec, string imageReference) =>
        ToCreateBody(spec, imageReference, EngineCreateOptions.None, Seq<string>.Empty);

    /// <summary>
    /// With the engine's own create options (<see cref="EngineDifferences.Adapt"/>): the log driver and the
    /// user namespace mode, which only Podman needs; and the command, when the job gives one.
    /// </summary>
    public static byte[] ToCreateBody(ContainerSpec spec, string imageReference, EngineCreateOptions engine, Seq<string> command)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("Hostname", spec.Hostname.IfNone(""));
            w.WriteString("User", spec.User.IfNone(""));
            Strings(w, "Env", spec.Env.Map(e => $"{e.Key}={e.Value}"));
            if (!command.IsEmpty)
                Strings(w, "Cmd", command);
            w.WriteString("Image", imageReference);
            w.WriteString("WorkingDir", spec.WorkingDir);
            spec.Entrypoint.Iter(e => Strings(w, "Entrypoint", LanguageExt.Prelude.Seq1(e)));
            Map(w, "Labels", spec.Labels.GroupBy(l => l.Key).Select(g => (g.Key, g.Last().Value)));
            w.WriteString("StopSignal", spec.StopSignal.IfNone(""));
            spec.StopTimeoutSeconds.Iter(s => w.WriteNumber("StopTimeout", s));
            w.WriteStartObject("ExposedPorts");
            foreach (var key in ExposedPorts(spec))
            {
                w.WriteStartObject(key);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            if (spec.Network == NetworkMode.None)
                w.WriteBoolean("NetworkDisabled", true);
            w.WritePropertyName("HostConfig");
            HostConfig(w, spec, engine);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void HostConfig(Utf8JsonWriter w, ContainerSpec spec, EngineCreateOptions engine)
    {
        w.WriteStartObject();
        w.WriteStartArray("Mounts");
        foreach (var m in spec.Mounts.Filter(m => m.Relabel == Relabel.None))
        {
            w.WriteStartObject();
            w.WriteString("Type", "bind");
            w.WriteString("Source", Host.MountSources.Verified(m.Source));
            w.WriteString("Target", m.Target);
            w.WriteBoolean("ReadOnly", m.ReadOnly);
            w.WriteStartObject("BindOptions");
            w.WriteString("Propagation", "rprivate");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        Strings(w, "Binds", spec.Mounts.Filter(m => m.Relabel != Relabel.None).Map(ToBind));
        Map(w, "Tmpfs", spec.Tmpfs.Map(t => (t.Target, string.Join(',',
            new[] { t.ReadOnly ? "ro" : "rw", "nosuid", "nodev", $"size={t.SizeBytes.ToString(CultureInfo.InvariantCulture)}" }
                .Concat(engine.TmpfsOptions)))));
        w.WriteString("NetworkMode", spec.Network switch
        {
            NetworkMode.Bridge => "bridge",
            NetworkMode.Host => "host",
            _ => "none",
        });
        w.WriteBoolean("ReadonlyRootfs", spec.ReadOnlyRootfs);
        Strings(w, "SecurityOpt", spec.NoNewPrivileges ? LanguageExt.Prelude.Seq1("no-new-privileges:true") : Seq<string>.Empty);
        Strings(w, "CapDrop", ContainerSpec.CapDrop);
        Strings(w, "CapAdd", spec.CapAdd);
        w.WriteNumber("NanoCpus", spec.NanoCpus);
        w.WriteNumber("Memory", spec.MemoryBytes.IfNone(0));
        // Swap would let a job use more than BOINC's memory bound; the same value for both forbids it.
        w.WriteNumber("MemorySwap", spec.MemoryBytes.IfNone(0));
        w.WriteNumber("PidsLimit", spec.PidsLimit);
        w.WriteStartArray("Ulimits");
        foreach (var u in spec.Ulimits)
        {
            w.WriteStartObject();
            w.WriteString("Name", u.Name);
            w.WriteNumber("Soft", u.Soft);
            w.WriteNumber("Hard", u.Hard);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("ShmSize", spec.ShmSizeBytes.IfNone(0));
        if (spec.Init)
            w.WriteBoolean("Init", true);
        PortBindings(w, spec);
        w.WriteStartArray("DeviceRequests");
        if (spec.Gpus)
        {
            w.WriteStartObject();
            w.WriteNumber("Count", -1);
            w.WriteStartArray("Capabilities");
            w.WriteStartArray();
            w.WriteStringValue("gpu");
            w.WriteEndArray();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("RestartPolicy");
        w.WriteString("Name", "no");
        w.WriteEndObject();
        var (logType, logOptions) = DockerEngine.LogConfigFor(engine.LogDriver);
        w.WriteStartObject("LogConfig");
        w.WriteString("Type", logType);
        Map(w, "Config", logOptions);
        w.WriteEndObject();
        engine.UsernsMode.Iter(u => w.WriteString("UsernsMode", u));
        w.WriteEndObject();
    }

    // Relabelling (:z/:Z) exists only in the Binds syntax. Sources with ':' cannot be expressed there; the
    // planner's paths come from BOINC's slot layout, which has none.
    private static string ToBind(PlannedMount m)
    {
        var opts = new List<string> { m.ReadOnly ? "ro" : "rw", m.Relabel == Relabel.Private ? "Z" : "z" };
        return $"{Host.MountSources.Verified(m.Source)}:{m.Target}:{string.Join(',', opts)}";
    }

    private static IEnumerable<string> ExposedPorts(ContainerSpec spec) =>
        spec.Ports.Map(p => PortKey(p.ContainerPort, p.Protocol))
            .Then(spec.WebGraphicsGuestPort.Map(p => PortKey(p, PortProtocol.Tcp)).ToSeq())
            .Distinct();

    private static void PortBindings(Utf8JsonWriter w, ContainerSpec spec)
    {
        var d = new Dictionary<string, List<(string HostIp, string HostPort)>>();
        foreach (var p in spec.Ports)
        {
            var key = PortKey(p.ContainerPort, p.Protocol);
            if (!d.TryGetValue(key, out var list)) d[key] = list = new();
            list.Add((p.HostIp, p.HostPort.ToString(CultureInfo.InvariantCulture)));
        }

        // Web graphics: the engine picks a free host port on loopback; the wrapper reads it back and tells BOINC.
        spec.WebGraphicsGuestPort.Iter(p => d[PortKey(p, PortProtocol.Tcp)] = new() { ("127.0.0.1", "") });
        w.WriteStartObject("PortBindings");
        foreach (var (key, bindings) in d)
        {
            w.WriteStartArray(key);
            foreach (var (ip, port) in bindings)
            {
                w.WriteStartObject();
                w.WriteString("HostIp", ip);
                w.WriteString("HostPort", port);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
            w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void Map(Utf8JsonWriter w, string name, IEnumerable<(string Key, string Value)> entries)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in entries)
            w.WriteString(k, v);
        w.WriteEndObject();
    }

    private static string PortKey(int port, PortProtocol protocol) =>
        $"{port.ToString(CultureInfo.InvariantCulture)}/{(protocol == PortProtocol.Udp ? "udp" : "tcp")}";
}
