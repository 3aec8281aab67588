using System;
using System.IO;
using System.Linq;
using System.Security;
using System.Text;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Confinement;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Dockerfiles;
using Boinc.Persist.Core.Hashing;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Jobs;

/// <summary>Where <c>check</c>/<c>plan</c> look and what they call the files.</summary>
public sealed record JobDirectoryOptions(string Directory, string ConfigName, string DockerfileName, Seq<string> AppArgs);

/// <summary>Everything read from a job directory and decided about it.</summary>
public sealed record JobReport(
    string Directory,
    bool Standalone,
    Option<Plan> Plan,
    Option<DockerfileInfo> Dockerfile,
    Seq<ResolvedInput> Inputs,
    Seq<Diagnostic> Findings,
    Option<SlotContext> Context = default,
    Option<JobConfig> Config = default,
    Option<string> DockerfileText = default)
{
    public bool HasErrors => Diagnostics.HasErrors(Findings);

    /// <summary>The result's output files (physical names in the project directory) among the slot's links: the client counts them toward rsc_disk_bound.</summary>
    public Seq<string> OutputFiles { get; init; } = Seq<string>.Empty;

    /// <summary>The project directory on the host (empty when not known).</summary>
    public string ProjectPath { get; init; } = "";
}

/// <summary>
/// The imperative shell of <c>check</c> and <c>plan</c>: reads a job directory (a BOINC slot, or a project's
/// job directory on its own), hands the texts to Core, and collects what Core says. No engine is needed.
/// </summary>
public static class JobDirectory
{
    /// <summary>A job.toml or Dockerfile larger than this is not a config file.</summary>
    public const long MaxConfigBytes = 1024 * 1024;

    public static JobReport Load(JobDirectoryOptions o)
    {
        var dir = Path.GetFullPath(o.Directory);
        var findings = Seq<Diagnostic>.Empty;
        var read = ReadFiles(o, dir, ref findings);
        if (read.Case is JobReport early)
            return early;
        var f = (JobFiles)read.Case!;
        var (entries, ctx, standalone, jobFile) = (f.Entries, f.Context, f.Standalone, f.Job);

        var (uid, gid) = FileOwner.Of(dir);
        var projectPath = Path.GetFullPath(ctx.ProjectDir, dir);
        var input = new PlanInput(
            jobFile,
            new DockerfileFacts(
                o.DockerfileName,
                f.DockerfileText.IfNone(""),
                f.Workdir is WorkdirSetting.Resolved r ? Option<(string, int)>.Some((r.Path, r.Line)) : Option<(string, int)>.None,
                f.Dockerfile.Bind(i => i.User.Map(l => l.Value))),
            new TaskIdentity(ctx.ProjectDirName, ctx.WuName, ctx.ResultName, ctx.Slot, ctx.Ncpus, ctx.RscMemoryBound),
            new HostFacts(dir, projectPath, uid, gid),
            o.AppArgs) { Links = LinkFactsOf(entries, ctx, projectPath, Wrapper(o, projectPath), ref findings) };
        var plan = Planner.Make(input);
        // Alone, a job directory has no rsc_memory_bound: the client gives one at run time.
        findings = findings.Then(standalone ? plan.Findings.Filter(d => d.Code != DiagnosticCodes.PlanNoMemoryLimit) : plan.Findings);

        var boxed = plan.Value.Map(p => Box(o, dir, projectPath, f, p, ref findings));
        if (!standalone)
            findings = findings.Then(Pin(dir, Seq(new ConfigPin(o.ConfigName, HashOf(f.JobText)), new ConfigPin(o.DockerfileName, HashOf(f.DockerfileRead)))));

        // Where each input lives inside the container, with the plan's WORKDIR and project mount.
        var inputs = Seq<ResolvedInput>.Empty;
        foreach (var p in boxed)
        {
            var mounts = new ContainerMounts(p.Container.WorkingDir, jobFile.Config.ProjectDirMount) { LinkFiles = jobFile.Config.Inputs.LinkFiles };
            var resolved = LinkFiles.Resolve(entries, ctx, mounts, Wrapper(o, projectPath));
            findings = findings.Then(resolved.Findings);
            inputs = resolved.Value.IfNone(Seq<ResolvedInput>.Empty);
        }

        // BOINC's disk limit (issue 16 point 8): the checkpoint in the slot must fit twice beside the job's files.
        if (!standalone && jobFile.Config.Checkpoint.Enabled)
            findings = findings.Then(DiskFit(dir, ctx, jobFile, InputMounts.OutputFiles(input.Links, ctx.ResultName), projectPath));

        var ok = !Diagnostics.HasErrors(findings);
        return new JobReport(dir, standalone, ok ? boxed : Option<Plan>.None, f.Dockerfile, inputs, findings,
            ctx, jobFile.Config, f.DockerfileText)
        {
            OutputFiles = InputMounts.OutputFiles(input.Links, ctx.ResultName),
            ProjectPath = projectPath,
        };
    }

