using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Hashing;
using LanguageExt;

namespace Boinc.Persist.Core.Planning;

/// <summary>Label keys on everything Boinc.Persist creates, so <c>gc</c> and tests can find it.</summary>
public static class Labels
{
    public const string Owner = "org.boinc-persist.owner";
    public const string OwnerValue = "boinc-persist";
    public const string Project = "org.boinc-persist.project";
    public const string Workunit = "org.boinc-persist.wu";
    public const string Result = "org.boinc-persist.result";
    public const string Slot = "org.boinc-persist.slot";
    public const string ContentHash = "org.boinc-persist.content-hash";
    public const string Prefix = "org.boinc-persist.";
}

/// <summary>
/// Turns a job directory's facts into a <see cref="Plan"/>: what to build, mount and run, and why. Pure.
/// Rules: the slot is mounted once, at WORKDIR; the project directory read-only at its mount point when
/// asked; extra mounts never on or above WORKDIR, never twice on one target, relative sources inside the slot;
/// no network, read-only root with a tmpfs /tmp, no new privileges, no capabilities, the slot owner's uid:gid,
/// cpus from ncpus, memory from rsc_memory_bound, a pids limit, unless job.toml relaxes them.
/// </summary>
public static class Planner
{
    private static readonly string[] SystemTargets = { "/proc", "/sys", "/dev" };

    /// <summary>Size of the tmpfs that hides the slot's wrapper state directory: room for nothing useful.</summary>
    public const long HiddenStateTmpfsBytes = 4096;

    /// <summary>The plan, step by step (each step below adds what it finds to <c>findings</c>).</summary>
    public static Checked<Plan> Make(PlanInput input)
    {
        var c = input.Job.Config;
        var findings = new Findings();
        var workdir = Workdir(input, findings);
        var mounts = new List<PlannedMount>
        {
            new(input.Host.SlotPath, workdir, false, Relabel.None, MountRole.Slot,
                "the slot directory, where all job files live, at WORKDIR"),
        };
        mounts.AddRange(ProjectMount(input, workdir, findings));
        // Link files and symlinks: each logical name works inside the container (InputMounts).
        mounts.AddRange(InputMounts.Plan(input, workdir));
        mounts.AddRange(ExtraMounts(input, workdir, findings));
        var tmpfs = Tmpfs(input, workdir, findings);
        OneMountPerTarget(input, mounts, tmpfs, findings);
        var user = UserOf(input);
        var memory = MemoryLimit(input, findings);
        var env = Environment(input, findings);
        var ownLabels = OwnLabels(input, findings);

        // Image and container names.
        var image = ImagePlanOf(input);
        var name = Naming.ContainerName(input.Task.ProjectDirName, input.Task.ResultName);
        if (!Naming.IsBoincCompatible(input.Task.ProjectDirName, input.Task.ResultName))
            findings.Warn(DiagnosticCodes.PlanNameSanitised, Location.InFile("init_data.xml"),
                $"project or result name has characters Docker does not allow in names; the container is called {name}");

        var spec = new ContainerSpec(
            name,
            image,
            user,
            workdir,
            env,
            c.Create.Entrypoint,
            mounts.ToSeq(),
            tmpfs.ToSeq(),
            c.Confinement.Network,
            c.Confinement.ReadOnlyRootfs,
            c.Confinement.NoNewPrivileges,
            c.Confinement.CapAdd,
            NanoCpus(input),
            memory,
            c.Limits.Pids,
            c.Create.Ulimits,
            c.Create.ShmSizeBytes,
            c.UseGpu,
            c.PortMaps,
            c.WebGraphicsGuestPort,
            ownLabels.Then(c.Create.Labels),
            c.Create.Hostname,
            // Always an init as PID 1 (docker-init/tini, Podman's catatonit): it forwards the stop signal to the
            // job, where a shell as PID 1 would ignore SIGTERM and make every stop wait for SIGKILL.
            true,
            c.Create.StopTimeoutSeconds,
            c.Create.StopSignal);

        return Checked<Plan>.Of(new Plan(spec, RelaxationsOf(c, user)), findings.All);
    }

    /// <summary>What the steps of <see cref="Make"/> find, in the order they find it.</summary>
    private sealed class Findings
    {
        private readonly List<Diagnostic> list = new();

        public void Error(DiagnosticCode code, Location at, string msg) => list.Add(Diagnostic.Error(code, at, msg));

        public void Warn(DiagnosticCode code, Location at, string msg) => list.Add(Diagnostic.Warning(code, at, msg));

        public Seq<Diagnostic> All => list.ToArray().ToSeq();
    }

