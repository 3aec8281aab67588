using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Boinc.Persist.Core.Diagnostics;
using LanguageExt;

namespace Boinc.Persist.Core.Config;

/// <summary>A validated job.toml and the line each key was written on (key paths like <c>mount[1]</c>).</summary>
public sealed record JobFile(string FileName, JobConfig Config, Map<string, int> Lines)
{
    /// <summary>Where a key was written, or just the file when the key came from a default.</summary>
    public Location Where(string keyPath) =>
        Lines.Find(keyPath).Match(
            l => Location.AtKey(FileName, l, keyPath),
            () => Location.InFile(FileName).WithKey(keyPath));
}

/// <summary>
/// Reads job.toml. Every BOINC docker_wrapper key keeps its meaning; our own keys live in the
/// <c>[checkpoint]</c>, <c>[confinement]</c>, <c>[limits]</c> and <c>[lifecycle]</c> tables. Type errors name
/// the file, line and key; unknown keys are warnings.
/// </summary>
public static class JobConfigReader
{
    private static readonly string[] TopKeys =
    {
        "workdir", "project_dir_mount", "image_name", "build_args", "create_args", "use_gpu",
        "web_graphics_guest_port", "mount", "portmap", "verbose", "sporadic",
        "checkpoint", "confinement", "limits", "lifecycle", "inputs",
    };

    private static readonly string[] CheckpointKeys = { "files", "done_marker", "quiescence", "keep" };

    private static readonly string[] ConfinementKeys =
    {
        "network", "read_only_rootfs", "no_new_privileges", "cap_add", "user", "project_dir_writable",
        "allow_workdir_mismatch", "allow_host_mounts",
    };

    private static readonly string[] LimitsKeys = { "memory", "cpus", "pids", "tmp_size" };

    private static readonly string[] LifecycleKeys = { "quit_policy", "stop_grace" };

    private static readonly string[] InputsKeys = { "link_files" };

    /// <summary>No job.toml: docker_wrapper's defaults (and ours).</summary>
    public static JobFile Missing(string fileName) => new(fileName, JobConfig.Default, Map<string, int>.Empty);

    public static Checked<JobFile> Parse(string fileName, string text) =>
        TomlTree.Parse(fileName, text).Bind(root => new Reader(fileName).Read(root));

    /// <summary>One read of one file; collects findings and key lines as it goes.</summary>
    private sealed class Reader(string file)
    {
        private readonly List<Diagnostic> findings = new();
        private readonly Dictionary<string, int> lines = new();