    /// <summary>What <see cref="ReadFiles"/> read of a job directory that can be planned.</summary>
    private sealed record JobFiles(
        SlotListing Entries,
        SlotContext Context,
        bool Standalone,
        JobFile Job,
        Checked<Option<string>> JobText,
        Checked<Option<string>> DockerfileRead,
        Option<string> DockerfileText,
        Option<DockerfileInfo> Dockerfile,
        WorkdirSetting Workdir);

    /// <summary>
    /// The directory's listing, init_data.xml (stand-ins without one), job.toml (missing: docker_wrapper's
    /// defaults) and the Dockerfile (required unless job.toml names a prebuilt image). Left: the report when
    /// nothing can be planned.
    /// </summary>
    private static Either<JobReport, JobFiles> ReadFiles(JobDirectoryOptions o, string dir, ref Seq<Diagnostic> findings)
    {
        JobReport Fail(Seq<Diagnostic> f) =>
            new(dir, true, Option<Plan>.None, Option<DockerfileInfo>.None, Seq<ResolvedInput>.Empty, f);

        if (!System.IO.Directory.Exists(dir))
            return Fail(Seq1(Diagnostic.Error(DiagnosticCodes.DirectoryMissing, Location.InFile(dir), "no such directory")));

        var listing = SlotReader.Read(dir);
        findings = findings.Then(listing.Findings);
        if (listing.Value.IsNone) return Fail(findings);
        var entries = listing.Value.IfNone(new SlotListing(Seq<SlotEntry>.Empty));

        // A slot has init_data.xml; a project's job directory checked on its own does not.
        var standalone = entries.Find(InitDataReader.FileName).IsNone;
        var context = standalone ? StandaloneContext(dir) : InitDataReader.Read(dir);
        findings = findings.Then(context.Findings);
        if (context.Value.IsNone) return Fail(findings);
        var ctx = context.Value.IfNone(() => throw new InvalidOperationException());
        if (standalone)
            findings = findings.Add(Diagnostic.Warning(DiagnosticCodes.DirectoryStandalone, Location.InFile(dir),
                "no init_data.xml: checked as a job directory on its own (task names and limits are stand-ins; link files are checked against ./project)"));

        var jobText = ReadJobFile(dir, entries, ctx, o.ConfigName, required: false);
        findings = findings.Then(jobText.Findings);
        var job = jobText.Value.Match(
            t => t.Map(text => JobConfigReader.Parse(o.ConfigName, text))
                  .IfNone(() => Checked<JobFile>.Ok(JobConfigReader.Missing(o.ConfigName))),
            () => Checked<JobFile>.Fail(jobText.Errors));
        if (jobText.Value.IsSome) findings = findings.Then(job.Findings);

        var needDockerfile = job.Value.Map(j => j.Config.ImageName.IsNone).IfNone(true);
        var dfText = ReadJobFile(dir, entries, ctx, o.DockerfileName, required: needDockerfile);
        findings = findings.Then(dfText.Findings);
        var dfSource = dfText.Value.Bind(t => t);
        var dockerfile = dfSource.Map(text => Core.Dockerfiles.Dockerfile.Analyze(o.DockerfileName, text));
        foreach (var d in dockerfile)
            findings = findings.Then(d.Findings);

        if (job.Value.IsNone || dfText.Value.IsNone || dockerfile.Exists(d => d.Value.IsNone))
            return new JobReport(dir, standalone, Option<Plan>.None, dockerfile.Bind(d => d.Value),
                Seq<ResolvedInput>.Empty, findings);

        var jobFile = job.Value.IfNone(() => throw new InvalidOperationException());
        var info = dockerfile.Bind(d => d.Value);
        var workdir = info.Map(i => i.Workdir).IfNone(WorkdirSetting.NotSet.Value);
        // The analyzer only warns (job.toml may name the workdir); with no workdir there, it is an error, said once.
        if (workdir is WorkdirSetting.Unresolved u && jobFile.Config.Workdir.IsNone)
            findings = findings.Filter(d => d.Code != DiagnosticCodes.DockerfileWorkdirUnresolved).Add(Diagnostic.Error(DiagnosticCodes.PlanWorkdirUnknown, Location.At(o.DockerfileName, u.Line),
                $"WORKDIR {u.Text} uses {string.Join(", ", u.Variables)}, which only the base image knows; set workdir in {o.ConfigName}"));
        return new JobFiles(entries, ctx, standalone, jobFile, jobText, dfText, dfSource, info, workdir);
    }

