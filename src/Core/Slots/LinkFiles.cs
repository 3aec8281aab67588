using System;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using LanguageExt;

namespace Boinc.Persist.Core.Slots;

/// <summary>
/// Resolves the slot's link files and symlinks the way <c>boinc_resolve_filename</c> does, but refuses
/// anything that leads outside the project directory. A link file is a regular file whose text starts, after
/// optional whitespace, with <c>&lt;soft_link&gt;</c>; the target ends at <c>&lt;/soft_link&gt;</c> on the
/// same line, is stripped of surrounding whitespace and XML-unescaped (as the client does). The only accepted
/// targets are <c>../../projects/&lt;ProjectDirName&gt;/&lt;physical&gt;</c> (what the client writes) and
/// <c>&lt;ProjectDir&gt;/&lt;physical&gt;</c>, where <c>physical</c> is one or more plain segments.
/// </summary>
public static class LinkFiles
{
    private const string OpenTag = "<soft_link>";
    private const string CloseTag = "</soft_link>";

    /// <summary>Files that the client or the BOINC API keeps in every slot (lib/app_ipc.h and friends).</summary>
    public static readonly Seq<string> BoincFileNames = new[]
    {
        "init_data.xml", "boinc_mmap_file", "boinc_lockfile", "stderr.txt", "stdout.txt",
        "boinc_finish_called", "boinc_temporary_exit", "boinc_task_state.xml", "trickle_up.xml",
        "graphics_app",
    }.ToSeq();

    private static readonly Seq<string> BoincFilePrefixes = new[] { "boinc_ufr_", "boinc_ufs_" }.ToSeq();

    public static bool IsBoincFile(string name) =>
        BoincFileNames.Exists(n => n == name) || BoincFilePrefixes.Exists(p => name.StartsWith(p, StringComparison.Ordinal));

    /// <summary>What an entry is to the wrapper, by its name and kind alone.</summary>
    public static SlotEntryRole Classify(SlotEntry entry, WrapperFiles wrapper) =>
        IsBoincFile(entry.Name) ? SlotEntryRole.BoincFile
        : wrapper.LogicalNames.Exists(n => n == entry.Name) ? SlotEntryRole.WrapperFile
        : entry.Kind switch
        {
            SlotEntryKind.Directory => SlotEntryRole.Directory,
            SlotEntryKind.Other => SlotEntryRole.Special,
            _ => SlotEntryRole.Input,
        };

    /// <summary>The job's inputs, each with the path the container sees. Errors name the slot entry.</summary>
    public static Checked<Seq<ResolvedInput>> Resolve(
        SlotListing listing, SlotContext context, ContainerMounts mounts, WrapperFiles wrapper)
    {
        var mountErrors = CheckMount(mounts.Workdir, "workdir")
            .Then(mounts.ProjectMount.Match(p => CheckMount(p, "project_dir_mount"), () => Seq<Diagnostic>.Empty));
        if (!mountErrors.IsEmpty)
            return Checked<Seq<ResolvedInput>>.Fail(mountErrors);

        var results = listing.Entries.Map(e => ResolveEntry(e, context, mounts, wrapper));
        var inputs = results.Bind(r => r.Value.Match(o => o.ToSeq(), () => Seq<ResolvedInput>.Empty));
        var findings = results.Bind(r => r.Findings);
        return Checked<Seq<ResolvedInput>>.Of(inputs, findings.Then(UnmountedProjectNote(inputs, mounts)));
    }

    /// <summary>
    /// Where <c>../../projects/&lt;dir&gt;</c> lands seen from <paramref name="workdir"/> (".." at / stays at /):
    /// the link's own relative path, as <c>boinc_resolve_filename</c> returns it, opened from WORKDIR.
    /// </summary>
    public static string RelativeRoot(string workdir, string projectDirName)
    {
        var segs = workdir.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        for (var i = 0; i < 2 && segs.Count > 0; i++) segs.RemoveAt(segs.Count - 1);
        segs.Add("projects");
        segs.Add(projectDirName);
        return "/" + string.Join('/', segs);
    }

    /// <summary>
    /// The relative root can be mounted only when it is neither WORKDIR, nor above it (it would hide the slot),
    /// nor inside it (the engine would create a directory in the slot).
    /// </summary>
    public static bool RelativeRootUsable(string workdir, string projectDirName)
    {
        var root = RelativeRoot(workdir, projectDirName);
        return !Paths.IsAtOrUnder(workdir, root) && !Paths.IsAtOrUnder(root, workdir);
    }