        public Checked<JobFile> Read(TomlNode.Table root)
        {
            Unknown(root, "", TopKeys, legacy: new Dictionary<string, string>
            {
                ["slot_dir_mount"] = "older docker_wrapper key; the slot directory is always mounted at `workdir`",
            });

            var workdir = ContainerPath(root, "workdir");
            var projectMount = ContainerPath(root, "project_dir_mount");
            var imageName = Str(root, "image_name").Bind(n => ImageName(n, "image_name"));
            var verbose = Int(root, "verbose").Map(v => (int)Math.Clamp(v, int.MinValue, int.MaxValue));
            verbose.Where(v => v is < 0 or > 2).Iter(v =>
                Error(DiagnosticCodes.ConfigBadValue, "verbose", $"verbose must be 0, 1 or 2, not {v}"));
            var useGpu = Bool(root, "use_gpu").IfNone(false);
            var sporadic = Bool(root, "sporadic").IfNone(false);
            var webPort = Int(root, "web_graphics_guest_port").Bind(p => Port(p, "web_graphics_guest_port"));
            var mounts = StrArray(root, "mount").Map(ms => ms.Select((m, i) => ParseMount(m, $"mount[{i}]"))
                .Somes().ToArray().ToSeq()).IfNone(Seq<MountSpec>.Empty);
            var portmaps = StrArray(root, "portmap").Map(ps => ps.Select((p, i) => ParsePortMap(p, $"portmap[{i}]"))
                .Somes().ToArray().ToSeq()).IfNone(Seq<PortMap>.Empty);

            var checkpoint = Table(root, "checkpoint").Map(ReadCheckpoint).IfNone(CheckpointConfig.Default);
            var confinement = Table(root, "confinement").Map(ReadConfinement).IfNone(ConfinementConfig.Default);
            var limits = Table(root, "limits").Map(ReadLimits).IfNone(Limits.Default);
            var lifecycle = Table(root, "lifecycle").Map(ReadLifecycle).IfNone(LifecycleConfig.Default);
            var inputs = Table(root, "inputs").Map(ReadInputs).IfNone(InputsConfig.Default);

            var build = Str(root, "build_args").Map(s => CreateArgs.ParseBuild(s)).IfNone(
                new CreateArgs.Parsed<BuildOptions>(BuildOptions.None, Seq<string>.Empty));
            build.Errors.Iter(e => Error(DiagnosticCodes.ConfigBadBuildArgs, "build_args", e));

            var create = Str(root, "create_args").Map(s => CreateArgs.ParseCreate(s)).IfNone(
                new CreateArgs.Parsed<CreateArgs.CreateResult>(CreateArgs.CreateResult.Empty, Seq<string>.Empty));
            create.Errors.Iter(e => Error(DiagnosticCodes.ConfigBadCreateArgs, "create_args", e));

            limits = MergeLimits(limits, create.Value);
            if (create.Value.GpusAll) useGpu = true;

            if (confinement.Network == NetworkMode.None)
            {
                if (!portmaps.IsEmpty)
                    Error(DiagnosticCodes.ConfigNeedsNetwork, "portmap",
                        "a port map needs a network, and jobs have none by default; add [confinement] network = \"bridge\" if the project really needs it");
                if (webPort.IsSome)
                    Error(DiagnosticCodes.ConfigNeedsNetwork, "web_graphics_guest_port",
                        "web graphics need a network, and jobs have none by default; add [confinement] network = \"bridge\" to allow it");
            }

            var config = new JobConfig(
                workdir, projectMount, imageName, build.Value, create.Value.Options, useGpu, webPort,
                mounts, portmaps, verbose.IfNone(JobConfig.DefaultVerbose), checkpoint, confinement, limits, lifecycle)
                { Inputs = inputs, Sporadic = sporadic };
            var fileLines = lines.Aggregate(Map<string, int>.Empty, (m, kv) => m.AddOrUpdate(kv.Key, kv.Value));
            return Checked<JobFile>.Of(new JobFile(file, config, fileLines), findings.ToArray().ToSeq());
        }

        private CheckpointConfig ReadCheckpoint(TomlNode.Table t)
        {
            Unknown(t, "checkpoint.", CheckpointKeys);
            var files = StrArray(t, "files", "checkpoint.").Map(fs => fs.Where((f, i) =>
                SlotRelativeName(f, $"checkpoint.files[{i}]", allowGlob: true)).ToArray().ToSeq()).IfNone(Seq<string>.Empty);
            var marker = Str(t, "done_marker", "checkpoint.").Filter(m => SlotRelativeName(m, "checkpoint.done_marker", false));
            var quiescence = Duration(t, "quiescence", "checkpoint.").IfNone(CheckpointConfig.Default.Quiescence);
            var keep = Int(t, "keep", "checkpoint.").IfNone(CheckpointConfig.Default.Keep);
            if (keep < 2)
            {
                Error(DiagnosticCodes.ConfigKeepTooSmall, "checkpoint.keep",
                    "keep must be at least 2: the newest generation is only trusted once the one before it is still there");
                keep = 2;
            }

            if (marker.IsSome && files.IsEmpty)
                Error(DiagnosticCodes.ConfigDoneMarkerWithoutFiles, "checkpoint.done_marker", "a done marker needs checkpoint.files to say what to commit");
            return new CheckpointConfig(files, marker, quiescence, (int)Math.Min(keep, 1000));
        }

