using System.Linq;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Slots;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;

namespace Boinc.Persist.Properties.Slots;

[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 300)]
public class LinkFileProperties
{
    private static bool Inside(string root, string path)
    {
        var prefix = root.TrimEnd('/') + "/";
        var rest = path.StartsWith(prefix, System.StringComparison.Ordinal) ? path.Substring(prefix.Length) : null;
        return rest is { Length: > 0 } && rest.Split('/').All(s => s.Length > 0 && s != "." && s != "..");
    }

    private static bool InsideAMount(ContainerMounts m, string path) =>
        Inside(m.Workdir, path) || m.ProjectMount.Exists(p => Inside(p, path));

    [Property]
    public Property Every_input_of_a_well_formed_slot_resolves_inside_workdir_or_the_project_mount(WellFormedSlot s)
    {
        var result = LinkFiles.Resolve(s.Listing, s.Context, s.Mounts);
        var inputs = result.Value.IfNone(Seq<ResolvedInput>.Empty);
        var byName = inputs.ToDictionary(i => i.LogicalName);
        var expectedOk = s.Expected.ForAll(e => byName.TryGetValue(e.Logical, out var got) && e.Physical.Match(
            p => got is ResolvedInput.Linked l && l.PhysicalName == p
                 && s.Mounts.ProjectMount.Exists(m => l.ContainerPath == Boinc.Persist.Core.Paths.Join(m, p)),
            () => got is ResolvedInput.Copied cp && cp.ContainerPath == Boinc.Persist.Core.Paths.Join(s.Mounts.Workdir, e.Logical)));
        return (result.IsOk && result.Findings.IsEmpty).Label($"ok: {string.Join("; ", result.Findings)}")
            .And((inputs.Count == s.Expected.Count).Label("one input per copied file or link, none for BOINC files"))
            .And(expectedOk.Label("each input resolves to its file"))
            .And(inputs.ForAll(i => InsideAMount(s.Mounts, i.ContainerPath)).Label("inside a mount"));
    }

    [Property]
    public Property Hostile_link_files_are_rejected_naming_the_entry(HostileLink h)
    {
        var entry = new SlotEntry("input.dat", new SlotEntryKind.RegularFile($"<soft_link>{h.Target}</soft_link>\n"));
        var mounts = new ContainerMounts("/app", Option<string>.Some("/project"));
        var result = LinkFiles.Resolve(new SlotListing(new[] { entry }.ToSeq()), h.Context, mounts);
        var host = LinkFiles.ResolveHostPath(entry, h.Context);
        return (!result.IsOk).Label($"rejected: {h.Target}")
            .And(result.Errors.ForAll(e => e.Where.File == "input.dat").Label("names the entry"))
            .And((!host.IsOk).Label("no host path either"));
    }

    [Property]
    public Property Hostile_symlinks_are_rejected(HostileLink h)
    {
        var entry = new SlotEntry("input.dat", new SlotEntryKind.Symlink(h.Target));
        var mounts = new ContainerMounts("/app", Option<string>.Some("/project"));
        var result = LinkFiles.Resolve(new SlotListing(new[] { entry }.ToSeq()), h.Context, mounts);
        return (!h.HostileAsSymlink || !result.IsOk).Label($"rejected: {h.Target}")
            .And(result.Value.ForAll(v => v.ForAll(i => i.ContainerPath.StartsWith("/project/", System.StringComparison.Ordinal))));
    }

    [Property(MaxTest = 1000)]
    public Property Any_link_text_either_fails_or_lands_inside_the_project_mount(FuzzedLink f)
    {
        var mounts = new ContainerMounts("/app", Option<string>.Some("/project"));
        var asFile = new SlotEntry("f", new SlotEntryKind.RegularFile($"<soft_link>{f.Target}</soft_link>"));
        var asLink = new SlotEntry("s", new SlotEntryKind.Symlink(f.Target));
        var result = LinkFiles.Resolve(new SlotListing(new[] { asFile, asLink }.ToSeq()), f.Context, mounts);
        var outcome = LinkFiles.Resolve(new SlotListing(new[] { asLink }.ToSeq()), f.Context, mounts);
        var paths = result.Value.IfNone(Seq<ResolvedInput>.Empty) + outcome.Value.IfNone(Seq<ResolvedInput>.Empty);
        return paths.ForAll(i => Inside("/project", i.ContainerPath)).Label($"inside: {f.Target}")
            .Classify(outcome.IsOk, "accepted");
    }

    [Property]
    public Property Links_without_a_project_mount_ask_for_project_dir_mount(SlotContext c)
    {
        var entry = new SlotEntry("in", new SlotEntryKind.RegularFile($"<soft_link>../../projects/{c.ProjectDirName}/in_1</soft_link>\n"));
        var result = LinkFiles.Resolve(new SlotListing(new[] { entry }.ToSeq()), c, new ContainerMounts("/app", Option<string>.None));
        return result.Findings.Exists(e => e.Code == DiagnosticCodes.ProjectDirNotMounted && e.Message.Contains("project_dir_mount") && e.Where.File == "in")
            .Label(string.Join("; ", result.Findings));
    }

    [Property(MaxTest = 1000)]
    public Property In_both_modes_any_link_text_either_fails_naming_the_entry_or_lands_inside_the_project(FuzzedLink f, bool resolve, bool projectMount)
    {
        var mode = resolve ? Boinc.Persist.Core.Config.LinkFileMode.Resolve : Boinc.Persist.Core.Config.LinkFileMode.AsWritten;
        var mounts = new ContainerMounts("/app", projectMount ? Option<string>.Some("/project") : Option<string>.None) { LinkFiles = mode };
        var asFile = new SlotEntry("f", new SlotEntryKind.RegularFile($"<soft_link>{f.Target}</soft_link>"));
        var asLink = new SlotEntry("s", new SlotEntryKind.Symlink(f.Target));
        var file = LinkFiles.Resolve(new SlotListing(new[] { asFile }.ToSeq()), f.Context, mounts);
        var link = LinkFiles.Resolve(new SlotListing(new[] { asLink }.ToSeq()), f.Context, mounts);
        var viaPlanner = Boinc.Persist.Core.Planning.InputMounts.Links(new SlotListing(new[] { asFile, asLink }.ToSeq()), f.Context, WrapperFiles.Default);
        var root = LinkFiles.RelativeRoot("/app", f.Context.ProjectDirName);
        bool Lands(ResolvedInput i) => i.ContainerPath.StartsWith((projectMount ? "/project" : root) + "/", System.StringComparison.Ordinal)
                                        || (resolve && i is ResolvedInput.Linked { Style: LinkStyle.LinkFile } && i.ContainerPath == "/app/f");
        var same = viaPlanner.Errors.Count == file.Errors.Count + link.Errors.Count;
        var named = file.Errors.ForAll(e => e.Where.File == "f") && link.Errors.ForAll(e => e.Where.File == "s")
                    && viaPlanner.Errors.ForAll(e => e.Where.File is "f" or "s");
        var paths = file.Value.IfNone(Seq<ResolvedInput>.Empty).Then(link.Value.IfNone(Seq<ResolvedInput>.Empty));
        return paths.ForAll(Lands).Label($"inside: {f.Target}")
            .And(same.Label("the planner's Links refuses exactly what Resolve refuses"))
            .And(named.Label("errors name the slot entry"))
            .Classify(file.IsOk, "accepted");
    }
}