    /// <summary>
    /// The job stays in its box: BOINC's and the wrapper's files read-only, mounts judged on their real paths,
    /// relaxations only with the host's consent (enforced in a slot; a directory checked alone is only told).
    /// </summary>
    private static Plan Box(JobDirectoryOptions o, string dir, string projectPath, JobFiles f, Plan p, ref Seq<Diagnostic> findings)
    {
        var enforce = !f.Standalone;
        var policy = PolicyFile.Load();
        findings = findings.Then(policy.Findings);
        var hostPolicy = policy.Value.IfNone(HostPolicy.Default);
        if (policy.Value.IsNone && !enforce)
            findings = findings.Add(Diagnostic.Warning(DiagnosticCodes.PolicyJudgedAgainstDefault, Location.InFile(PolicyFile.PathInUse()), "the host policy cannot be read; judged against the built-in default"));
        var regular = f.Entries.Entries.Filter(e => e.Kind is SlotEntryKind.RegularFile).Map(e => e.Name);
        var withProtected = p with { Container = p.Container with { Mounts = p.Container.Mounts.Then(ProtectedMounts.For(dir, p.Container.WorkingDir, regular)) } };
        findings = findings.Then(PolicyCheck.Check(hostPolicy, f.Job, withProtected, enforce));
        var (resolved, mountFindings) = MountSources.Resolve(withProtected, dir, projectPath, hostPolicy, o.ConfigName, enforce);
        findings = findings.Then(mountFindings);
        return resolved;
    }

