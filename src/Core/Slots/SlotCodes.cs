namespace Boinc.Persist.Core.Slots;

/// <summary>
/// The catalogue of diagnostic codes about the slot directory: <c>INIT…</c> for <c>init_data.xml</c>,
/// <c>SLOT…</c> for the slot's entries and link files. Codes are stable; messages may improve.
/// </summary>
public static class SlotCodes
{
    /// <summary>init_data.xml is not well-formed XML (the location carries the parser's line).</summary>
    public const string InitDataMalformed = "INIT001";

    /// <summary>The root element is not <c>&lt;app_init_data&gt;</c>.</summary>
    public const string InitDataWrongRoot = "INIT002";

    /// <summary>A numeric element does not hold a finite number in invariant notation.</summary>
    public const string InitDataBadNumber = "INIT003";

    /// <summary>A required element (project_dir, wu_name, result_name) is missing or empty.</summary>
    public const string InitDataMissingElement = "INIT004";

    /// <summary>project_dir has no usable last segment (empty, <c>.</c>, <c>..</c>).</summary>
    public const string InitDataBadProjectDir = "INIT005";

    /// <summary>init_data.xml does not exist in the slot (shell).</summary>
    public const string InitDataNotFound = "INIT006";

    /// <summary>init_data.xml exists but could not be read (shell).</summary>
    public const string InitDataUnreadable = "INIT007";

    /// <summary>A file starts with <c>&lt;soft_link&gt;</c> but is not a well-formed link (no closing tag on
    /// the same line, bad escape, bad encoding).</summary>
    public const string LinkMalformed = "SLOT001";

    /// <summary>A link file or symlink leads outside the project directory (<c>..</c>, absolute path
    /// elsewhere, another project's directory, the slot itself).</summary>
    public const string LinkEscapesProject = "SLOT002";

    /// <summary>The physical name inside a link is unusable: empty, control characters, <c>.</c>/<c>..</c>
    /// or empty segments, backslashes, percent-encoded dots or slashes, whitespace around a segment.</summary>
    public const string LinkBadPhysicalName = "SLOT003";

    /// <summary>An input links into the project directory but job.toml does not mount it
    /// (<c>project_dir_mount</c>): a warning when the link's own relative path still reaches the file (the
    /// directory is mounted where <c>../../projects/&lt;dir&gt;</c> lands from WORKDIR), an error when not.</summary>
    public const string ProjectDirNotMounted = "SLOT004";

    /// <summary>A slot entry's own name is unusable (empty, <c>.</c>, <c>..</c>, contains <c>/</c> or NUL).</summary>
    public const string BadEntryName = "SLOT005";

    /// <summary>Warning: a slot entry that is neither a file, a symlink nor a directory (fifo, socket, device)
    /// is ignored.</summary>
    public const string SpecialEntrySkipped = "SLOT006";

    /// <summary>The container WORKDIR or project mount point is not an absolute, normal path.</summary>
    public const string BadMountPoint = "SLOT007";

    /// <summary>A file the wrapper must read from the slot is missing or is not a file.</summary>
    public const string EntryNotReadable = "SLOT008";

    /// <summary>The slot directory itself or one of its entries could not be listed or read (shell).</summary>
    public const string SlotUnreadable = "SLOT009";
}