    /// <summary>WORKDIR: job.toml wins, but disagreeing with the Dockerfile is a mistake unless said to be meant.</summary>
    private static string Workdir(PlanInput input, Findings findings)
    {
        var job = input.Job;
        var c = job.Config;
        var dfWorkdir = input.Dockerfile.Workdir;
        var workdir = c.Workdir.IfNone(() => dfWorkdir.Map(w => w.Path).IfNone(JobConfig.DefaultWorkdir));
        c.Workdir.Iter(jw => dfWorkdir.Iter(dw =>
        {
            if (jw != dw.Path && !c.Confinement.AllowWorkdirMismatch)
                findings.Error(DiagnosticCodes.PlanWorkdirDiffers, job.Where("workdir"),
                    $"workdir {jw} differs from the Dockerfile's WORKDIR {dw.Path} ({input.Dockerfile.FileName}:{dw.Line}); " +
                    "the job would not find its files. Make them agree, or set [confinement] allow_workdir_mismatch = true");
        }));

        Confinement.MountRules.WorkdirRefusal(workdir).Iter(why =>
            findings.Error(DiagnosticCodes.PlanNoWorkdir, c.Workdir.IsSome ? job.Where("workdir") : dfWorkdir.Map(w => Location.At(input.Dockerfile.FileName, w.Line)).IfNone(job.Where("workdir")), why));
        return workdir;
    }

    /// <summary>The project directory, for <c>&lt;soft_link&gt;</c> inputs (project_dir_mount).</summary>
    private static Option<PlannedMount> ProjectMount(PlanInput input, string workdir, Findings findings)
    {
        var job = input.Job;
        var c = job.Config;
        if (c.ProjectDirMount.IsNone && c.Confinement.ProjectDirWritable)
            findings.Warn(DiagnosticCodes.PlanWritableWithoutProjectMount, job.Where("confinement.project_dir_writable"),
                "project_dir_writable has no effect without project_dir_mount");
        return c.ProjectDirMount.Bind(target =>
        {
            var at = job.Where("project_dir_mount");
            if (Paths.IsAtOrUnder(workdir, target))
            {
                findings.Error(DiagnosticCodes.PlanProjectMountHidesSlot, at, $"project_dir_mount {target} is on or above WORKDIR {workdir}; it would hide the slot");
                return Option<PlannedMount>.None;
            }

            if (Paths.IsAtOrUnder(target, workdir))
                findings.Warn(DiagnosticCodes.PlanProjectMountInsideSlot, at,
                    $"project_dir_mount {target} is inside WORKDIR {workdir}: an empty directory of that name appears in the slot");
            var ro = !c.Confinement.ProjectDirWritable;
            return new PlannedMount(input.Host.ProjectPath, target, ro, Relabel.None, MountRole.Project,
                ro ? "the project directory, read-only, for <soft_link> inputs (project_dir_mount)"
                   : "the project directory, WRITABLE ([confinement] project_dir_writable)");
        });
    }

    /// <summary>job.toml's extra mounts: never on or above WORKDIR or on a kernel file system, sources confined.</summary>
    private static List<PlannedMount> ExtraMounts(PlanInput input, string workdir, Findings findings)
    {
        var job = input.Job;
        var c = job.Config;
        var mounts = new List<PlannedMount>();
        var i = 0;
        foreach (var m in c.Mounts)
        {
            var at = job.Where($"mount[{i++}]");
            if (Paths.IsAtOrUnder(workdir, m.Target))
            {
                findings.Error(DiagnosticCodes.PlanMountHidesSlot, at, $"mount target {m.Target} is on or above WORKDIR {workdir}; it would hide the slot");
                continue;
            }

            if (SystemTargets.Any(s => Paths.IsAtOrUnder(m.Target, s)))
            {
                findings.Error(DiagnosticCodes.PlanMountOnKernelFs, at, $"mount target {m.Target} is a kernel file system of the container");
                continue;
            }

            var source = m.IsSlotRelative ? Paths.Join(input.Host.SlotPath, m.Source) : m.Source;
            var inside = m.IsSlotRelative || Paths.IsAtOrUnder(source, input.Host.SlotPath) ||
                         (c.ProjectDirMount.IsSome && Paths.IsAtOrUnder(source, input.Host.ProjectPath));
            if (!inside && !c.Confinement.AllowHostMounts)
            {
                findings.Error(DiagnosticCodes.PlanMountSourceOutside, at,
                    $"mount source {source} is a host path outside the slot and project directories; " +
                    "set [confinement] allow_host_mounts = true if the project really needs it");
                continue;
            }

            if (Confinement.MountRules.SourceRefusal(source, input.Host.SlotPath) is { IsSome: true } refused)
            {
                findings.Error(DiagnosticCodes.PlanMountRefused, at, refused.IfNone(""));
                continue;
            }

            mounts.Add(new PlannedMount(source, m.Target, m.ReadOnly, m.Relabel, MountRole.Extra,
                $"job.toml mount {m.Source}:{m.Target}{(m.ReadOnly ? " (read-only)" : "")}"));
        }

        return mounts;
    }