    /// <summary>
    /// Link files left as written with no project_dir_mount: the files are reachable only by the link's own
    /// relative path; an app that rewrites the link to /project, as BOINC's sample app does, finds nothing.
    /// Said once, naming the first such entry.
    /// </summary>
    private static Seq<Diagnostic> UnmountedProjectNote(Seq<ResolvedInput> inputs, ContainerMounts mounts)
    {
        if (mounts.ProjectMount.IsSome || mounts.LinkFiles != LinkFileMode.AsWritten) return Seq<Diagnostic>.Empty;
        var linkFiles = inputs.Choose(i => i is ResolvedInput.Linked { Style: LinkStyle.LinkFile } l ? Option<ResolvedInput.Linked>.Some(l) : Option<ResolvedInput.Linked>.None);
        return linkFiles.HeadOrNone().Match(
            first => Seq1(Diagnostic.Warning(
                DiagnosticCodes.ProjectDirNotMounted, Location.InFile(first.LogicalName),
                $"'{first.LogicalName}' is a link file, kept as the client wrote it (link_files = \"as-written\"), and job.toml has no "
                + $"project_dir_mount: the job reaches '{first.PhysicalName}' only by the link's own relative path ({first.ContainerPath}). "
                + "An app that rewrites link files to /project, as BOINC's docker_wrapper sample does, needs project_dir_mount = \"/project\"; "
                + "an app that opens its inputs by logical name needs [inputs] link_files = \"resolve\".")),
            () => Seq<Diagnostic>.Empty);
    }

    public static Checked<Seq<ResolvedInput>> Resolve(SlotListing listing, SlotContext context, ContainerMounts mounts) =>
        Resolve(listing, context, mounts, WrapperFiles.Default);

    /// <summary>
    /// The path, relative to the slot directory (or absolute when the link was absolute), at which the shell
    /// reads an entry on the host: its own name for a plain file, the checked link target for a link file or a
    /// symlink (e.g. <c>../../projects/x/job_1.toml</c>).
    /// </summary>
    public static Checked<string> ResolveHostPath(SlotEntry entry, SlotContext context) =>
        entry.Kind switch
        {
            SlotEntryKind.RegularFile f => ReadSoftLink(entry.Name, f.Head).Match(
                Left: Checked<string>.Fail,
                Right: target => target.Match(
                    t => HostPath(entry.Name, t, context),
                    () => Checked<string>.Ok(entry.Name))),
            SlotEntryKind.Symlink s => HostPath(entry.Name, s.Target, context),
            _ => Checked<string>.Fail(Diagnostic.Error(
                DiagnosticCodes.EntryNotReadable, Location.InFile(entry.Name),
                $"'{entry.Name}' is a {KindName(entry.Kind)}, not a file the wrapper can read.")),
        };

    public static Checked<string> ResolveHostPath(SlotListing listing, string name, SlotContext context) =>
        listing.Find(name).Match(
            e => ResolveHostPath(e, context),
            () => Checked<string>.Fail(Diagnostic.Error(
                DiagnosticCodes.EntryNotReadable, Location.InFile(name),
                $"'{name}' is not in the slot directory; the client puts it there when the app version lists it.")));

    /// <summary>
    /// Reads a link file's first bytes. Right(None): not a link file. Right(Some target): the unescaped text
    /// between the tags. Left: it starts like a link file but is not a well-formed one.
    /// </summary>
    public static Either<Diagnostic, Option<string>> ReadSoftLink(string entryName, string head)
    {
        var text = head.TrimStart().TrimStart('\uFEFF').TrimStart();
        if (!text.StartsWith(OpenTag, StringComparison.Ordinal))
            return Option<string>.None;
        var rest = text.Substring(OpenTag.Length);
        var newline = rest.IndexOf('\n');
        var line = newline < 0 ? rest : rest.Substring(0, newline);
        var close = line.IndexOf('<');
        if (close < 0 || string.CompareOrdinal(line, close, CloseTag, 0, CloseTag.Length) != 0)
            return Malformed(entryName, $"the link file has no {CloseTag} right after its target on the first line.");
        var inner = line.Substring(0, close).Trim(' ', '\t', '\r', '\v', '\f');
        return BoincText.XmlUnescape(inner).Match(
            Some: t => Either<Diagnostic, Option<string>>.Right(Option<string>.Some(t)),
            None: () => Malformed(entryName, "the link target is not valid UTF-8 once unescaped."));
    }

