using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using LanguageExt;

namespace Boinc.Persist.Core.Config;

/// <summary>
/// Prints a <see cref="JobConfig"/> as job.toml: only what differs from the defaults, docker_wrapper's keys
/// first. <see cref="JobConfigReader.Parse"/> reads the text back to an equal config.
/// </summary>
public static class JobConfigWriter
{
    public static string Print(JobConfig c)
    {
        var d = JobConfig.Default;
        var top = new List<string>();
        c.Workdir.Iter(w => top.Add($"workdir = {Str(w)}"));
        c.ProjectDirMount.Iter(p => top.Add($"project_dir_mount = {Str(p)}"));
        c.ImageName.Iter(i => top.Add($"image_name = {Str(i)}"));
        if (c.Build != BuildOptions.None) top.Add($"build_args = {Str(CreateArgs.FormatBuild(c.Build))}");
        if (c.Create != CreateOptions.None) top.Add($"create_args = {Str(CreateArgs.FormatCreate(c.Create))}");
        if (c.UseGpu) top.Add("use_gpu = true");
        c.WebGraphicsGuestPort.Iter(p => top.Add($"web_graphics_guest_port = {p}"));
        if (!c.Mounts.IsEmpty) top.Add($"mount = {Arr(c.Mounts.Map(FormatMount))}");
        if (!c.PortMaps.IsEmpty) top.Add($"portmap = {Arr(c.PortMaps.Map(FormatPort))}");
        if (c.Verbose != d.Verbose) top.Add($"verbose = {c.Verbose}");
        if (c.Sporadic) top.Add("sporadic = true");

        var sb = new StringBuilder();
        foreach (var l in top) sb.Append(l).Append('\n');

        Section(sb, "checkpoint", Checkpoint(c.Checkpoint));
        Section(sb, "confinement", Confinement(c.Confinement));
        Section(sb, "limits", Limits(c.Limits));
        Section(sb, "lifecycle", Lifecycle(c.Lifecycle));
        Section(sb, "inputs", c.Inputs == InputsConfig.Default
            ? new List<string>()
            : new List<string> { $"link_files = {Str(InputsConfig.Name(c.Inputs.LinkFiles))}" });
        return sb.ToString();
    }

    private static List<string> Checkpoint(CheckpointConfig k)
    {
        var d = CheckpointConfig.Default;
        var l = new List<string>();
        if (!k.Files.IsEmpty) l.Add($"files = {Arr(k.Files)}");
        k.DoneMarker.Iter(m => l.Add($"done_marker = {Str(m)}"));
        if (k.Quiescence != d.Quiescence) l.Add($"quiescence = {Str(Units.FormatDuration(k.Quiescence))}");
        if (k.Keep != d.Keep) l.Add($"keep = {k.Keep}");
        return l;
    }

    private static List<string> Confinement(ConfinementConfig k)
    {
        var d = ConfinementConfig.Default;
        var l = new List<string>();
        if (k.Network != d.Network) l.Add($"network = {Str(k.Network.ToString().ToLowerInvariant())}");
        if (k.ReadOnlyRootfs != d.ReadOnlyRootfs) l.Add($"read_only_rootfs = {Bool(k.ReadOnlyRootfs)}");
        if (k.NoNewPrivileges != d.NoNewPrivileges) l.Add($"no_new_privileges = {Bool(k.NoNewPrivileges)}");
        if (!k.CapAdd.IsEmpty) l.Add($"cap_add = {Arr(k.CapAdd)}");
        var user = k.User switch
        {
            UserMode.Image => Option<string>.Some("image"),
            UserMode.Explicit e => $"{e.Uid}:{e.Gid}",
            _ => Option<string>.None,
        };
        user.Iter(u => l.Add($"user = {Str(u)}"));
        if (k.ProjectDirWritable) l.Add("project_dir_writable = true");
        if (k.AllowWorkdirMismatch) l.Add("allow_workdir_mismatch = true");
        if (k.AllowHostMounts) l.Add("allow_host_mounts = true");
        return l;
    }

    private static List<string> Limits(Limits k)
    {
        var d = Config.Limits.Default;
        var l = new List<string>();
        k.MemoryBytes.Iter(m => l.Add($"memory = {Str(Units.FormatSize(m))}"));
        k.Cpus.Iter(c => l.Add($"cpus = {c.ToString("R", CultureInfo.InvariantCulture)}{(c % 1 == 0 ? ".0" : "")}"));
        if (k.Pids != d.Pids) l.Add($"pids = {k.Pids}");
        if (k.TmpBytes != d.TmpBytes) l.Add($"tmp_size = {Str(Units.FormatSize(k.TmpBytes))}");
        return l;
    }

    private static List<string> Lifecycle(LifecycleConfig k)
    {
        var d = LifecycleConfig.Default;
        var l = new List<string>();
        if (k.Quit != d.Quit) l.Add($"quit_policy = {Str(k.Quit == QuitPolicy.Pause ? "pause" : "checkpoint-and-stop")}");
        if (k.StopGrace != d.StopGrace) l.Add($"stop_grace = {Str(Units.FormatDuration(k.StopGrace))}");
        return l;
    }

    private static void Section(StringBuilder sb, string name, List<string> lines)
    {
        if (lines.Count == 0) return;
        sb.Append('\n').Append('[').Append(name).Append("]\n");
        foreach (var l in lines) sb.Append(l).Append('\n');
    }

    private static string FormatMount(MountSpec m)
    {
        var opts = new List<string>();
        if (m.ReadOnly) opts.Add("ro");
        if (m.Relabel == Relabel.Shared) opts.Add("z");
        if (m.Relabel == Relabel.Private) opts.Add("Z");
        return opts.Count == 0 ? $"{m.Source}:{m.Target}" : $"{m.Source}:{m.Target}:{string.Join(',', opts)}";
    }

    private static string FormatPort(PortMap p)
    {
        var ip = p.HostIp.Contains(':') ? $"[{p.HostIp}]" : p.HostIp;
        return $"{ip}:{p.HostPort}:{p.ContainerPort}/{(p.Protocol == PortProtocol.Udp ? "udp" : "tcp")}";
    }

    private static string Arr(Seq<string> items) => "[" + string.Join(", ", items.Map(Str)) + "]";

    private static string Bool(bool b) => b ? "true" : "false";

    /// <summary>A TOML basic string with every character that needs it escaped.</summary>
    public static string Str(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (ch < ' ' || ch == '\u007f')
                        sb.Append("\\u").Append(((int)ch).ToString("X4", CultureInfo.InvariantCulture));
                    else sb.Append(ch);
                    break;
            }
        }

        return sb.Append('"').ToString();
    }
}