    /// <summary>
    /// A warning (<see cref="DiagnosticCodes.DiskCheckpointsDoNotFit"/>) when the slot's current checkpoint files, committed as generations, cannot be in the
    /// slot twice (the newest generation and the one being staged) beside the job's files within
    /// <c>rsc_disk_bound</c>: the wrapper would then keep one generation and skip commits rather than exceed it.
    /// The sizes are those of the checkpoint files present now (a slot after a first run, or a sample slot); with no
    /// such file, nothing is said (the run logs it at its first commit). The slot is measured as the client sums it.
    /// </summary>
    public static Seq<Diagnostic> DiskFit(string dir, SlotContext ctx, JobFile job, Seq<string> outputs = default, string projectPath = "")
    {
        if (!DiskBudget.HasLimit(ctx.RscDiskBound)) return Seq<Diagnostic>.Empty;
        try
        {
            using var slot = SlotFiles.Open(dir);
            using var store = Checkpoints.CheckpointStore.Open(slot, job.Config.Checkpoint, TimeProvider.System);
            var files = store.WorkFiles();
            if (files.IsEmpty) return Seq<Diagnostic>.Empty;
            var bytes = files.Fold(0L, (sum, f) => slot.Identity(f).Map(i => sum + Math.Max(0, i.Size)).IfNone(sum));
            var usage = Checkpoints.SlotUsageMeter.Measure(slot)
                .WithOutputs(outputs.IsEmpty ? 0 : Checkpoints.OutputUsageMeter.Measure(projectPath, outputs).Bytes);
            return DiskBudget.CannotFitTwice(ctx.RscDiskBound, usage.JobBytes, bytes, files.Count)
                .Map(why => Diagnostic.Warning(DiagnosticCodes.DiskCheckpointsDoNotFit, job.Where("checkpoint.files"),
                    $"the checkpoint files now in the slot ({string.Join(", ", files.Take(3))}{(files.Count > 3 ? ", ..." : "")}: {bytes} bytes): {why}"))
                .ToSeq();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Seq1(Diagnostic.Warning(DiagnosticCodes.DiskNotMeasured, Location.InFile(dir), $"the slot could not be measured against rsc_disk_bound: {e.Message}"));
        }
    }