        private ConfinementConfig ReadConfinement(TomlNode.Table t)
        {
            const string p = "confinement.";
            Unknown(t, p, ConfinementKeys);
            var d = ConfinementConfig.Default;
            var network = Str(t, "network", p).Bind(s => s switch
            {
                "none" => Option<NetworkMode>.Some(NetworkMode.None),
                "bridge" => NetworkMode.Bridge,
                "host" => NetworkMode.Host,
                _ => Bad<NetworkMode>(DiagnosticCodes.ConfigBadValue, p + "network", $"network must be \"none\", \"bridge\" or \"host\", not \"{s}\""),
            }).IfNone(d.Network);
            var caps = StrArray(t, "cap_add", p).Map(cs => cs.Select((c, i) => Capability(c, $"{p}cap_add[{i}]")).Somes().ToArray().ToSeq())
                .IfNone(Seq<string>.Empty);
            var user = Str(t, "user", p).Bind(s => UserModeOf(s, p + "user")).IfNone(d.User);
            return new ConfinementConfig(
                network,
                Bool(t, "read_only_rootfs", p).IfNone(d.ReadOnlyRootfs),
                Bool(t, "no_new_privileges", p).IfNone(d.NoNewPrivileges),
                caps,
                user,
                Bool(t, "project_dir_writable", p).IfNone(d.ProjectDirWritable),
                Bool(t, "allow_workdir_mismatch", p).IfNone(d.AllowWorkdirMismatch),
                Bool(t, "allow_host_mounts", p).IfNone(d.AllowHostMounts));
        }

        private Limits ReadLimits(TomlNode.Table t)
        {
            const string p = "limits.";
            Unknown(t, p, LimitsKeys);
            var memory = Size(t, "memory", p, allowAuto: true);
            var cpus = Number(t, "cpus", p).Bind(c => c > 0 && c <= 4096
                ? Option<double>.Some(c)
                : Bad<double>(DiagnosticCodes.ConfigBadValue, p + "cpus", $"cpus must be a positive number, not {c.ToString(CultureInfo.InvariantCulture)}"));
            var pids = Int(t, "pids", p).Bind(n => n > 0
                ? Option<long>.Some(n)
                : Bad<long>(DiagnosticCodes.ConfigBadValue, p + "pids", $"pids must be positive, not {n}")).IfNone(Limits.DefaultPids);
            var tmp = Size(t, "tmp_size", p, allowAuto: false).IfNone(Limits.DefaultTmpBytes);
            return new Limits(memory, cpus, pids, tmp);
        }

        private LifecycleConfig ReadLifecycle(TomlNode.Table t)
        {
            const string p = "lifecycle.";
            Unknown(t, p, LifecycleKeys);
            var quit = Str(t, "quit_policy", p).Bind(s => s switch
            {
                "checkpoint-and-stop" => Option<QuitPolicy>.Some(QuitPolicy.CheckpointAndStop),
                "pause" => QuitPolicy.Pause,
                _ => Bad<QuitPolicy>(DiagnosticCodes.ConfigBadValue, p + "quit_policy", $"quit_policy must be \"checkpoint-and-stop\" or \"pause\", not \"{s}\""),
            }).IfNone(LifecycleConfig.Default.Quit);
            var grace = Duration(t, "stop_grace", p).IfNone(LifecycleConfig.Default.StopGrace);
            // The BOINC client kills an app that has not exited 60 s after a quit; the wrapper's whole quit
            // (checkpoint wait plus stop) must fit inside that, less a margin: a larger grace would be a promise
            // the client breaks, so it is refused rather than silently shortened.
            if (grace > Boinc.Persist.Core.Lifecycle.QuitBudget.MaxStopGrace)
                Error(DiagnosticCodes.ConfigStopGraceTooLong, p + "stop_grace",
                    $"stop_grace = {grace.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s is more than the {Boinc.Persist.Core.Lifecycle.QuitBudget.MaxStopGrace.TotalSeconds:0}s a quit may take (the BOINC client kills an app {Boinc.Persist.Core.Lifecycle.QuitBudget.ClientQuitTimeout.TotalSeconds:0}s after asking it to quit, less a margin)");
            return new LifecycleConfig(quit, grace);
        }