    /// <summary>tmpfs: /tmp by default (the root is read-only), create_args --tmpfs, and the one over our state.</summary>
    private static List<PlannedTmpfs> Tmpfs(PlanInput input, string workdir, Findings findings)
    {
        var c = input.Job.Config;
        var tmpfs = new List<PlannedTmpfs>();
        foreach (var t in c.Create.Tmpfs)
            tmpfs.Add(new PlannedTmpfs(t.Target, t.SizeBytes.IfNone(c.Limits.TmpBytes), "create_args --tmpfs"));
        if (!tmpfs.Exists(t => t.Target == "/tmp"))
            tmpfs.Add(new PlannedTmpfs("/tmp", c.Limits.TmpBytes,
                "scratch space: the root file system is read-only and /tmp is not kept across restarts"));
        // The wrapper's state (checkpoint generations, journal) lives in the slot but must be invisible to the job.
        tmpfs.Add(new PlannedTmpfs(Paths.Join(workdir, Checkpoints.StoreLayout.StateDirName), HiddenStateTmpfsBytes,
            $"hides the wrapper's {Checkpoints.StoreLayout.StateDirName} (checkpoint generations, journal) from the job: an empty read-only tmpfs over it, so the job can neither see nor change committed checkpoints") { ReadOnly = true });
        foreach (var t in tmpfs.Where(t => Paths.IsAtOrUnder(workdir, t.Target)))
            findings.Error(DiagnosticCodes.PlanMountHidesSlot, input.Job.Where("create_args"), $"tmpfs {t.Target} is on or above WORKDIR {workdir}; it would hide the slot");
        return tmpfs;
    }

    /// <summary>One target, one mount.</summary>
    private static void OneMountPerTarget(PlanInput input, List<PlannedMount> mounts, List<PlannedTmpfs> tmpfs, Findings findings)
    {
        var targets = mounts.Select(m => (m.Target, Why: m.Why)).Concat(tmpfs.Select(t => (t.Target, Why: t.Why)));
        foreach (var dup in targets.GroupBy(t => t.Target).Where(g => g.Count() > 1))
            findings.Error(DiagnosticCodes.PlanTargetMountedTwice, input.Job.Where("mount"),
                $"{dup.Key} is mounted {dup.Count()} times ({string.Join("; ", dup.Select(d => d.Why))}); a target can have one mount");
    }

    /// <summary>Who runs the job: the slot's owner unless [confinement] user says otherwise.</summary>
    private static Option<string> UserOf(PlanInput input) => input.Job.Config.Confinement.User switch
    {
        UserMode.Image => input.Dockerfile.User,
        UserMode.Explicit e => $"{e.Uid}:{e.Gid}",
        _ => Option<string>.Some($"{input.Host.SlotUid}:{input.Host.SlotGid}"),
    };

    /// <summary>CPUs from [limits] cpus, else the task's ncpus; in the engine's unit (1e9 per CPU), 0 for none.</summary>
    private static long NanoCpus(PlanInput input)
    {
        var cpus = input.Job.Config.Limits.Cpus.IfNone(Math.Max(input.Task.Ncpus, 0));
        return cpus > 0 ? (long)Math.Round(cpus * 1e9) : 0;
    }

    /// <summary>Memory from [limits] memory, else the task's rsc_memory_bound.</summary>
    private static Option<long> MemoryLimit(PlanInput input, Findings findings)
    {
        var job = input.Job;
        var c = job.Config;
        var memory = c.Limits.MemoryBytes.IsSome
            ? c.Limits.MemoryBytes
            : input.Task.MemoryBoundBytes >= 1 ? Option<long>.Some((long)Math.Min(input.Task.MemoryBoundBytes, long.MaxValue / 2)) : Option<long>.None;
        if (memory.IsNone)
            findings.Warn(DiagnosticCodes.PlanNoMemoryLimit, job.Where("limits.memory"),
                "no memory limit: init_data.xml gives no rsc_memory_bound and [limits] memory is not set");
        c.Limits.MemoryBytes.Iter(m =>
        {
            if (input.Task.MemoryBoundBytes >= 1 && m > input.Task.MemoryBoundBytes)
                findings.Warn(DiagnosticCodes.PlanMemoryAboveBound, job.Where("limits.memory"),
                    $"memory limit {Units.FormatSize(m)} is above the task's rsc_memory_bound {Units.FormatSize((long)input.Task.MemoryBoundBytes)}; the BOINC client may abort the task first");
        });
        return memory;
    }

