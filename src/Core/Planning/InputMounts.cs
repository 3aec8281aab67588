using System.Collections.Generic;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Slots;
using LanguageExt;

namespace Boinc.Persist.Core.Planning;

/// <summary>A slot entry that links to a file of the project directory: a link file or a real symlink.</summary>
public sealed record SlotLink(string LogicalName, string PhysicalName, LinkStyle Style);

/// <summary>The slot's links and which of their physical files exist on the host (the shell finds out).</summary>
public sealed record LinkFacts(Seq<SlotLink> Links, LanguageExt.HashSet<string> ExistingPhysicalNames)
{
    public static readonly LinkFacts None = new(Seq<SlotLink>.Empty, LanguageExt.HashSet<string>.Empty);
}

/// <summary>
/// How the slot's links into the project directory reach the job, by job.toml's <c>[inputs] link_files</c>.
/// <list type="bullet">
/// <item>A copy (<c>&lt;copy_file/&gt;</c>) is a real file in the slot, hence at WORKDIR/&lt;name&gt;, in both modes.</item>
/// <item><c>"as-written"</c> (the default, BOINC's and docker_wrapper's contract): nothing is mounted over a link
/// file, so the job sees it exactly as the client wrote it and resolves it itself. The project directory is
/// visible read-only at <c>project_dir_mount</c> (planned by <see cref="Planner"/>) and, here, where the link's
/// own relative path <c>../../projects/&lt;dir&gt;</c> lands from WORKDIR, so both the <c>sed</c>-to-/project
/// idiom of BOINC's sample app and an app that opens what <c>boinc_resolve_filename</c> returns find the file.</item>
/// <item><c>"resolve"</c> (explicit): a single-file bind mount of the physical project file onto
/// WORKDIR/&lt;logical name&gt;, inside the container only, so the job opens its logical name and reads the
/// project file's bytes; on the host the link file under the mount is untouched.</item>
/// <item>A real symlink (<c>use_symlinks</c>) is never covered, in either mode: it already says
/// <c>../../projects/&lt;dir&gt;/&lt;file&gt;</c> and resolves through the same relative-root mount.</item>
/// <item>Outputs are writable wherever the job can reach them: a link whose physical file does not exist yet
/// (the client writes the link before the job writes the file) or whose physical name is BOINC's output name
/// <c>&lt;result&gt;_&lt;n&gt;</c>. Under "resolve" over the link file; otherwise as single-file read-write mounts
/// at &lt;relative root&gt;/&lt;physical&gt; and &lt;project_dir_mount&gt;/&lt;physical&gt;, on top of the read-only
/// directory, so an app writing through the resolved path (docker_wrapper mounts the project directory
/// writable) writes its own result file and nothing else of the project. The shell creates missing output
/// files, empty, before the start (<see cref="OutputsToCreate"/>), because a bind mount needs a source.</item>
/// </list>
/// Wrapper files (job.toml, Dockerfile, the program) are not mounted. Pure: existence is a host fact passed in.
/// </summary>
public static class InputMounts
{
    /// <summary>The slot's links into the project directory; hostile or malformed targets are errors naming the entry.</summary>
    public static Checked<Seq<SlotLink>> Links(SlotListing listing, SlotContext context, WrapperFiles wrapper)
    {
        var links = new List<SlotLink>();
        var findings = new List<Diagnostic>();
        foreach (var e in listing.Entries.OrderBy(e => e.Name, System.StringComparer.Ordinal))
        {
            if (LinkFiles.Classify(e, wrapper) != SlotEntryRole.Input) continue;
            Either<Diagnostic, Option<(string Target, LinkStyle Style)>> target = e.Kind switch
            {
                SlotEntryKind.RegularFile f => LinkFiles.ReadSoftLink(e.Name, f.Head).Map(t => t.Map(x => (x, LinkStyle.LinkFile))),
                SlotEntryKind.Symlink s => Option<(string, LinkStyle)>.Some((s.Target, LinkStyle.Symlink)),
                _ => Option<(string, LinkStyle)>.None,
            };
            target.Match(
                Left: findings.Add,
                Right: t => t.Iter(x => LinkFiles.PhysicalName(e.Name, x.Target, context).Match(
                    Left: findings.Add,
                    Right: physical =>
                    {
                        if (!wrapper.PhysicalNames.Exists(p => p == physical))
                            links.Add(new SlotLink(e.Name, physical, x.Style));
                    })));
        }

        return Checked<Seq<SlotLink>>.Of(links.ToSeq(), findings.ToSeq());
    }

    /// <summary>The mounts for a plan, in the mode job.toml asks for.</summary>
    public static Seq<PlannedMount> Plan(PlanInput input, string workdir) =>
        Plan(input.Links.Links, input.Links.ExistingPhysicalNames, workdir, input.Host.ProjectPath,
            input.Task.ProjectDirName, input.Task.ResultName,
            input.Job.Config.ProjectDirMount.Filter(_ => !input.Job.Config.Confinement.ProjectDirWritable),
            input.Job.Config.ProjectDirMount, input.Job.Config.Inputs.LinkFiles);