        private InputsConfig ReadInputs(TomlNode.Table t)
        {
            const string p = "inputs.";
            Unknown(t, p, InputsKeys);
            var mode = Str(t, "link_files", p).Bind(s => s switch
            {
                "as-written" => Option<LinkFileMode>.Some(LinkFileMode.AsWritten),
                "resolve" => LinkFileMode.Resolve,
                _ => Bad<LinkFileMode>(DiagnosticCodes.ConfigBadValue, p + "link_files", $"link_files must be \"as-written\" or \"resolve\", not \"{s}\""),
            }).IfNone(InputsConfig.Default.LinkFiles);
            return new InputsConfig(mode);
        }

        private Limits MergeLimits(Limits limits, CreateArgs.CreateResult create)
        {
            if (create.Memory.IsSome && limits.MemoryBytes.IsSome)
                Error(DiagnosticCodes.ConfigLimitGivenTwice, "create_args", "--memory is given in both create_args and [limits] memory; keep one");
            if (create.Cpus.IsSome && limits.Cpus.IsSome)
                Error(DiagnosticCodes.ConfigLimitGivenTwice, "create_args", "--cpus is given in both create_args and [limits] cpus; keep one");
            if (create.Pids.IsSome && lines.ContainsKey("limits.pids"))
                Error(DiagnosticCodes.ConfigLimitGivenTwice, "create_args", "--pids-limit is given in both create_args and [limits] pids; keep one");
            return new Limits(
                limits.MemoryBytes || create.Memory,
                limits.Cpus || create.Cpus,
                create.Pids.IfNone(limits.Pids),
                limits.TmpBytes);
        }

        // ---- values ---------------------------------------------------------------------------------

        private Option<string> ContainerPath(TomlNode.Table t, string key) =>
            Str(t, key).Bind(s =>
            {
                var norm = Paths.NormaliseAbsolute(s);
                if (norm.IsNone)
                    return Bad<string>(DiagnosticCodes.ConfigBadContainerPath, key, $"{key} must be an absolute path inside the container without '..', not \"{s}\"");
                return norm.Filter(n => n != "/").Match(
                    Some: Option<string>.Some,
                    None: () => Bad<string>(DiagnosticCodes.ConfigBadContainerPath, key, $"{key} cannot be the container's root directory"));
            });

        private Option<string> ImageName(string name, string key)
        {
            if (!ImageNames.IsValidReference(name))
                return Bad<string>(DiagnosticCodes.ConfigBadImageName, key,
                    $"\"{name}\" is not a valid image name (lower-case [registry/]name[:tag], Docker's rules)");
            if (ImageNames.RepositoryPart(name).StartsWith(Naming.BoincPrefix, StringComparison.Ordinal))
                Warning(DiagnosticCodes.ConfigImageNameBoincPrefix, key,
                    $"image names starting with {Naming.BoincPrefix} are deleted by newer BOINC clients when no task uses them; a shared image should use another name");
            return name;
        }

        private Option<int> Port(long p, string key) =>
            p is >= 1 and <= 65535
                ? Option<int>.Some((int)p)
                : Bad<int>(DiagnosticCodes.ConfigBadValue, key, $"{key} must be a port number from 1 to 65535, not {p}");