    /// <summary>Environment: create_args -e, then ARGS as docker_wrapper passes extra command-line arguments.</summary>
    private static Seq<KeyValue> Environment(PlanInput input, Findings findings)
    {
        var env = input.Job.Config.Create.Env;
        if (!input.AppArgs.IsEmpty)
            env = env.Filter(e => e.Key != "ARGS").Add(new KeyValue("ARGS", string.Join(' ', input.AppArgs)));
        foreach (var dup in env.GroupBy(e => e.Key).Where(g => g.Count() > 1))
            findings.Warn(DiagnosticCodes.PlanEnvironmentTwice, input.Job.Where("create_args"), $"environment variable {dup.Key} is set {dup.Count()} times; the last one wins");
        return env;
    }

    /// <summary>Labels: ours, which the job's cannot override.</summary>
    private static Seq<KeyValue> OwnLabels(PlanInput input, Findings findings)
    {
        var c = input.Job.Config;
        foreach (var l in c.Create.Labels.Then(c.Build.Labels).Where(l => l.Key.StartsWith(Labels.Prefix, StringComparison.Ordinal)))
            findings.Error(DiagnosticCodes.PlanReservedLabel, input.Job.Where("create_args"), $"label {l.Key} is reserved for the wrapper's own bookkeeping");
        return Seq(
            new KeyValue(Labels.Owner, Labels.OwnerValue),
            new KeyValue(Labels.Project, input.Task.ProjectDirName),
            new KeyValue(Labels.Workunit, input.Task.WuName),
            new KeyValue(Labels.Result, input.Task.ResultName),
            new KeyValue(Labels.Slot, input.Host.SlotPath));
    }

    /// <summary>The image tag: job.toml's image_name, else <c>boinc-persist/job:&lt;hash&gt;</c> of what it is built from.</summary>
    public static ImagePlan ImagePlanOf(PlanInput input)
    {
        var c = input.Job.Config;
        var hash = ContentHash(input.Dockerfile.Text, c.Build);
        var tag = c.ImageName.IfNone($"boinc-persist/job:{hash[..32]}");
        var labels = Seq(new KeyValue(Labels.Owner, Labels.OwnerValue), new KeyValue(Labels.ContentHash, hash)).Then(c.Build.Labels);
        return new ImagePlan(tag, hash, c.ImageName.IsSome, input.Dockerfile.FileName, c.Build, labels);
    }

    /// <summary>SHA-256 (hex) over the Dockerfile text and the build options, in a form with no ambiguity.</summary>
    public static string ContentHash(string dockerfileText, BuildOptions build)
    {
        var canonical = new StringBuilder();
        canonical.Append("boinc-persist image v1\0dockerfile\0").Append(dockerfileText.Length).Append('\0').Append(dockerfileText);
        canonical.Append("\0build\0").Append(CreateArgs.FormatBuild(build));
        return Sha256.HexOfText(canonical.ToString());
    }

    private static Seq<Relaxation> RelaxationsOf(JobConfig c, Option<string> user)
    {
        var r = new List<Relaxation>();
        var k = c.Confinement;
        if (k.Network != NetworkMode.None)
            r.Add(new("confinement.network", $"the container has a network ({k.Network.ToString().ToLowerInvariant()})"));
        if (!k.ReadOnlyRootfs) r.Add(new("confinement.read_only_rootfs", "the root file system is writable (writes outside WORKDIR are lost with the container)"));
        if (!k.NoNewPrivileges) r.Add(new("confinement.no_new_privileges", "processes may gain privileges (setuid binaries work)"));
        if (!k.CapAdd.IsEmpty) r.Add(new("confinement.cap_add", $"capabilities added back: {string.Join(", ", k.CapAdd)}"));
        if (k.User is not UserMode.SlotOwner)
            r.Add(new("confinement.user", $"runs as {user.IfNone("the image's default user (root unless the image says otherwise)")}, not as the slot's owner"));
        if (k.ProjectDirWritable && c.ProjectDirMount.IsSome) r.Add(new("confinement.project_dir_writable", "the project directory is writable"));
        if (k.AllowWorkdirMismatch) r.Add(new("confinement.allow_workdir_mismatch", "workdir may differ from the Dockerfile's WORKDIR"));
        if (k.AllowHostMounts) r.Add(new("confinement.allow_host_mounts", "mounts may come from anywhere on the host"));
        if (c.UseGpu) r.Add(new("use_gpu", "the container gets the host's GPUs"));
        if (!c.PortMaps.IsEmpty) r.Add(new("portmap", $"ports published: {string.Join(", ", c.PortMaps.Map(p => $"{p.HostIp}:{p.HostPort}->{p.ContainerPort}"))}"));
        return r.ToSeq();
    }

    private static Seq<KeyValue> Seq(params KeyValue[] items) => items.ToSeq();
}
