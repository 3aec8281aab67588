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
/// Makes every logical file name work inside the container without rewriting anything (no <c>sed</c> on link
/// files, BOINC's own files stay intact for the client):
/// <list type="bullet">
/// <item>A copy (<c>&lt;copy_file/&gt;</c>) is already a real file in the slot, hence at WORKDIR/&lt;name&gt;.</item>
/// <item>A <c>&lt;soft_link&gt;</c> link file gets a single-file bind mount of the physical project file onto
/// WORKDIR/&lt;logical name&gt;, so the job opens its logical name and reads the right bytes; on the host the
/// link file under the mount is untouched.</item>
/// <item>A real symlink (<c>use_symlinks</c>) already says <c>../../projects/&lt;dir&gt;/&lt;file&gt;</c>; it
/// resolves inside the container once the project directory is mounted, read-only, at
/// WORKDIR/../../projects/&lt;dir&gt;, which is what this plans.</item>
/// <item>Outputs are read-write: a link whose physical file does not exist yet (the client writes the link
/// before the job writes the file), or whose physical name is BOINC's output name <c>&lt;result&gt;_&lt;n&gt;</c>
/// (so a restarted job can still write it). The shell creates missing output files, empty, before the start
/// (<see cref="OutputsToCreate"/>), because a bind mount needs an existing source.</item>
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

    /// <summary>The mounts for a plan: see <see cref="Plan(Seq{SlotLink}, LanguageExt.HashSet{string}, string, string, string, string, Option{string})"/>.</summary>
    public static Seq<PlannedMount> Plan(PlanInput input, string workdir) =>
        Plan(input.Links.Links, input.Links.ExistingPhysicalNames, workdir, input.Host.ProjectPath,
            input.Task.ProjectDirName, input.Task.ResultName, input.Job.Config.ProjectDirMount);

    /// <summary>
    /// The mounts for <paramref name="links"/>: <paramref name="existing"/> holds the physical names that exist
    /// in the project directory at <paramref name="projectPath"/> on the host. Every mount says why it exists.
    /// </summary>
    public static Seq<PlannedMount> Plan(
        Seq<SlotLink> links, LanguageExt.HashSet<string> existing, string workdir, string projectPath,
        string projectDirName, string resultName, Option<string> projectMountTarget)
    {
        var mounts = new List<PlannedMount>();
        bool IsOutput(SlotLink l) => !existing.Contains(l.PhysicalName) || IsOutputName(l.PhysicalName, resultName);

        foreach (var l in links.Filter(l => l.Style == LinkStyle.LinkFile))
        {
            var source = Paths.Join(projectPath, l.PhysicalName);
            var target = Paths.Join(workdir, l.LogicalName);
            mounts.Add(IsOutput(l)
                ? new PlannedMount(source, target, false, Relabel.None, MountRole.LinkedOutput,
                    $"output '{l.LogicalName}': the link file's target {l.PhysicalName} in the project directory, writable")
                : new PlannedMount(source, target, true, Relabel.None, MountRole.LinkedInput,
                    $"input '{l.LogicalName}': the link file's target {l.PhysicalName} from the project directory, read-only"));
        }

        var symlinks = links.Filter(l => l.Style == LinkStyle.Symlink);
        if (!symlinks.IsEmpty)
        {
            var root = SymlinkRoot(workdir, projectDirName);
            if (!projectMountTarget.Exists(t => t == root))
                mounts.Add(new PlannedMount(projectPath, root, true, Relabel.None, MountRole.SymlinkTarget,
                $"the project directory, read-only, where the slot's symlinks ({string.Join(", ", symlinks.Map(s => s.LogicalName))}) point"));
            foreach (var l in symlinks.Filter(IsOutput))
                mounts.Add(new PlannedMount(Paths.Join(projectPath, l.PhysicalName), Paths.Join(root, l.PhysicalName), false,
                    Relabel.None, MountRole.LinkedOutput,
                    $"output '{l.LogicalName}': the symlink's target {l.PhysicalName}, writable"));
        }

        return mounts.ToSeq();
    }

    /// <summary>Where <c>../../projects/&lt;dir&gt;</c> lands, seen from WORKDIR (".." at / stays at /).</summary>
    public static string SymlinkRoot(string workdir, string projectDirName)
    {
        var segs = workdir.Split('/', System.StringSplitOptions.RemoveEmptyEntries).ToList();
        for (var i = 0; i < 2 && segs.Count > 0; i++) segs.RemoveAt(segs.Count - 1);
        segs.Add("projects");
        segs.Add(projectDirName);
        return "/" + string.Join('/', segs);
    }

    /// <summary>BOINC names output files <c>&lt;result name&gt;_&lt;n&gt;</c> (the OUTFILE_n macro of result templates).</summary>
    public static bool IsOutputName(string physicalName, string resultName) =>
        physicalName.Length > resultName.Length + 1
        && physicalName.StartsWith(resultName + "_", System.StringComparison.Ordinal)
        && physicalName.Skip(resultName.Length + 1).All(char.IsAsciiDigit);

    /// <summary>Host files the shell must create (empty, without truncating) before the container starts.</summary>
    public static Seq<string> OutputsToCreate(Plan plan) =>
        plan.Container.Mounts.Filter(m => m.Role == MountRole.LinkedOutput).Map(m => m.Source);
}