    /// <summary>
    /// Checks a link target (link file text or symlink target) against the project dir and returns the
    /// physical name relative to it, or an error naming the slot entry.
    /// </summary>
    public static Either<Diagnostic, string> PhysicalName(string entryName, string target, SlotContext context) =>
        Target(entryName, target, context).Map(t => t.Physical);

    private sealed record LinkTarget(string Physical, bool Absolute);

    private static Checked<Option<ResolvedInput>> ResolveEntry(
        SlotEntry entry, SlotContext context, ContainerMounts mounts, WrapperFiles wrapper)
    {
        var name = entry.Name;
        if (name.Length == 0 || name == "." || name == ".." || name.Contains('/') || name.Contains('\0'))
            return Failed(Diagnostic.Error(
                DiagnosticCodes.BadEntryName, Location.InFile(Printable(name)),
                "a slot entry's name must be one non-empty path segment."));

        switch (Classify(entry, wrapper))
        {
            case SlotEntryRole.Special:
                return Checked<Option<ResolvedInput>>.Of(Option<ResolvedInput>.None, Seq1(Diagnostic.Warning(
                    DiagnosticCodes.SpecialEntrySkipped, Location.InFile(name),
                    $"'{name}' is a {KindName(entry.Kind)}; it is not passed to the job as an input.")));
            case SlotEntryRole.Input:
                break;
            default:
                return Checked<Option<ResolvedInput>>.Ok(Option<ResolvedInput>.None);
        }

        var link = entry.Kind switch
        {
            SlotEntryKind.RegularFile f => ReadSoftLink(name, f.Head).Map(t => t.Map(x => (x, LinkStyle.LinkFile))),
            SlotEntryKind.Symlink s => Option<(string, LinkStyle)>.Some((s.Target, LinkStyle.Symlink)),
            _ => Option<(string, LinkStyle)>.None,
        };

        return link.Match(
            Left: Failed,
            Right: l => l.Match(
                None: () => Checked<Option<ResolvedInput>>.Ok(
                    new ResolvedInput.Copied(name, Paths.Join(mounts.Workdir, name))),
                Some: ts => Target(name, ts.Item1, context).Match(
                    Left: Failed,
                    Right: t => Linked(name, t.Physical, ts.Item2, context, mounts, wrapper))));
    }

    private static Checked<Option<ResolvedInput>> Linked(
        string name, string physical, LinkStyle style, SlotContext context, ContainerMounts mounts, WrapperFiles wrapper)
    {
        if (wrapper.PhysicalNames.Exists(p => p == physical))
            return Checked<Option<ResolvedInput>>.Ok(Option<ResolvedInput>.None);
        ResolvedInput At(string path) => new ResolvedInput.Linked(name, physical, style, path);
        if (style == LinkStyle.LinkFile && mounts.LinkFiles == LinkFileMode.Resolve)
            return Checked<Option<ResolvedInput>>.Ok(At(Paths.Join(mounts.Workdir, name)));
        if (mounts.ProjectMount.IsSome)
            return Checked<Option<ResolvedInput>>.Ok(At(Paths.Join(mounts.ProjectMount.IfNone(""), physical)));
        if (RelativeRootUsable(mounts.Workdir, context.ProjectDirName))
            return Checked<Option<ResolvedInput>>.Ok(At(Paths.Join(RelativeRoot(mounts.Workdir, context.ProjectDirName), physical)));
        return Failed(Diagnostic.Error(
            DiagnosticCodes.ProjectDirNotMounted, Location.InFile(name),
            $"'{name}' links to '{physical}' in the project directory, which the container cannot reach: job.toml has no "
            + $"project_dir_mount and WORKDIR {mounts.Workdir} leaves no room for ../../projects/{context.ProjectDirName}; "
            + "set project_dir_mount in job.toml (e.g. project_dir_mount = \"/project\")."));
    }

    private static Checked<string> HostPath(string entryName, string target, SlotContext context) =>
        Target(entryName, target, context).Match(
            Left: Checked<string>.Fail,
            Right: t => Checked<string>.Ok(t.Absolute
                ? Paths.Join(context.ProjectDir, t.Physical)
                : $"../../projects/{context.ProjectDirName}/{t.Physical}"));