        private Option<MountSpec> ParseMount(string text, string key)
        {
            var parts = text.Split(':');
            if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || parts[1].Length == 0)
                return Bad<MountSpec>(DiagnosticCodes.ConfigBadMount, key,
                    $"mount \"{text}\" must be source:target[:options], e.g. \"data:/data:ro\"");
            var source = parts[0];
            if (source.Contains('\0'))
                return Bad<MountSpec>(DiagnosticCodes.ConfigBadMount, key, "mount source contains a NUL character");
            if (!source.StartsWith('/') && Paths.NormaliseRelative(source).IsNone)
                return Bad<MountSpec>(DiagnosticCodes.ConfigMountSourceEscapes, key,
                    $"mount source \"{source}\" leaves the slot directory; relative sources are paths inside the slot");
            if (source.StartsWith('/') && Paths.NormaliseAbsolute(source).IsNone)
                return Bad<MountSpec>(DiagnosticCodes.ConfigMountSourceEscapes, key,
                    $"mount source \"{source}\" must be an absolute path without '..' (a '..' makes a prefix check meaningless)");
            var target = Paths.NormaliseAbsolute(parts[1]);
            if (target.IsNone)
                return Bad<MountSpec>(DiagnosticCodes.ConfigBadMount, key, $"mount target \"{parts[1]}\" must be an absolute path without '..'");
            var readOnly = false;
            var relabel = Relabel.None;
            if (parts.Length == 3)
            {
                foreach (var opt in parts[2].Split(','))
                {
                    switch (opt)
                    {
                        case "ro": readOnly = true; break;
                        case "rw": readOnly = false; break;
                        case "z": relabel = Relabel.Shared; break;
                        case "Z": relabel = Relabel.Private; break;
                        default:
                            return Bad<MountSpec>(DiagnosticCodes.ConfigBadMount, key,
                                $"mount option \"{opt}\" is not supported (use ro, rw, z or Z)");
                    }
                }
            }

            var src = source.StartsWith('/') ? Paths.NormaliseAbsolute(source).IfNone(source) : Paths.NormaliseRelative(source).IfNone(source);
            return new MountSpec(src, target.IfNone("/"), readOnly, relabel);
        }

