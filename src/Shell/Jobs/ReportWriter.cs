using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Slots;

namespace Boinc.Persist.Shell.Jobs;

/// <summary>Prints findings and plans for people (text) and for tools (JSON).</summary>
public static class ReportWriter
{
    public static void Findings(TextWriter w, JobReport r)
    {
        foreach (var d in r.Findings.OrderBy(d => d.IsError ? 0 : 1))
            w.WriteLine(d.ToString());
        var errors = r.Findings.Count(d => d.IsError);
        var warnings = r.Findings.Count - errors;
        w.WriteLine($"{r.Directory}: {errors} error(s), {warnings} warning(s)");
    }

    public static void PlanText(TextWriter w, JobReport r)
    {
        r.Plan.Iter(p =>
        {
            var s = p.Container;
            var i = s.Image;
            w.WriteLine($"Plan for {r.Directory}{(r.Standalone ? " (standalone: no init_data.xml)" : "")}");
            w.WriteLine();
            w.WriteLine("Image");
            w.WriteLine(i.NamedByJob
                ? $"  {i.Tag}  (image_name in job.toml; built from {i.DockerfileName} if absent)"
                : $"  {i.Tag}  (built from {i.DockerfileName} with an empty context; the tag is its content hash, shared by every job with the same Dockerfile and build options)");
            r.Dockerfile.Iter(d => w.WriteLine($"  base image(s): {string.Join(", ", d.BaseImages)}"));
            if (i.Build != BuildOptions.None) w.WriteLine($"  build options: {CreateArgs.FormatBuild(i.Build)}");
            w.WriteLine();
            w.WriteLine($"Container {s.Name}");
            w.WriteLine($"  user          {s.User.IfNone("(image default)")}");
            w.WriteLine($"  workdir       {s.WorkingDir}");
            w.WriteLine($"  network       {s.Network.ToString().ToLowerInvariant()}");
            w.WriteLine($"  root fs       {(s.ReadOnlyRootfs ? "read-only" : "WRITABLE")}");
            w.WriteLine($"  privileges    {(s.NoNewPrivileges ? "no new privileges" : "may gain privileges")}; capabilities: all dropped{(s.CapAdd.IsEmpty ? "" : ", added back: " + string.Join(", ", s.CapAdd))}");
            w.WriteLine($"  cpus          {(s.NanoCpus > 0 ? (s.NanoCpus / 1e9).ToString("0.###", CultureInfo.InvariantCulture) : "unlimited")}");
            w.WriteLine($"  memory        {s.MemoryBytes.Match(Units.FormatSize, () => "unlimited")} (no swap beyond it)");
            w.WriteLine($"  pids          {s.PidsLimit}");
            r.Config.Iter(c => w.WriteLine($"  link files    {LinkFilesText(c.Inputs.LinkFiles)}"));
            if (s.Gpus) w.WriteLine("  gpus          all");
            s.Entrypoint.Iter(e => w.WriteLine($"  entrypoint    {e}"));
            r.Dockerfile.Bind(d => d.Entrypoint).Iter(c => w.WriteLine($"  entrypoint    {Command(c.Value)} (the image's ENTRYPOINT, Dockerfile line {c.Line})"));
            r.Dockerfile.Bind(d => d.Cmd).Iter(c => w.WriteLine($"  command       {Command(c.Value)} (the image's CMD, Dockerfile line {c.Line})"));
            w.WriteLine();
            w.WriteLine("Mounts");
            foreach (var m in s.Mounts)
                w.WriteLine($"  {m.Source} -> {m.Target} ({(m.ReadOnly ? "ro" : "rw")}{Relabel(m.Relabel)})  {m.Why}");
            foreach (var t in s.Tmpfs)
                w.WriteLine($"  tmpfs -> {t.Target} ({Units.FormatSize(t.SizeBytes)})  {t.Why}");
            if (!s.Env.IsEmpty)
            {
                w.WriteLine();
                w.WriteLine("Environment");
                foreach (var e in s.Env) w.WriteLine($"  {e.Key}={e.Value}");
            }

            if (!s.Ports.IsEmpty || s.WebGraphicsGuestPort.IsSome)
            {
                w.WriteLine();
                w.WriteLine("Ports");
                foreach (var pm in s.Ports) w.WriteLine($"  {pm.HostIp}:{pm.HostPort} -> {pm.ContainerPort}/{pm.Protocol.ToString().ToLowerInvariant()}");
                s.WebGraphicsGuestPort.Iter(g => w.WriteLine($"  127.0.0.1:(free port) -> {g}/tcp  web graphics"));
            }

            if (!r.Inputs.IsEmpty)
            {
                w.WriteLine();
                w.WriteLine("Inputs (logical name -> path in the container)");
                foreach (var input in r.Inputs)
                {
                    w.WriteLine(input switch
                    {
                        ResolvedInput.Copied c => $"  {c.LogicalName} -> {c.ContainerPath}  (copied into the slot)",
                        ResolvedInput.Linked { Style: LinkStyle.LinkFile } l when l.ContainerPath != Core.Paths.Join(s.WorkingDir, l.LogicalName) =>
                            $"  {l.LogicalName} -> {l.ContainerPath}  (the project's {l.PhysicalName}; {Core.Paths.Join(s.WorkingDir, l.LogicalName)} is the link file as the client wrote it)",
                        ResolvedInput.Linked l => $"  {l.LogicalName} -> {l.ContainerPath}  ({(l.Style == LinkStyle.Symlink ? "symlink" : "link file resolved")} to the project's {l.PhysicalName})",
                        _ => $"  {input}",
                    });
                }
            }

            w.WriteLine();
            w.WriteLine("Relaxations of the default confinement");
            if (p.Relaxations.IsEmpty) w.WriteLine("  none");
            foreach (var x in p.Relaxations) w.WriteLine($"  {x.Key}: {x.What}");
            w.WriteLine();
            w.WriteLine("Labels");
            foreach (var l in s.Labels) w.WriteLine($"  {l.Key}={l.Value}");
        });
    }

    public static string Json(JobReport r)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteString("directory", r.Directory);
            j.WriteBoolean("standalone", r.Standalone);
            r.Config.Iter(c => j.WriteString("linkFiles", InputsConfig.Name(c.Inputs.LinkFiles)));
            j.WriteBoolean("ok", !r.HasErrors);
            j.WriteStartArray("findings");
            foreach (var d in r.Findings)
            {
                j.WriteStartObject();
                j.WriteString("severity", d.IsError ? "error" : "warning");
                j.WriteString("code", d.Code.Id);
                j.WriteString("file", d.Where.File);
                d.Where.Line.Match(l => j.WriteNumber("line", l), () => j.WriteNull("line"));
                d.Where.Key.Match(k => j.WriteString("key", k), () => j.WriteNull("key"));
                j.WriteString("message", d.Message);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            r.Plan.Match(p => WritePlan(j, p, r), () => j.WriteNull("plan"));
            j.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WritePlan(Utf8JsonWriter j, Plan p, JobReport r)
    {
        var s = p.Container;
        j.WriteStartObject("plan");
        j.WriteStartObject("image");
        j.WriteString("tag", s.Image.Tag);
        j.WriteString("contentHash", s.Image.ContentHash);
        j.WriteBoolean("namedByJob", s.Image.NamedByJob);
        j.WriteString("dockerfile", s.Image.DockerfileName);
        j.WriteString("buildOptions", CreateArgs.FormatBuild(s.Image.Build));
        j.WriteEndObject();
        j.WriteStartObject("container");
        j.WriteString("name", s.Name);
        s.User.Match(u => j.WriteString("user", u), () => j.WriteNull("user"));
        j.WriteString("workdir", s.WorkingDir);
        j.WriteString("network", s.Network.ToString().ToLowerInvariant());
        j.WriteBoolean("readOnlyRootfs", s.ReadOnlyRootfs);
        j.WriteBoolean("noNewPrivileges", s.NoNewPrivileges);
        j.WriteStartArray("capDrop"); foreach (var c in ContainerSpec.CapDrop) j.WriteStringValue(c); j.WriteEndArray();
        j.WriteStartArray("capAdd"); foreach (var c in s.CapAdd) j.WriteStringValue(c); j.WriteEndArray();
        j.WriteNumber("nanoCpus", s.NanoCpus);
        s.MemoryBytes.Match(m => j.WriteNumber("memoryBytes", m), () => j.WriteNull("memoryBytes"));
        j.WriteNumber("pidsLimit", s.PidsLimit);
        j.WriteBoolean("gpus", s.Gpus);
        s.Entrypoint.Match(e => j.WriteString("entrypoint", e), () => j.WriteNull("entrypoint"));
        j.WriteStartArray("mounts");
        foreach (var m in s.Mounts)
        {
            j.WriteStartObject();
            j.WriteString("source", m.Source);
            j.WriteString("target", m.Target);
            j.WriteBoolean("readOnly", m.ReadOnly);
            j.WriteString("role", m.Role.ToString().ToLowerInvariant());
            j.WriteString("relabel", m.Relabel.ToString().ToLowerInvariant());
            j.WriteString("why", m.Why);
            j.WriteEndObject();
        }

        j.WriteEndArray();
        j.WriteStartArray("tmpfs");
        foreach (var t in s.Tmpfs)
        {
            j.WriteStartObject();
            j.WriteString("target", t.Target);
            j.WriteNumber("sizeBytes", t.SizeBytes);
            j.WriteString("why", t.Why);
            j.WriteEndObject();
        }

        j.WriteEndArray();
        j.WriteStartObject("env"); foreach (var e in s.Env) j.WriteString(e.Key, e.Value); j.WriteEndObject();
        j.WriteStartObject("labels"); foreach (var l in s.Labels) j.WriteString(l.Key, l.Value); j.WriteEndObject();
        j.WriteEndObject();
        j.WriteStartArray("inputs");
        foreach (var input in r.Inputs)
        {
            j.WriteStartObject();
            switch (input)
            {
                case ResolvedInput.Copied c:
                    j.WriteString("name", c.LogicalName); j.WriteString("kind", "copied"); j.WriteString("containerPath", c.ContainerPath);
                    break;
                case ResolvedInput.Linked l:
                    j.WriteString("name", l.LogicalName); j.WriteString("kind", "linked"); j.WriteString("physicalName", l.PhysicalName);
                    j.WriteString("containerPath", l.ContainerPath);
                    break;
            }

            j.WriteEndObject();
        }

        j.WriteEndArray();
        j.WriteStartArray("relaxations");
        foreach (var x in p.Relaxations)
        {
            j.WriteStartObject();
            j.WriteString("key", x.Key);
            j.WriteString("what", x.What);
            j.WriteEndObject();
        }

        j.WriteEndArray();
        j.WriteEndObject();
    }

    /// <summary>Which link-file mode the job uses, and what that means for it.</summary>
    public static string LinkFilesText(LinkFileMode mode) => mode == LinkFileMode.Resolve
        ? "resolve ([inputs] link_files = \"resolve\": each link file's project file is bound over its logical name)"
        : "as-written (the client's link files stay as written; the app resolves them, as under docker_wrapper)";

    private static string Command(Core.Dockerfiles.ImageCommand c) => c switch
    {
        Core.Dockerfiles.ImageCommand.Exec e => JsonSerializer.Serialize(e.Arguments.ToArray(), CliJson.Default.StringArray),
        Core.Dockerfiles.ImageCommand.Shell sh => $"/bin/sh -c {sh.CommandLine}",
        _ => c.ToString() ?? "",
    };

    private static string Relabel(Relabel r) => r switch
    {
        Core.Config.Relabel.Shared => ",z",
        Core.Config.Relabel.Private => ",Z",
        _ => "",
    };
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class CliJson : System.Text.Json.Serialization.JsonSerializerContext
{
}