    /// <summary>
    /// The mounts for <paramref name="links"/>: <paramref name="existing"/> holds the physical names that exist
    /// in the project directory at <paramref name="projectPath"/> on the host; <paramref name="readOnlyProjectMount"/>
    /// is project_dir_mount when the project directory is mounted there read-only (outputs need a writable
    /// file on top), <paramref name="projectMount"/> project_dir_mount however it is mounted. Every mount says why.
    /// </summary>
    public static Seq<PlannedMount> Plan(
        Seq<SlotLink> links, LanguageExt.HashSet<string> existing, string workdir, string projectPath,
        string projectDirName, string resultName, Option<string> readOnlyProjectMount, Option<string> projectMount,
        LinkFileMode mode)
    {
        var mounts = new List<PlannedMount>();
        bool IsOutput(SlotLink l) => IsOutputLink(l, existing, resultName);
        bool Bound(SlotLink l) => l.Style == LinkStyle.LinkFile && mode == LinkFileMode.Resolve;

        foreach (var l in links.Filter(Bound))
        {
            var source = Paths.Join(projectPath, l.PhysicalName);
            var target = Paths.Join(workdir, l.LogicalName);
            mounts.Add(IsOutput(l)
                ? new PlannedMount(source, target, false, Relabel.None, MountRole.LinkedOutput,
                    $"output '{l.LogicalName}' (link_files = \"resolve\"): its project file {l.PhysicalName}, writable, over the link file")
                : new PlannedMount(source, target, true, Relabel.None, MountRole.LinkedInput,
                    $"input '{l.LogicalName}' (link_files = \"resolve\"): its project file {l.PhysicalName}, read-only, over the link file"));
        }

        var kept = links.Filter(l => !Bound(l));
        if (kept.IsEmpty) return mounts.ToSeq();

        var root = SymlinkRoot(workdir, projectDirName);
        var rootMounted = false;
        if (projectMount.Exists(t => t == root))
        {
            rootMounted = true;
        }
        else if (LinkFiles.RelativeRootUsable(workdir, projectDirName))
        {
            rootMounted = true;
            mounts.Add(new PlannedMount(projectPath, root, true, Relabel.None, MountRole.SymlinkTarget,
                $"the project directory, read-only, where ../../projects/{projectDirName} lands from WORKDIR: the relative path of the slot's "
                + $"{(mode == LinkFileMode.AsWritten ? "links" : "symlinks")} ({string.Join(", ", kept.Map(s => s.LogicalName))}), kept as the client wrote them"));
        }

        foreach (var l in kept.Filter(IsOutput))
        {
            var source = Paths.Join(projectPath, l.PhysicalName);
            var what = l.Style == LinkStyle.Symlink ? "symlink" : "link file";
            if (rootMounted && !projectMount.Exists(t => t == root))
                mounts.Add(new PlannedMount(source, Paths.Join(root, l.PhysicalName), false, Relabel.None, MountRole.LinkedOutput,
                    $"output '{l.LogicalName}': the {what}'s target {l.PhysicalName}, writable where the link's relative path leads"));
            readOnlyProjectMount.Iter(pm => mounts.Add(new PlannedMount(source, Paths.Join(pm, l.PhysicalName), false, Relabel.None,
                MountRole.LinkedOutput,
                $"output '{l.LogicalName}': the {what}'s target {l.PhysicalName}, writable under project_dir_mount {pm} (the rest stays read-only)")));
        }

        return mounts.ToSeq();
    }

    /// <summary>Where <c>../../projects/&lt;dir&gt;</c> lands, seen from WORKDIR (".." at / stays at /).</summary>
    public static string SymlinkRoot(string workdir, string projectDirName) => LinkFiles.RelativeRoot(workdir, projectDirName);

    /// <summary>BOINC names output files <c>&lt;result name&gt;_&lt;n&gt;</c> (the OUTFILE_n macro of result templates).</summary>
    public static bool IsOutputName(string physicalName, string resultName) =>
        physicalName.Length > resultName.Length + 1
        && physicalName.StartsWith(resultName + "_", System.StringComparison.Ordinal)
        && physicalName.Skip(resultName.Length + 1).All(char.IsAsciiDigit);

    /// <summary>
    /// Whether a link names one of the result's output files: its physical file did not exist when the task was
    /// planned (the client writes output links before the job writes the files; inputs are downloaded before the
    /// start), or its physical name is BOINC's output name <c>&lt;result&gt;_&lt;n&gt;</c>.
    /// </summary>
    public static bool IsOutputLink(SlotLink link, LanguageExt.HashSet<string> existing, string resultName) =>
        !existing.Contains(link.PhysicalName) || IsOutputName(link.PhysicalName, resultName);

    /// <summary>
    /// The physical names (in the project directory) of the result's output files among the slot's links, each
    /// once: what the client adds to the slot's size before it compares with <c>rsc_disk_bound</c>.
    /// </summary>
    public static Seq<string> OutputFiles(LinkFacts links, string resultName) =>
        links.Links.Filter(l => IsOutputLink(l, links.ExistingPhysicalNames, resultName)).Map(l => l.PhysicalName).Distinct();

    /// <summary>Host files the shell must create (empty, without truncating) before the container starts.</summary>
    public static Seq<string> OutputsToCreate(Plan plan) =>
        plan.Container.Mounts.Filter(m => m.Role == MountRole.LinkedOutput).Map(m => m.Source).Distinct();
}