        private Option<PortMap> ParsePortMap(string text, string key)
        {
            var body = text;
            var proto = PortProtocol.Tcp;
            var slash = body.LastIndexOf('/');
            if (slash >= 0)
            {
                var p = body[(slash + 1)..];
                if (p == "tcp") proto = PortProtocol.Tcp;
                else if (p == "udp") proto = PortProtocol.Udp;
                else return Bad<PortMap>(DiagnosticCodes.ConfigBadPortMap, key, $"portmap protocol \"{p}\" must be tcp or udp");
                body = body[..slash];
            }

            var ip = "127.0.0.1";
            string rest = body;
            if (body.StartsWith('['))
            {
                var close = body.IndexOf(']');
                if (close < 0 || close + 1 >= body.Length || body[close + 1] != ':')
                    return Bad<PortMap>(DiagnosticCodes.ConfigBadPortMap, key, $"portmap \"{text}\" has a malformed [IPv6] address");
                ip = body[1..close];
                rest = body[(close + 2)..];
            }

            var parts = rest.Split(':');
            if (parts.Length == 3 && !body.StartsWith('['))
            {
                ip = parts[0];
                parts = parts[1..];
            }

            if (parts.Length != 2)
                return Bad<PortMap>(DiagnosticCodes.ConfigBadPortMap, key, $"portmap \"{text}\" must be [ip:]hostPort:containerPort[/tcp|udp]");
            if (!System.Net.IPAddress.TryParse(ip, out _))
                return Bad<PortMap>(DiagnosticCodes.ConfigBadPortMap, key, $"portmap address \"{ip}\" is not an IP address");
            if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var host) || host is < 1 or > 65535 ||
                !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var guest) || guest is < 1 or > 65535)
                return Bad<PortMap>(DiagnosticCodes.ConfigBadPortMap, key, $"portmap \"{text}\" needs two port numbers from 1 to 65535");
            return new PortMap(ip, host, guest, proto);
        }

        private bool SlotRelativeName(string name, string key, bool allowGlob)
        {
            var norm = Paths.NormaliseRelative(name);
            if (norm.IsNone || name.Length == 0)
            {
                Error(DiagnosticCodes.ConfigBadCheckpointName, key, $"\"{name}\" must be a path relative to WORKDIR that stays inside it");
                return false;
            }

            if (!allowGlob && name.IndexOfAny(new[] { '*', '?', '[' }) >= 0)
            {
                Error(DiagnosticCodes.ConfigBadCheckpointName, key, $"\"{name}\" must be a plain file name, not a pattern");
                return false;
            }

            if (Slots.LinkFiles.IsBoincFile(norm.IfNone(name)))
            {
                Error(DiagnosticCodes.ConfigCheckpointIsBoincFile, key, $"\"{name}\" is one of BOINC's own slot files and cannot be part of a checkpoint");
                return false;
            }

            return true;
        }

        private Option<string> Capability(string cap, string key)
        {
            var c = cap.ToUpperInvariant();
            if (c.StartsWith("CAP_", StringComparison.Ordinal)) c = c[4..];
            if (c == "ALL" || c == "SYS_ADMIN")
                return Bad<string>(DiagnosticCodes.ConfigBadCapability, key, $"capability {cap} is refused: it gives the job control of the volunteer's host");
            if (c.Length == 0 || !c.All(ch => ch is >= 'A' and <= 'Z' or '_'))
                return Bad<string>(DiagnosticCodes.ConfigBadCapability, key, $"\"{cap}\" is not a Linux capability name");
            return c;
        }

        private Option<UserMode> UserModeOf(string s, string key)
        {
            if (s == "slot-owner") return new UserMode.SlotOwner();
            if (s == "image") return new UserMode.Image();
            var parts = s.Split(':');
            if (parts.Length == 2 &&
                long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) &&
                long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var gid) &&
                uid <= uint.MaxValue && gid <= uint.MaxValue)
                return new UserMode.Explicit(uid, gid);
            return Bad<UserMode>(DiagnosticCodes.ConfigBadValue, key, $"user must be \"slot-owner\", \"image\" or numeric \"uid:gid\", not \"{s}\"");
        }

        // ---- typed access with line tracking --------------------------------------------------------

        private Option<TomlNode> Get(TomlNode.Table t, string key, string prefix)
        {
            var found = t.Find(key);
            found.Iter(n => lines[prefix + key] = n.Line);
            return found;
        }

        private Option<string> Str(TomlNode.Table t, string key, string prefix = "") =>
            Get(t, key, prefix).Bind(n => n is TomlNode.Str s ? Option<string>.Some(s.Value) : TypeError<string>(n, prefix + key, "a string"));

        private Option<long> Int(TomlNode.Table t, string key, string prefix = "") =>
            Get(t, key, prefix).Bind(n => n is TomlNode.Int i ? Option<long>.Some(i.Value) : TypeError<long>(n, prefix + key, "an integer"));

        private Option<double> Number(TomlNode.Table t, string key, string prefix = "") =>
            Get(t, key, prefix).Bind(n => n switch
            {
                TomlNode.Int i => Option<double>.Some(i.Value),
                TomlNode.Float f when double.IsFinite(f.Value) => f.Value,
                _ => TypeError<double>(n, prefix + key, "a number"),
            });

        private Option<bool> Bool(TomlNode.Table t, string key, string prefix = "") =>
            Get(t, key, prefix).Bind(n => n is TomlNode.Bool b ? Option<bool>.Some(b.Value) : TypeError<bool>(n, prefix + key, "true or false"));

        private Option<TomlNode.Table> Table(TomlNode.Table t, string key) =>
            Get(t, key, "").Bind(n => n is TomlNode.Table tt ? Option<TomlNode.Table>.Some(tt) : TypeError<TomlNode.Table>(n, key, "a table"));

        private Option<Seq<string>> StrArray(TomlNode.Table t, string key, string prefix = "") =>
            Get(t, key, prefix).Bind(n =>
            {
                if (n is not TomlNode.Arr a) return TypeError<Seq<string>>(n, prefix + key, "an array of strings");
                var ok = true;
                var items = new List<string>();
                var i = 0;
                foreach (var item in a.Items)
                {
                    lines[$"{prefix}{key}[{i}]"] = item.Line;
                    if (item is TomlNode.Str s) items.Add(s.Value);
                    else
                    {
                        TypeError<string>(item, $"{prefix}{key}[{i}]", "a string");
                        ok = false;
                    }

                    i++;
                }

                return ok ? Option<Seq<string>>.Some(items.ToSeq()) : Option<Seq<string>>.None;
            });

        private Option<long> Size(TomlNode.Table t, string key, string prefix, bool allowAuto) =>
            Get(t, key, prefix).Bind(n => n switch
            {
                TomlNode.Int i when i.Value > 0 => Option<long>.Some(i.Value),
                TomlNode.Str s when allowAuto && s.Value == "auto" => Option<long>.None,
                TomlNode.Str s => Units.ParseSize(s.Value).Filter(v => v > 0).Match(
                    Some: Option<long>.Some,
                    None: () => Bad<long>(DiagnosticCodes.ConfigBadValue, prefix + key, $"{key} \"{s.Value}\" is not a size (e.g. \"512m\", \"2g\" or bytes)")),
                _ => TypeError<long>(n, prefix + key, "a positive size (bytes or a string like \"2g\")"),
            });

        private Option<TimeSpan> Duration(TomlNode.Table t, string key, string prefix) =>
            Get(t, key, prefix).Bind(n => n switch
            {
                TomlNode.Int i when i.Value >= 0 && i.Value < 10_000_000 => Option<TimeSpan>.Some(TimeSpan.FromSeconds(i.Value)),
                TomlNode.Str s => Units.ParseDuration(s.Value).Match(
                    Some: Option<TimeSpan>.Some,
                    None: () => Bad<TimeSpan>(DiagnosticCodes.ConfigBadValue, prefix + key, $"{key} \"{s.Value}\" is not a duration (e.g. \"500ms\", \"30s\", \"2m\")")),
                _ => TypeError<TimeSpan>(n, prefix + key, "a duration (seconds, or a string like \"30s\")"),
            });

        private void Unknown(TomlNode.Table t, string prefix, string[] known, Dictionary<string, string>? legacy = null)
        {
            foreach (var (key, value) in t.Entries)
            {
                if (known.Contains(key)) continue;
                var where = Location.AtKey(file, value.Line, prefix + key);
                if (legacy is not null && legacy.TryGetValue(key, out var why))
                {
                    findings.Add(Diagnostic.Warning(DiagnosticCodes.ConfigKeyIgnored, where, $"key {prefix + key} is ignored: {why}"));
                    continue;
                }

                var hint = Naming.Closest(key, known).Match(k => $"; did you mean {prefix + k}?", () => "");
                findings.Add(Diagnostic.Warning(DiagnosticCodes.ConfigKeyIgnored, where, $"unknown key {prefix + key} is ignored{hint}"));
            }
        }

        private Option<T> TypeError<T>(TomlNode n, string key, string expected)
        {
            findings.Add(Diagnostic.Error(DiagnosticCodes.ConfigWrongType, Location.AtKey(file, n.Line, key),
                $"{key} must be {expected}, but it is {n.TypeName}"));
            return Option<T>.None;
        }

        private Option<T> Bad<T>(DiagnosticCode code, string key, string message)
        {
            Error(code, key, message);
            return Option<T>.None;
        }

        private void Error(DiagnosticCode code, string key, string message) =>
            findings.Add(Diagnostic.Error(code, WhereIs(key), message));

        private void Warning(DiagnosticCode code, string key, string message) =>
            findings.Add(Diagnostic.Warning(code, WhereIs(key), message));

        private Location WhereIs(string key) =>
            lines.TryGetValue(key, out var l) ? Location.AtKey(file, l, key) : Location.InFile(file).WithKey(key);
    }
}