    /// <summary>
    /// Reads job.toml or the Dockerfile from the slot: a physical copy, or a BOINC link file / symlink into the
    /// project directory. Some(None) when it is absent and not required.
    /// </summary>
    private static Checked<Option<string>> ReadJobFile(string dir, SlotListing entries, SlotContext ctx, string name, bool required)
    {
        var entry = entries.Find(name);
        if (entry.IsNone)
        {
            return required
                ? Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryDockerfileMissing, Location.InFile(name),
                    $"{name} is missing from {dir}; the image is built from it (or name a prebuilt image with image_name in job.toml)"))
                : Checked<Option<string>>.Ok(Option<string>.None);
        }

        var isLink = entry.Exists(e => e.Kind is SlotEntryKind.Symlink ||
                                       (e.Kind is SlotEntryKind.RegularFile f && LinkFiles.ReadSoftLink(name, f.Head).Match(l => l.IsSome, _ => true)));
        var hostPath = isLink
            ? LinkFiles.ResolveHostPath(entries, name, ctx).Map(p => Path.GetFullPath(p, dir))
            : Checked<string>.Ok(Path.Combine(dir, name));
        if (!isLink)
            return ReadSlotCopy(dir, name);
        return hostPath.Bind(path =>
        {
            try
            {
                var info = new FileInfo(path);
                if (!info.Exists)
                    return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileMissing, Location.InFile(name),
                        $"{name} points to {path}, which does not exist"));
                if (info.Length > MaxConfigBytes)
                    return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileTooLarge, Location.InFile(name),
                        $"{name} is {info.Length} bytes; a job file larger than {MaxConfigBytes} bytes is refused"));
                var bytes = File.ReadAllBytes(path);
                var text = new UTF8Encoding(false, true).GetString(bytes);
                if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
                return Checked<Option<string>>.Ok(Option<string>.Some(text));
            }
            catch (DecoderFallbackException)
            {
                return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileNotText, Location.InFile(name), $"{name} is not UTF-8 text"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileUnreadable, Location.InFile(name), $"cannot read {name}: {e.Message}"));
            }
        });
    }

    /// <summary>
    /// The slot's links into the project directory and which of their physical files exist: the planner mounts
    /// each at its logical name (inputs read-only, outputs writable).
    /// </summary>
    private static LinkFacts LinkFactsOf(SlotListing entries, SlotContext ctx, string projectPath, WrapperFiles wrapper, ref Seq<Diagnostic> findings)
    {
        var links = InputMounts.Links(entries, ctx, wrapper);
        findings = findings.Then(links.Findings);
        var seq = links.Value.IfNone(Seq<SlotLink>.Empty);
        var existing = new LanguageExt.HashSet<string>(
            seq.Map(l => l.PhysicalName).Filter(p => File.Exists(Path.Combine(projectPath, p))));
        return new LinkFacts(seq, existing);
    }

    /// <summary>
    /// The wrapper's own files: job.toml, the Dockerfile and, when this process is the app version's main
    /// program in the task's project directory (the client starts projects/&lt;dir&gt;/&lt;file&gt;), the slot's link to it,
    /// which is no input of the job.
    /// </summary>
    private static WrapperFiles Wrapper(JobDirectoryOptions o, string projectPath)
    {
        var files = WrapperFiles.Of(o.ConfigName, o.DockerfileName);
        var self = Environment.ProcessPath;
        return self is not null && Path.GetDirectoryName(self) == projectPath.TrimEnd('/') ? files.WithProgram(self) : files;
    }

    /// <summary>docker_wrapper's standalone mode: the project directory is ./project, names are stand-ins.</summary>
    private static Checked<SlotContext> StandaloneContext(string dir)
    {
        var xml = "<app_init_data><project_dir>" + SecurityElement.Escape(Path.Combine(dir, "project")) +
                  "</project_dir><wu_name>standalone</wu_name><result_name>standalone_0</result_name></app_init_data>";
        return SlotContexts.Parse("(standalone)", xml);
    }

    private static Seq<Diagnostic> Seq1(Diagnostic d) => new[] { d }.ToSeq();

    /// <summary>A job.toml or Dockerfile that is a copy in the slot, read through the slot accessor (a link or FIFO swapped in is refused).</summary>
    private static Checked<Option<string>> ReadSlotCopy(string dir, string name)
    {
        try
        {
            using var slot = SlotFiles.Open(dir);
            var bytes = slot.ReadHead(name, (int)MaxConfigBytes);
            if (bytes.IsNone)
                return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileMissing, Location.InFile(name), $"{name} vanished while it was read"));
            var b = bytes.IfNone([]);
            if (b.Length > MaxConfigBytes)
                return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileTooLarge, Location.InFile(name),
                    $"{name} is larger than {MaxConfigBytes} bytes; a job file that large is refused"));
            var text = new UTF8Encoding(false, true).GetString(b);
            if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
            return Checked<Option<string>>.Ok(Option<string>.Some(text));
        }
        catch (DecoderFallbackException)
        {
            return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileNotText, Location.InFile(name), $"{name} is not UTF-8 text"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileUnreadable, Location.InFile(name), $"cannot read {name}: {e.Message}"));
        }
    }

    /// <summary>SHA-256 of a configuration file's text as read, None when it is absent (or could not be read).</summary>
    private static Option<string> HashOf(Checked<Option<string>> text) =>
        text.Value.Bind(t => t).Map(Sha256.HexOfText);

    /// <summary>
    /// The first start of a task pins its configuration (<see cref="ConfigPins"/>); every later start compares.
    /// The pins live in the wrapper's state directory, which the job never sees.
    /// </summary>
    private static Seq<Diagnostic> Pin(string dir, Seq<ConfigPin> now)
    {
        try
        {
            using var slot = SlotFiles.Open(dir);
            var text = slot.ReadText(ConfigPins.FileName, 64 * 1024);
            if (text.IsNone)
            {
                slot.CreateDir(StoreLayout.StateDirName);
                slot.ReplaceDurably(ConfigPins.FileName, Encoding.UTF8.GetBytes(ConfigPins.Format(now)));
                return Seq<Diagnostic>.Empty;
            }

            return ConfigPins.Parse(text.IfNone("")).Match(
                pinned => ConfigPins.Compare(pinned, now),
                () => Seq1(Diagnostic.Error(DiagnosticCodes.PinUnparsable, Location.InFile(ConfigPins.FileName), "the configuration pins cannot be parsed; the wrapper wrote them, so something else changed them")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Seq1(Diagnostic.Error(DiagnosticCodes.PinUnreadable, Location.InFile(ConfigPins.FileName), $"cannot read or write the configuration pins: {e.Message}"));
        }
    }

    private static Seq<ConfigPin> Seq(params ConfigPin[] pins) => pins.ToSeq();

}
