using System;
using System.Collections.Generic;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Dockerfiles;
using LanguageExt;

namespace Boinc.Persist.Core.Compat;

/// <summary>An existing docker_wrapper app: its job.toml (absent for a BUDA-style app) and its Dockerfile.</summary>
public sealed record CompatInput(string ConfigName, Option<string> JobToml, string DockerfileName, Option<string> Dockerfile);

/// <summary>
/// <c>check --compat</c>: every behaviour of an existing docker_wrapper app (BOINC's docker_wrapper, release 22
/// and after: samples/docker_wrapper/docker_wrapper.cpp) that will differ under boinc-persist's defaults, each
/// with the job.toml setting that restores docker_wrapper's behaviour, the nearest one, or why none can. Also
/// writes the whole job.toml with every restoring setting applied, checked by <see cref="JobConfigReader"/>.
/// Pure.
/// </summary>
public static class Compat
{
    /// <summary>Docker's default capability set (what a container without --cap-drop gets).</summary>
    public static readonly Seq<string> DockerDefaultCapabilities = new[]
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }.ToSeq();

    /// <summary>Options of <c>docker create</c>/<c>docker build</c> that take a value, so a value is not read as an option.</summary>
    private static readonly System.Collections.Generic.HashSet<string> Valued = new()
    {
        "-e", "--env", "-l", "--label", "--ulimit", "--tmpfs", "--shm-size", "-h", "--hostname", "--entrypoint",
        "--stop-timeout", "--stop-signal", "--cpus", "-m", "--memory", "--pids-limit", "--gpus", "--network", "--net",
        "-v", "--volume", "--mount", "-p", "--publish", "-u", "--user", "-w", "--workdir", "--cap-add", "--cap-drop",
        "--security-opt", "--device", "--pid", "--ipc", "--uts", "--userns", "--name", "--env-file", "--restart",
        "--memory-swap", "--cgroup-parent", "--runtime", "--log-driver", "--log-opt", "--volumes-from", "--add-host",
        "--dns", "--platform", "--cpuset-cpus", "--group-add", "--label-file", "--cidfile", "--sysctl",
        "--build-arg", "--target", "-f", "--file", "-t", "--tag", "--secret", "--ssh", "--cache-from", "--output",
        "-o", "--iidfile", "--progress",
    };

    private static readonly Option<string> Top = Option<string>.None;
    private static readonly Option<string> Confinement = "confinement";
    private static readonly Option<string> Lifecycle = "lifecycle";
    private static readonly Option<string> Inputs = "inputs";

    public static CompatReport Analyze(CompatInput input)
    {
        var findings = new List<Diagnostic>();
        var items = new List<CompatItem>();
        void Add(string topic, CompatKind kind, Option<Location> where, string dw, string bp, Restore restore) =>
            items.Add(new CompatItem(topic, kind, where, dw, bp, restore));

        // ---- job.toml: what the reader says, and the config with the options we refuse taken out.
        var tree = input.JobToml.Map(t => TomlTree.Parse(input.ConfigName, t));
        tree.Iter(t => findings.AddRange(t.Findings));
        var root = tree.Bind(t => t.Value).IfNone(new TomlNode.Table(0, Seq<(string, TomlNode)>.Empty));
        input.JobToml.Filter(_ => tree.Exists(t => t.IsOk))
            .Iter(text => findings.AddRange(JobConfigReader.Parse(input.ConfigName, text).Findings));

        var (sanitized, optionItems) = Options(root, input.ConfigName);
        items.AddRange(optionItems);
        var config = JobConfigReader.Parse(input.ConfigName, TomlText.Document(Permissive(sanitized))).Value.Map(f => f.Config)
            .IfNone(JobConfig.Default);

        // ---- Dockerfile: COPY/ADD from the context, and the facts (analysed without those instructions).
        var dockerfile = input.Dockerfile.Map(text => (Text: text, Result: Dockerfiles.Dockerfile.Analyze(input.DockerfileName, text)));
        dockerfile.Iter(d => findings.AddRange(d.Result.Findings));
        var contextCodes = new[] { DiagnosticCodes.DockerfileCopyFromContext, DiagnosticCodes.DockerfileAddFromContext, DiagnosticCodes.DockerfileRunBindsContext };
        var contextUses = dockerfile.Map(d => d.Result.Findings.Filter(f => contextCodes.Contains(f.Code))).IfNone(Seq<Diagnostic>.Empty);
        foreach (var c in contextUses)
            Add("build context", CompatKind.Blocks, c.Where,
                "builds the image with the slot directory as its context, so COPY/ADD (and RUN --mount=type=bind) read the slot's files",
                "builds with an empty context and refuses the instruction: " + c.Message,
                new Restore.Cannot("the image is built once per app version and shared by all its jobs, so it must not depend on one slot's files; "
                    + "ship those files as app-version files (they appear in WORKDIR, or under project_dir_mount) and use them at run time"));
        var info = dockerfile.Bind(d => d.Result.Value.IsSome ? d.Result.Value : Dockerfiles.Dockerfile.Analyze(input.DockerfileName, Strip(d.Text, contextUses)).Value);

        var t = new Topics(input, root, config, info, items);
        LinkFiles(t);
        Network(t);
        ProjectDirectory(t);
        FileSystems(t);
        Privileges(t);
        Limits(t);
        QuitCheckpointsCrashes(t);
        Workdir(t);
        Image(t);
        MountsAndPorts(t);

        var report = new CompatReport(input.ConfigName, input.JobToml.IsSome, input.DockerfileName, config.Inputs.LinkFiles,
            items.ToSeq(), Option<string>.None, findings.ToSeq());
        return report with { Suggested = Suggest(sanitized, report.Items, input.ConfigName, report.HasJobFile) };
    }

    /// <summary>What every topic of <see cref="Analyze"/> reads, and the list it adds its items to.</summary>
    private sealed class Topics(CompatInput input, TomlNode.Table root, JobConfig config, Option<DockerfileInfo> info, List<CompatItem> items)
    {
        public CompatInput Input => input;

        public TomlNode.Table Root => root;

        public JobConfig Config => config;

        public Option<DockerfileInfo> Info => info;

        public void Add(string topic, CompatKind kind, Option<Location> where, string dw, string bp, Restore restore) =>
            items.Add(new CompatItem(topic, kind, where, dw, bp, restore));

        /// <summary>Where job.toml sets <paramref name="key"/> (table.key), if it does.</summary>
        public Option<Location> At(string key) =>
            root.Find(key.Split('.')[0]).Map(n => key.Contains('.')
                ? (n is TomlNode.Table t ? t.Find(key.Split('.')[1]).Map(v => v.Line).IfNone(n.Line) : n.Line)
                : n.Line).Map(line => Location.AtKey(input.ConfigName, line, key));
    }

    /// <summary>Link files.</summary>
    private static void LinkFiles(Topics t)
    {
        if (t.Config.Inputs.LinkFiles == LinkFileMode.Resolve)
            t.Add("link files", CompatKind.Differs, t.At("inputs.link_files"),
                "leaves the client's link files in WORKDIR as written; the app parses them (or calls boinc_resolve_filename)",
                "binds each link file's project file over its logical name ([inputs] link_files = \"resolve\"): an app that parses link files reads data instead",
                Settings((Inputs, "link_files", "\"as-written\"")));
    }

    /// <summary>Network.</summary>
    private static void Network(Topics t)
    {
        var needsNetwork = t.Root.Find("portmap").Exists(p => p is TomlNode.Arr { Items.IsEmpty: false }) || t.Root.Find("web_graphics_guest_port").IsSome;
        var dwNetwork = CreateOption(t.Root, "--network", "--net").IfNone("bridge");
        // A job.toml that sets [confinement] network itself has chosen (a suggestion made from create_args
        // --net none says network = "none"): nothing differs behind its back.
        var networkChosen = t.Root.Find("confinement").Exists(t => t is TomlNode.Table c && c.Find("network").IsSome);
        if (t.Config.Confinement.Network == NetworkMode.None && !networkChosen && (dwNetwork != "none" || needsNetwork))
            t.Add("network", needsNetwork ? CompatKind.Blocks : CompatKind.Differs, t.At("confinement.network"),
                dwNetwork == "bridge" ? "the engine's default bridge network: the job reaches the internet and the host's network"
                    : $"the network create_args names ({dwNetwork})",
                needsNetwork
                    ? "no network at all, and job.toml is refused: portmap and web_graphics_guest_port need one"
                    : "no network at all (only a loopback interface)",
                Settings((Confinement, "network", TomlText.Quote(dwNetwork is "host" ? "host" : "bridge"))));
    }

    /// <summary>The project directory.</summary>
    private static void ProjectDirectory(Topics t)
    {
        t.Config.ProjectDirMount.Filter(_ => !t.Config.Confinement.ProjectDirWritable).Iter(m =>
            t.Add("project directory", CompatKind.Differs, t.At("project_dir_mount"),
                $"mounts the project directory read-write at {m}",
                $"mounts it read-only at {m} (and at the link files' own relative path ../../projects/<dir>); only this task's output files "
                + "named by link files are writable there, each at its resolved path; a temporary file written next to them fails",
                Settings((Confinement, "project_dir_writable", "true"))));
    }

    /// <summary>Root file system and /tmp.</summary>
    private static void FileSystems(Topics t)
    {
        if (t.Config.Confinement.ReadOnlyRootfs)
            t.Add("root file system", CompatKind.Differs, t.At("confinement.read_only_rootfs"),
                "writable; writes outside WORKDIR last as long as the container (until the job ends)",
                "read-only: a write outside WORKDIR (and /tmp) fails at once instead of being lost with the container",
                Settings((Confinement, "read_only_rootfs", "false")));
        t.Add("/tmp", CompatKind.MayDiffer, Option<Location>.None,
            "part of the container's file system, on disk",
            $"a tmpfs of {Units.FormatSize(t.Config.Limits.TmpBytes)} that counts against the memory limit and is empty after every restart of the container",
            new Restore.Closest("[limits] tmp_size = \"<size the app needs>\"",
                "a tmpfs is what keeps /tmp writable on a read-only root; its size is the only thing to choose"));
    }

    /// <summary>Who runs the job, with which privileges.</summary>
    private static void Privileges(Topics t)
    {
        var imageUser = t.Info.Bind(i => i.User).Map(u => u.Value);
        if (t.Config.Confinement.User is UserMode.SlotOwner)
            t.Add("user", CompatKind.Differs, t.At("confinement.user"),
                imageUser.Match(u => $"runs as the Dockerfile's USER {u}", () => "runs as the image's user: root, since the Dockerfile has no USER"),
                "runs as the owner of the slot directory (the BOINC client's uid:gid), so the files it writes belong to the client's user",
                Settings((Confinement, "user", "\"image\"")));
        var missingCaps = DockerDefaultCapabilities.Filter(c => !t.Config.Confinement.CapAdd.Contains(c));
        if (t.Config.Confinement.NoNewPrivileges || !missingCaps.IsEmpty)
            t.Add("privileges", CompatKind.Differs, t.At("confinement.cap_add"),
                "Docker's default capabilities (chown, setuid, raw sockets, …); setuid programs such as sudo work",
                "every capability dropped and no-new-privileges set",
                Settings(
                    (t.Config.Confinement.NoNewPrivileges ? new[] { (Confinement, "no_new_privileges", "false") } : Array.Empty<(Option<string>, string, string)>())
                        .Concat(missingCaps.Map(c => (Confinement, "cap_add", TomlText.Quote(c)))).ToArray(), appendKey: "cap_add"));
    }

    /// <summary>Limits.</summary>
    private static void Limits(Topics t)
    {
        t.Add("memory", t.Config.Limits.MemoryBytes.IsSome ? CompatKind.MayDiffer : CompatKind.Differs, t.At("limits.memory"),
            "no memory limit (the client watches the wrapper process, not the container)",
            t.Config.Limits.MemoryBytes.Match(
                m => $"limited to {Units.FormatSize(m)} ([limits] memory), swap included; above it the job is killed and reported as a compute error",
                () => "limited to the task's rsc_memory_bound, swap included; above it the job is killed and reported as a compute error"),
            new Restore.Closest("[limits] memory = \"<the most the app needs>\"",
                "an unlimited container can take the volunteer's machine down; a limit above rsc_memory_bound is allowed (plan warns)"));
        t.Add("processes", CompatKind.MayDiffer, t.At("limits.pids"),
            "no limit on the number of processes",
            $"at most {t.Config.Limits.Pids} processes and threads",
            new Restore.Closest("[limits] pids = <the most the app needs>", "an unlimited process count lets a fork bomb take the volunteer's machine down"));
        if (t.Config.Limits.Cpus.IsNone)
            t.Add("cpus", CompatKind.MayDiffer, t.At("limits.cpus"),
                "--cpus ncpus only when the task has more than one CPU; a one-CPU task may use every CPU",
                "--cpus ncpus always: a one-CPU task gets one CPU",
                new Restore.Cannot("the client schedules the task for ncpus CPUs; more would be taken from the volunteer's other tasks"));
        if (t.Config.UseGpu)
            t.Add("gpus", CompatKind.Differs, t.At("use_gpu"),
                "--gpus all: every GPU of the host",
                "only the GPU the client assigned to the task (gpu_type, gpu_device_num in init_data.xml)",
                new Restore.Cannot("the other GPUs belong to the volunteer's other tasks"));
    }

    /// <summary>Quit, checkpoints, crashes.</summary>
    private static void QuitCheckpointsCrashes(Topics t)
    {
        if (t.Config.Lifecycle.Quit == QuitPolicy.CheckpointAndStop)
            t.Add("quit", CompatKind.Differs, t.At("lifecycle.quit_policy"),
                "pauses the container and exits: the job stays in memory until the client resumes it",
                "creates checkpoint_requested in WORKDIR, waits up to stop_grace for a committed checkpoint, then stops the container (SIGTERM, then SIGKILL): memory is freed"
                + (t.Config.Checkpoint.Enabled ? "" : "; this job declares no [checkpoint] files, so every quit restarts it from the beginning"),
                Settings((Lifecycle, "quit_policy", "\"pause\"")));
        t.Add("checkpoint reports", CompatKind.Differs, t.At("checkpoint.files"),
            "tells the client the job checkpointed with every status report, whether it did or not",
            t.Config.Checkpoint.Enabled
                ? "tells the client only when a generation of the declared [checkpoint] files is committed"
                : "never tells the client the job checkpointed: it declares no [checkpoint] files",
            new Restore.Cannot("a checkpoint reported that does not exist is work lost after a crash, and CPU time the project credits twice; declare [checkpoint] files"));
        t.Add("crash and restart", CompatKind.Differs, Option<Location>.None,
            "a container found running at start is killed and started again, an exited one is run again from the start",
            "reattaches to a running container, restores the last committed checkpoint into WORKDIR before a restart, never runs a finished job again",
            new Restore.Cannot("re-running a finished or running job is the defect this wrapper exists to fix"));
    }

    /// <summary>WORKDIR.</summary>
    private static void Workdir(Topics t)
    {
        var dfWorkdir = t.Info.Bind(i => i.WorkdirPath);
        var workdir = t.Config.Workdir;
        if (workdir.IsSome && dfWorkdir.IsSome && workdir != dfWorkdir && !t.Config.Confinement.AllowWorkdirMismatch)
            t.Add("workdir", CompatKind.Blocks, t.At("workdir"),
                $"mounts the slot at {workdir.IfNone("")} and starts the job in the Dockerfile's WORKDIR {dfWorkdir.IfNone("")}",
                "refuses a workdir that differs from the Dockerfile's WORKDIR, which usually means the job would not find its files",
                Settings((Confinement, "allow_workdir_mismatch", "true")));
        else if (workdir.IsNone && dfWorkdir.Exists(d => d != JobConfig.DefaultWorkdir))
            t.Add("workdir", CompatKind.Differs, t.At("workdir"),
                $"mounts the slot at /app (job.toml names no workdir) and starts the job in the Dockerfile's WORKDIR {dfWorkdir.IfNone("")}",
                $"mounts the slot at the Dockerfile's WORKDIR {dfWorkdir.IfNone("")} and starts the job there",
                Settings((Top, "workdir", "\"/app\""), (Confinement, "allow_workdir_mismatch", "true")));
        else if (workdir.IsNone && dfWorkdir.IsNone)
            t.Add("workdir", CompatKind.MayDiffer, Option<Location>.None,
                "mounts the slot at /app and starts the job where the base image says (usually /)",
                "mounts the slot at /app and starts the job in /app",
                new Restore.Cannot("the job starts where its files are; an app that relied on starting in / can cd there"));
    }

    /// <summary>The image.</summary>
    private static void Image(Topics t)
    {
        if (t.Config.ImageName.IsNone)
            t.Add("image", CompatKind.Differs, t.At("image_name"),
                "builds an image boinc__<project>__<workunit> for every workunit and removes it when the job ends",
                "builds boinc-persist/job:<hash of the Dockerfile and build_args> once, shares it with every job of the app version, and removes unused ones (gc)",
                new Restore.Cannot("the client removes every boinc__ image of no active task, so a shared image cannot use that prefix; image_name = \"<name>\" gives the image a fixed name"));
    }

    /// <summary>mount and portmap entries.</summary>
    private static void MountsAndPorts(Topics t)
    {
        var mounts = StringArray(t.Root, "mount");
        foreach (var (m, line) in mounts)
        {
            var source = m.Split(':')[0];
            var where = Option<Location>.Some(Location.AtKey(t.Input.ConfigName, line, "mount"));
            if (source.StartsWith('/') && !t.Config.Confinement.AllowHostMounts)
                t.Add("mount", CompatKind.Blocks, where,
                    $"mounts the host's {source} (-v {m})",
                    "refuses host paths outside the slot and project directories",
                    Settings((Confinement, "allow_host_mounts", "true")));
            else if (source.Length > 0 && !source.Contains('/') && !source.StartsWith('.'))
                t.Add("mount", CompatKind.Differs, where,
                    $"-v {m}: '{source}' is a named Docker volume, shared by every container of the host and kept after the job",
                    $"'{source}' is a directory of the slot (a source without '/' is a path in the slot)",
                    new Restore.Cannot("a named volume outlives the task and is shared with every other job on the host; use a host path with [confinement] allow_host_mounts = true if the project really needs one"));
        }

        var noIp = StringArray(t.Root, "portmap").Filter(p => p.Value.Split('/')[0].Split(':').Length == 2);
        if (!noIp.IsEmpty)
            t.Add("portmap", CompatKind.Differs, t.At("portmap"),
                $"publishes {string.Join(", ", noIp.Map(p => p.Value))} on every interface of the host (0.0.0.0)",
                "publishes a port map without an address on 127.0.0.1 only",
                new Restore.Settings(new[]
                {
                    new TomlSetting(Top, "portmap", "[" + string.Join(", ", StringArray(t.Root, "portmap").Map(p =>
                        TomlText.Quote(p.Value.Split('/')[0].Split(':').Length == 2 ? "0.0.0.0:" + p.Value : p.Value))) + "]"),
                }.ToSeq()));
    }

    /// <summary>
    /// The job.toml with every restoring setting applied (the options we refuse taken out), or None when no
    /// setting restores anything. It must read without errors; if it does not, nothing is suggested.
    /// </summary>
    private static Option<string> Suggest(TomlNode.Table sanitized, Seq<CompatItem> items, string configName, bool hadFile)
    {
        var settings = items.Bind(i => i.Restore is Restore.Settings s ? s.Lines : Seq<TomlSetting>.Empty);
        if (settings.IsEmpty && !hadFile) return Option<string>.None;
        var tree = sanitized;
        var set = new System.Collections.Generic.HashSet<string>();
        // Keys set first (the first setting of a key wins: an option the app gave, create_args --network host,
        // before a default), then elements appended to arrays, so a replaced array keeps the appended ones.
        foreach (var s in settings.Filter(x => !x.Append).Then(settings.Filter(x => x.Append)))
        {
            if (!s.Append && !set.Add(s.Path)) continue;
            var value = TomlText.ParseValue(s.Value);
            if (value.IsNone) return Option<string>.None;
            tree = TomlText.Apply(tree, s, value.IfNone(() => throw new InvalidOperationException()));
        }

        var text = TomlText.Document(tree);
        return JobConfigReader.Parse(configName, text).Errors.IsEmpty ? Option<string>.Some(text) : Option<string>.None;
    }

    /// <summary>
    /// create_args and build_args option by option: those we refuse become items (with their job.toml
    /// equivalent when there is one) and are taken out of the tree.
    /// </summary>
    private static (TomlNode.Table Tree, Seq<CompatItem> Items) Options(TomlNode.Table root, string configName)
    {
        var needsNetwork = root.Find("portmap").Exists(p => p is TomlNode.Arr { Items.IsEmpty: false }) || root.Find("web_graphics_guest_port").IsSome;
        // The network create_args gives (its last --network, as docker reads it): published ports depend on it.
        var createNetwork = CreateOption(root, "--network", "--net");
        var items = new List<CompatItem>();
        var tree = root;
        foreach (var (key, build) in new[] { ("create_args", false), ("build_args", true) })
        {
            if (root.Find(key).Case is not TomlNode.Str s)
                continue;
            var where = Option<Location>.Some(Location.AtKey(configName, s.Line, key));
            var grouped = ArgLine.Split(s.Value).Bind(words => ArgOptions.Group(words, Valued.Contains));
            if (grouped.IsLeft)
            {
                items.Add(new CompatItem(key, CompatKind.Blocks, where, $"passes {key} to docker as it is",
                    $"refuses it: {grouped.LeftToSeq().Head()}", new Restore.Cannot("fix the quoting; see check's findings")));
                tree = TomlText.Remove(tree, key);
                continue;
            }

            var kept = new List<string>();
            foreach (var o in grouped.RightToSeq().Head())
            {
                var words = o.Value.Match(v => new[] { o.Name, v }, () => new[] { o.Name });
                var text = string.Join(' ', words.Select(ArgLine.Quote));
                var errors = build ? CreateArgs.ParseBuild(text).Errors : CreateArgs.ParseCreate(text).Errors;
                if (errors.IsEmpty)
                {
                    kept.Add(text);
                    continue;
                }

                items.Add(new CompatItem(key, CompatKind.Blocks, where, $"passes {text} to docker {(build ? "build" : "create")}",
                    "refuses it: " + string.Join("; ", errors), build ? BuildRestore(o) : CreateRestore(o, needsNetwork, createNetwork)));
            }

            tree = kept.Count == 0 ? TomlText.Remove(tree, key) : TomlText.Put(tree, key, new TomlNode.Str(s.Line, string.Join(' ', kept)));
        }

        return (tree, items.ToSeq());
    }

    private static Restore CreateRestore(ArgOption o, bool needsNetwork, Option<string> createNetwork)
    {
        var v = o.Value.IfNone("");
        return o.Name switch
        {
            // "none" is said explicitly, so the suggestion keeps the app's choice (unless portmap or web graphics
            // need a network: then the network item's own restore applies).
            "--network" or "--net" when v is "none" && needsNetwork => new Restore.Cannot("not needed: a job has no network by default, but portmap or web_graphics_guest_port need one"),
            "--network" or "--net" when v is "none" or "bridge" or "host" => Settings((Confinement, "network", TomlText.Quote(v))),
            "--network" or "--net" => new Restore.Cannot($"only the networks none, bridge and host can be chosen ([confinement] network), not '{v}'"),
            "-v" or "--volume" when v.Split(':')[0] is var src && src.Length > 0 && !src.Contains('/') && !src.StartsWith('.') =>
                new Restore.Cannot("a named volume outlives the task and is shared with every other job on the host"),
            "-v" or "--volume" => v.StartsWith('/')
                ? Settings(new[] { (Top, "mount", TomlText.Quote(v)), (Confinement, "allow_host_mounts", "true") }, appendKey: "mount")
                : Settings(new[] { (Top, "mount", TomlText.Quote(v)) }, appendKey: "mount"),
            // Ports published beside --network none or host did nothing under docker_wrapper (docker refuses the
            // first, discards them with the second): restoring them would contradict the network item's restore.
            "-p" or "--publish" when createNetwork == Option<string>.Some("none") =>
                new Restore.Cannot("docker refuses to publish ports of a container with --network none: docker_wrapper could not create this container"),
            "-p" or "--publish" when createNetwork == Option<string>.Some("host") =>
                new Restore.Cannot("not needed: with --network host docker discards published ports; the network item restores the host's network"),
            "-p" or "--publish" => Settings(new[]
            {
                (Top, "portmap", TomlText.Quote(v.Split('/')[0].Split(':').Length == 2 ? "0.0.0.0:" + v : v)),
                (Confinement, "network", "\"bridge\""),
            }, appendKey: "portmap"),
            "-u" or "--user" when IsUidGid(v) => Settings((Confinement, "user", TomlText.Quote(v.Contains(':') ? v : v + ":0"))),
            "-u" or "--user" => new Restore.Closest($"USER {v} in the Dockerfile and [confinement] user = \"image\"", "a user name is looked up in the image"),
            "-w" or "--workdir" => Settings((Top, "workdir", TomlText.Quote(v)), (Confinement, "allow_workdir_mismatch", "true")),
            "--cap-add" when v.ToUpperInvariant().Replace("CAP_", "", StringComparison.Ordinal) is "ALL" or "SYS_ADMIN" =>
                new Restore.Cannot("it gives the job control of the volunteer's host"),
            "--cap-add" => Settings(new[] { (Confinement, "cap_add", TomlText.Quote(v.ToUpperInvariant().Replace("CAP_", "", StringComparison.Ordinal))) }, appendKey: "cap_add"),
            "--cap-drop" => new Restore.Cannot("not needed: every capability is dropped already"),
            "--read-only" => new Restore.Cannot("not needed: the root file system is read-only already"),
            "--security-opt" when v.StartsWith("no-new-privileges", StringComparison.Ordinal) => new Restore.Cannot("not needed: no-new-privileges is set already"),
            "--rm" => new Restore.Cannot("not needed: the wrapper removes the container itself when the job ends"),
            "--name" => new Restore.Cannot("the container is named after the BOINC task, as docker_wrapper names it"),
            "--restart" => new Restore.Cannot("the BOINC client decides when a job runs again"),
            "--privileged" => new Restore.Cannot("it gives the job full control of the volunteer's host"),
            _ => new Restore.Cannot("the option is not supported: it reaches outside the container or the wrapper sets it"),
        };
    }

    private static Restore BuildRestore(ArgOption o) => o.Name switch
    {
        "-t" or "--tag" => new Restore.Closest($"image_name = \"{o.Value.IfNone("")}\"",
            "image_name names the image the job runs (built from the Dockerfile if absent), it is not an extra tag"),
        "-f" or "--file" => new Restore.Cannot("name the Dockerfile with the wrapper's --dockerfile option in the app version's command line"),
        "--network" => new Restore.Cannot("not needed: builds use the engine's default network"),
        _ => new Restore.Cannot("the option reads or writes files of the host"),
    };

    /// <summary>The value of the last of <paramref name="names"/> in create_args, as docker reads it.</summary>
    private static Option<string> CreateOption(TomlNode.Table root, params string[] names) =>
        root.Find("create_args").Case is TomlNode.Str s
            ? ArgLine.Split(s.Value).Bind(words => ArgOptions.Group(words, Valued.Contains))
                .Match(os => os.Filter(o => names.Contains(o.Name)).LastOrNone().Bind(o => o.Value), _ => Option<string>.None)
            : Option<string>.None;

    private static bool IsUidGid(string v) =>
        v.Split(':') is var p && p.Length is 1 or 2 && p.All(x => x.Length is > 0 and < 10 && x.All(char.IsAsciiDigit));

    /// <summary>The tree with what the reader refuses for lack of a relaxation left out, so the rest can be read.</summary>
    private static TomlNode.Table Permissive(TomlNode.Table t) =>
        TomlText.Remove(TomlText.Remove(t, "portmap"), "web_graphics_guest_port");

    private static Seq<(string Value, int Line)> StringArray(TomlNode.Table root, string key) =>
        root.Find(key).Map(n => n is TomlNode.Arr a
            ? a.Items.Choose(i => i is TomlNode.Str s ? Option<(string, int)>.Some((s.Value, s.Line)) : Option<(string, int)>.None)
            : Seq<(string, int)>.Empty).IfNone(Seq<(string, int)>.Empty);

    /// <summary>The Dockerfile with the instructions that use the build context blanked (lines kept, so line numbers hold).</summary>
    private static string Strip(string text, Seq<Diagnostic> contextUses)
    {
        var lexed = DockerfileLexer.Lex("(compat)", text);
        var starts = lexed.Instructions.Map(i => i.Line).ToArray();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        foreach (var use in contextUses)
        {
            var line = use.Where.Line.IfNone(0);
            var idx = Array.IndexOf(starts, line);
            if (idx < 0) continue;
            var end = idx + 1 < starts.Length ? starts[idx + 1] - 1 : lines.Length;
            for (var l = line; l <= end && l - 1 < lines.Length; l++)
                lines[l - 1] = "";
        }

        return string.Join('\n', lines);
    }

    /// <summary>The settings as the report prints them: elements appended to one array on one line.</summary>
    public static Seq<string> Display(Seq<TomlSetting> lines)
    {
        var result = new List<string>();
        var i = 0;
        var arr = lines.ToArray();
        while (i < arr.Length)
        {
            var s = arr[i];
            if (!s.Append) { result.Add(s.Text); i++; continue; }
            var values = new List<string>();
            while (i < arr.Length && arr[i].Append && arr[i].Path == s.Path) values.Add(arr[i++].Value);
            var value = $"[..., {string.Join(", ", values)}]";
            result.Add(s.Table.Match(t => $"[{t}] {s.Key} = {value}", () => $"{s.Key} = {value}"));
        }

        return result.ToSeq();
    }

    private static Restore Settings(params (Option<string> Table, string Key, string Value)[] lines) =>
        new Restore.Settings(lines.Select(l => new TomlSetting(l.Table, l.Key, l.Value)).ToSeq());

    private static Restore Settings((Option<string> Table, string Key, string Value)[] lines, string appendKey) =>
        new Restore.Settings(lines.Select(l => new TomlSetting(l.Table, l.Key, l.Value, l.Key == appendKey)).ToSeq());
}
