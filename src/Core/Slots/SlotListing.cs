using LanguageExt;

namespace Boinc.Persist.Core.Slots;

/// <summary>What one slot entry is, as <c>lstat</c> saw it (symlinks are not followed).</summary>
public abstract record SlotEntryKind
{
    private SlotEntryKind() { }

    /// <summary>A regular file; <paramref name="Head"/> is its first bytes (at most 4096) decoded as UTF-8.</summary>
    public sealed record RegularFile(string Head) : SlotEntryKind;

    /// <summary>A symbolic link and its target exactly as <c>readlink</c> returned it.</summary>
    public sealed record Symlink(string Target) : SlotEntryKind;

    public sealed record Directory : SlotEntryKind;

    /// <summary>A fifo, socket, device or anything else.</summary>
    public sealed record Other : SlotEntryKind;
}

/// <summary>One entry of the slot directory: its name (one path segment) and kind.</summary>
public sealed record SlotEntry(string Name, SlotEntryKind Kind);

/// <summary>The slot directory's entries as the shell saw them, in no particular order.</summary>
public sealed record SlotListing(Seq<SlotEntry> Entries)
{
    public Option<SlotEntry> Find(string name) => Entries.Find(e => e.Name == name);
}

/// <summary>
/// Where the container sees things: the slot is mounted at <see cref="Workdir"/>; the project directory at
/// <see cref="ProjectMount"/> when job.toml sets <c>project_dir_mount</c>. Both are absolute container paths.
/// </summary>
public sealed record ContainerMounts(string Workdir, Option<string> ProjectMount)
{
    /// <summary>job.toml's <c>[inputs] link_files</c>: whether link files are left as written or resolved.</summary>
    public Config.LinkFileMode LinkFiles { get; init; } = Config.LinkFileMode.AsWritten;
}

/// <summary>
/// Names in the slot that belong to the wrapper rather than to the job: its configuration and Dockerfile
/// (which may be link files into the project dir) and its own executable, by logical or physical name.
/// </summary>
public sealed record WrapperFiles(Seq<string> LogicalNames, Seq<string> PhysicalNames)
{
    /// <summary>The defaults of BOINC's docker_wrapper: <c>job.toml</c> and <c>Dockerfile</c>.</summary>
    public static readonly WrapperFiles Default = new(new[] { "job.toml", "Dockerfile" }.ToSeq(), Seq<string>.Empty);

    public static WrapperFiles Of(string configName, string dockerfileName) =>
        new(new[] { configName, dockerfileName }.ToSeq(), Seq<string>.Empty);

    /// <summary>
    /// Adds the wrapper's own program as the client started it (<c>../../projects/&lt;dir&gt;/&lt;file&gt;</c>):
    /// a link in the slot with that physical name is the wrapper, not an input.
    /// </summary>
    public WrapperFiles WithProgram(string argv0)
    {
        var slash = argv0.LastIndexOf('/');
        var name = slash < 0 ? argv0 : argv0.Substring(slash + 1);
        return name.Length == 0 ? this : this with { LogicalNames = LogicalNames.Add(name), PhysicalNames = PhysicalNames.Add(name) };
    }
}

/// <summary>What a slot entry is to the wrapper.</summary>
public enum SlotEntryRole
{
    /// <summary>Written by the client or the BOINC API: init_data.xml, boinc_mmap_file, stderr.txt, …</summary>
    BoincFile,

    /// <summary>The wrapper's own configuration, Dockerfile or program.</summary>
    WrapperFile,

    /// <summary>A file or symlink the job may read: a copied input or a link into the project dir.</summary>
    Input,

    /// <summary>A subdirectory: it reaches the container through the slot mount; nothing to resolve.</summary>
    Directory,

    /// <summary>A fifo, socket or device: ignored with a warning.</summary>
    Special,
}

/// <summary>A job input and where the container finds it.</summary>
public abstract record ResolvedInput
{
    private ResolvedInput() { }

    /// <summary>The name the job opens (the slot entry's name).</summary>
    public abstract string LogicalName { get; init; }

    /// <summary>The absolute path of the input inside the container.</summary>
    public abstract string ContainerPath { get; init; }

    /// <summary>A physical copy in the slot (<c>&lt;copy_file/&gt;</c>), seen at <c>&lt;workdir&gt;/&lt;name&gt;</c>.</summary>
    public sealed record Copied(string LogicalName, string ContainerPath) : ResolvedInput;

    /// <summary>A link file or symlink to <paramref name="PhysicalName"/> (a path relative to the project dir)
    /// whose bytes the container reads at <c>ContainerPath</c>: <c>&lt;project mount&gt;/&lt;physical&gt;</c>, else
    /// where the link's relative path lands from WORKDIR, or WORKDIR/&lt;logical&gt; under
    /// <c>link_files = "resolve"</c>.</summary>
    public sealed record Linked(string LogicalName, string PhysicalName, LinkStyle Style, string ContainerPath)
        : ResolvedInput;
}

/// <summary>How the client made the link: a <c>&lt;soft_link&gt;</c> file, or a symlink (<c>use_symlinks</c>).</summary>
public enum LinkStyle
{
    LinkFile,
    Symlink,
}