    private static Either<Diagnostic, LinkTarget> Target(string entryName, string target, SlotContext context)
    {
        Either<Diagnostic, LinkTarget> Bad(string why) => Diagnostic.Error(
            DiagnosticCodes.LinkBadPhysicalName, Location.InFile(entryName), $"the link target '{Printable(target)}' {why}");
        Either<Diagnostic, LinkTarget> Escapes(string why) => Diagnostic.Error(
            DiagnosticCodes.LinkEscapesProject, Location.InFile(entryName),
            $"the link target '{Printable(target)}' {why}; a link must stay inside the project directory "
            + $"(../../projects/{context.ProjectDirName}/<file>).");

        if (target.Length == 0) return Bad("is empty.");
        if (target.Any(char.IsControl)) return Bad("contains a control character (NUL, newline, …).");
        if (target.Contains('\\')) return Bad("contains a backslash.");
        if (PercentTricks.Exists(p => target.Contains(p, StringComparison.OrdinalIgnoreCase)))
            return Bad("contains a percent-encoded dot, slash or NUL.");

        var segments = target.Split('/').ToSeq();
        Seq<string> rest;
        bool absolute = target.StartsWith('/');
        if (absolute)
        {
            var dir = context.ProjectDir.Split('/', StringSplitOptions.RemoveEmptyEntries).ToSeq();
            var tail = segments.Tail;
            var projectDirIsPlain = context.ProjectDir.StartsWith('/') && dir.ForAll(s => s != "." && s != "..");
            if (!projectDirIsPlain || tail.Count <= dir.Count || !tail.Take(dir.Count).SequenceEqual(dir))
                return Escapes(tail.Exists(s => s == "projects") && !tail.Exists(s => s == "..")
                    ? "is an absolute path that is not in this task's project directory"
                    : "is an absolute path outside the project directory");
            rest = tail.Skip(dir.Count);
        }
        else
        {
            if (segments.Count < 4 || segments[0] != ".." || segments[1] != ".." || segments[2] != "projects")
                return Escapes("does not start with ../../projects/");
            var dir = segments[3];
            if (dir != context.ProjectDirName)
                return Escapes(dir is "" or "." or ".."
                    ? "does not name a project directory after ../../projects/"
                    : $"points into another project's directory '{Printable(dir)}'");
            rest = segments.Skip(4);
        }

        if (rest.IsEmpty) return Bad("names the project directory itself, not a file in it.");
        if (rest.Exists(s => s == "..")) return Escapes("climbs out with '..'");
        if (rest.Exists(s => s.Length == 0)) return Bad("has an empty path segment (// or a trailing /).");
        if (rest.Exists(s => s == ".")) return Bad("has a '.' path segment.");
        if (rest.Exists(s => s.Trim() != s)) return Bad("has a path segment with whitespace at its start or end.");
        return new LinkTarget(string.Join("/", rest), absolute);
    }

    private static readonly Seq<string> PercentTricks = new[] { "%2e", "%2f", "%5c", "%00" }.ToSeq();

    private static Seq<Diagnostic> CheckMount(string path, string key)
    {
        var segments = path.Split('/');
        var ok = path.StartsWith('/') && !path.Any(char.IsControl) && !path.Contains('\\')
                 && segments.All(s => s != "." && s != "..");
        return ok
            ? Seq<Diagnostic>.Empty
            : Seq1(Diagnostic.Error(
                DiagnosticCodes.BadMountPoint, Location.InFile("job.toml").WithKey(key),
                $"{key} '{Printable(path)}' must be an absolute container path without '.' or '..' segments."));
    }


    private static string KindName(SlotEntryKind kind) => kind switch
    {
        SlotEntryKind.Directory => "directory",
        SlotEntryKind.Symlink => "symbolic link",
        SlotEntryKind.RegularFile => "regular file",
        _ => "special file (fifo, socket or device)",
    };

    private static string Printable(string s) =>
        string.Concat(s.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    private static Either<Diagnostic, Option<string>> Malformed(string entryName, string why) =>
        Diagnostic.Error(DiagnosticCodes.LinkMalformed, Location.InFile(entryName), why);

    private static Checked<Option<ResolvedInput>> Failed(Diagnostic d) => Checked<Option<ResolvedInput>>.Fail(d);

    private static Seq<Diagnostic> Seq1(Diagnostic d) => new[] { d }.ToSeq();
}
