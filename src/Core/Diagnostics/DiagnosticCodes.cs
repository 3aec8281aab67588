using System.Collections.Generic;
using System.Globalization;
using LanguageExt;

namespace Boinc.Persist.Core.Diagnostics;

/// <summary>
/// One diagnostic code: a stable id (<c>BP-AREA000</c>, for tools, docs and searching) and what it means.
/// Codes are values: code that decides on a finding compares codes, never their text. Every code is defined
/// once, in <see cref="DiagnosticCodes"/>; messages may improve, ids never change meaning.
/// </summary>
public sealed record DiagnosticCode
{
    internal DiagnosticCode(string id, string meaning)
    {
        Id = id;
        Meaning = meaning;
    }

    public string Id { get; }

    /// <summary>What the finding means and, where it helps, what to do about it (one or two sentences).</summary>
    public string Meaning { get; }

    /// <summary>The area of the id: <c>CFG</c> in <c>BP-CFG004</c>.</summary>
    public string Area => Id[3..^3];

    /// <summary>The number of the id within its area: 4 in <c>BP-CFG004</c>.</summary>
    public int Number => int.Parse(Id[^3..], NumberStyles.None, CultureInfo.InvariantCulture);

    public override string ToString() => Id;
}

/// <summary>
/// The catalogue of every diagnostic code the wrapper and its commands report, one prefix style
/// (<c>BP-</c>, an area, three digits). <c>docs/DIAGNOSTICS.md</c> is generated from it (a test checks it is
/// current) and a test fails on a code literal anywhere outside this file.
/// </summary>
public static class DiagnosticCodes
{
    // First, so that it exists when the fields below are initialised (in textual order).
    private static readonly List<DiagnosticCode> Defined = new();

    /// <summary>Every code, in the order of this file (by area, then number).</summary>
    public static IReadOnlyList<DiagnosticCode> All => Defined;

    /// <summary>The areas, in the order of this file, with the file or subject each one is about.</summary>
    public static readonly IReadOnlyList<(string Area, string Subject)> Areas = new[]
    {
        ("CFG", "job.toml (and the TOML syntax of every configuration file)"),
        ("DF", "the Dockerfile"),
        ("DIR", "the job directory and the files the wrapper reads from it"),
        ("INIT", "init_data.xml, written by the BOINC client"),
        ("SLOT", "the slot directory's entries and BOINC link files"),
        ("PLAN", "the plan: what would be built, mounted and run"),
        ("POL", "the volunteer's host policy (/etc/boinc-persist/policy.toml) and what it allows"),
        ("PIN", "the configuration pinned at the task's first start"),
        ("MNT", "mount sources on the host"),
        ("DISK", "the disk budget (rsc_disk_bound)"),
        ("JRN", "the slot's journal (the wrapper's own record of the task)"),
    };

    /// <summary>The code with this id, if the catalogue has it.</summary>
    public static Option<DiagnosticCode> Find(string id)
    {
        foreach (var c in Defined)
            if (c.Id == id) return c;
        return Option<DiagnosticCode>.None;
    }

    private static DiagnosticCode Define(string id, string meaning)
    {
        var code = new DiagnosticCode(id, meaning);
        Defined.Add(code);
        return code;
    }

    // ---- job.toml ------------------------------------------------------------------------------------------

    public static readonly DiagnosticCode ConfigSyntax = Define("BP-CFG001",
        "A TOML file does not parse (syntax error, duplicate key); the location is the parser's line.");

    public static readonly DiagnosticCode ConfigKeyIgnored = Define("BP-CFG002",
        "Warning: a key is unknown (with a suggestion when one is close) or has no effect here, and is ignored.");

    public static readonly DiagnosticCode ConfigWrongType = Define("BP-CFG003",
        "A key holds the wrong kind of value (a string where a number is expected, ...).");

    public static readonly DiagnosticCode ConfigBadValue = Define("BP-CFG004",
        "A value is of the right kind but not allowed: out of range, not one of the listed words, not a size or a duration.");

    public static readonly DiagnosticCode ConfigBadContainerPath = Define("BP-CFG005",
        "A path inside the container (workdir, project_dir_mount) is not absolute, contains '..', or is the root.");

    public static readonly DiagnosticCode ConfigBadImageName = Define("BP-CFG006",
        "image_name is not a valid image reference by Docker's rules (lower-case [registry/]name[:tag]).");

    public static readonly DiagnosticCode ConfigImageNameBoincPrefix = Define("BP-CFG007",
        "Warning: the image name starts with BOINC's own prefix; newer BOINC clients delete such images when no task uses them.");

    public static readonly DiagnosticCode ConfigBadMount = Define("BP-CFG008",
        "A mount is not source:target[:options], its target is not an absolute path without '..', or an option is not ro, rw, z or Z.");

    public static readonly DiagnosticCode ConfigMountSourceEscapes = Define("BP-CFG009",
        "A mount source leaves the slot (a relative source is a path inside the slot) or is an absolute path with '..'.");

    public static readonly DiagnosticCode ConfigBadPortMap = Define("BP-CFG010",
        "A portmap is not [ip:]hostPort:containerPort[/tcp|udp] with valid ports and address.");

    public static readonly DiagnosticCode ConfigBadCheckpointName = Define("BP-CFG011",
        "A checkpoint file (or done marker) is not a path relative to WORKDIR that stays inside it, or is a pattern where a plain name is needed.");

    public static readonly DiagnosticCode ConfigCheckpointIsBoincFile = Define("BP-CFG012",
        "A checkpoint file is one of BOINC's own slot files (init_data.xml, boinc_finish_called, ...), which the wrapper never restores.");

    public static readonly DiagnosticCode ConfigBadCapability = Define("BP-CFG013",
        "A capability is not a Linux capability name, or is one that gives the job control of the host (refused whatever the policy says).");

    public static readonly DiagnosticCode ConfigBadBuildArgs = Define("BP-CFG020",
        "build_args (docker_wrapper's docker build options) has an option that is malformed, unknown, or refused (the message says which and why).");

    public static readonly DiagnosticCode ConfigBadCreateArgs = Define("BP-CFG021",
        "create_args (docker_wrapper's docker create options) has an option that is malformed, unknown, or refused because it would weaken the confinement (--privileged, host mounts, ...).");

    public static readonly DiagnosticCode ConfigLimitGivenTwice = Define("BP-CFG022",
        "A limit (memory, cpus, pids) is given both in create_args and in [limits]; keep one.");

    public static readonly DiagnosticCode ConfigNeedsNetwork = Define("BP-CFG030",
        "portmap or web graphics need a network, and jobs have none unless [confinement] network asks for one.");

    public static readonly DiagnosticCode ConfigKeepTooSmall = Define("BP-CFG040",
        "checkpoint.keep is below 2: the newest generation is only trusted while the one before it is still there.");

    public static readonly DiagnosticCode ConfigDoneMarkerWithoutFiles = Define("BP-CFG041",
        "checkpoint.done_marker is set but checkpoint.files does not say what to commit.");

    public static readonly DiagnosticCode ConfigStopGraceTooLong = Define("BP-CFG042",
        "stop_grace is longer than a quit may take before the BOINC client kills the wrapper.");

    // ---- Dockerfile ----------------------------------------------------------------------------------------

    public static readonly DiagnosticCode DockerfileEmpty = Define("BP-DF001",
        "The Dockerfile has no instructions; it needs at least a FROM.");

    public static readonly DiagnosticCode DockerfileMissingFrom = Define("BP-DF002",
        "An instruction comes before any FROM (only ARG may).");

    public static readonly DiagnosticCode DockerfileUnknownInstruction = Define("BP-DF003",
        "An instruction docker build does not know.");

    public static readonly DiagnosticCode DockerfileCopyFromContext = Define("BP-DF004",
        "COPY reads from the build context, which is empty: files reach the job through the slot (mounted at WORKDIR); COPY --from and heredocs are fine.");

    public static readonly DiagnosticCode DockerfileAddFromContext = Define("BP-DF005",
        "ADD reads from the build context, which is empty: ship the file with the job and read it from the slot.");

    public static readonly DiagnosticCode DockerfileAddRemote = Define("BP-DF006",
        "Warning: ADD fetches a URL at build time; volunteers' hosts build without network by default.");

    public static readonly DiagnosticCode DockerfileRunBindsContext = Define("BP-DF007",
        "RUN --mount=type=bind without from= binds the (empty) build context.");

    public static readonly DiagnosticCode DockerfileBadDirective = Define("BP-DF008",
        "A parser directive is repeated, or # escape= names another token than ` or \\.");

    public static readonly DiagnosticCode DockerfileUnterminatedHeredoc = Define("BP-DF009",
        "A heredoc is not closed before the end of the file.");

    public static readonly DiagnosticCode DockerfileWorkdirUnresolved = Define("BP-DF010",
        "WORKDIR uses a variable only the base image knows; set workdir in job.toml (a warning from the analyser, BP-PLAN014 when job.toml does not).");

    public static readonly DiagnosticCode DockerfileWorkdirRelativeToBase = Define("BP-DF011",
        "Warning: a relative WORKDIR is joined onto the base image's WORKDIR, which the Dockerfile does not show; / is assumed (write an absolute path or set workdir in job.toml).");

    public static readonly DiagnosticCode DockerfileMalformed = Define("BP-DF012",
        "An instruction is malformed (missing arguments, bad flag, bad quoting).");

    public static readonly DiagnosticCode DockerfileNotJson = Define("BP-DF013",
        "Warning: an instruction starts with '[' but is not a JSON array of strings, so Docker runs it in shell form.");

    // ---- the job directory ---------------------------------------------------------------------------------

    public static readonly DiagnosticCode DirectoryMissing = Define("BP-DIR001",
        "The job directory (or slot) named on the command line does not exist.");

    public static readonly DiagnosticCode DirectoryStandalone = Define("BP-DIR002",
        "Warning: no init_data.xml, so the directory is checked as a project's job directory on its own, with stand-in task names and limits.");

    public static readonly DiagnosticCode DirectoryDockerfileMissing = Define("BP-DIR003",
        "The Dockerfile is missing and job.toml names no prebuilt image (image_name).");

    public static readonly DiagnosticCode DirectoryFileMissing = Define("BP-DIR004",
        "A job file (or the project file its link names) does not exist, or vanished while it was read.");

    public static readonly DiagnosticCode DirectoryFileTooLarge = Define("BP-DIR005",
        "A job file (job.toml, Dockerfile) is larger than the wrapper reads; it is refused rather than truncated.");

    public static readonly DiagnosticCode DirectoryFileNotText = Define("BP-DIR006",
        "A job file is not UTF-8 text.");

    public static readonly DiagnosticCode DirectoryFileUnreadable = Define("BP-DIR007",
        "A job file could not be read (permissions, I/O error); the message carries the system's reason.");

    // ---- init_data.xml -------------------------------------------------------------------------------------

    public static readonly DiagnosticCode InitDataMalformed = Define("BP-INIT001",
        "init_data.xml is not well-formed XML (the location carries the parser's line).");

    public static readonly DiagnosticCode InitDataWrongRoot = Define("BP-INIT002",
        "init_data.xml's root element is not <app_init_data>.");

    public static readonly DiagnosticCode InitDataBadNumber = Define("BP-INIT003",
        "A numeric element of init_data.xml does not hold a finite number in invariant notation.");

    public static readonly DiagnosticCode InitDataMissingElement = Define("BP-INIT004",
        "A required element of init_data.xml (project_dir, wu_name, result_name) is missing or empty.");

    public static readonly DiagnosticCode InitDataBadProjectDir = Define("BP-INIT005",
        "init_data.xml's project_dir has no usable last segment (empty, '.', '..').");

    public static readonly DiagnosticCode InitDataNotFound = Define("BP-INIT006",
        "init_data.xml does not exist in the slot.");

    public static readonly DiagnosticCode InitDataUnreadable = Define("BP-INIT007",
        "init_data.xml exists but could not be read.");

    // ---- the slot and link files ---------------------------------------------------------------------------

    public static readonly DiagnosticCode LinkMalformed = Define("BP-SLOT001",
        "A file starts with <soft_link> but is not a well-formed link (no closing tag on the same line, bad escape, bad encoding).");

    public static readonly DiagnosticCode LinkEscapesProject = Define("BP-SLOT002",
        "A link file or symlink leads outside the project directory ('..', an absolute path elsewhere, another project's directory, the slot itself).");

    public static readonly DiagnosticCode LinkBadPhysicalName = Define("BP-SLOT003",
        "The physical name inside a link is unusable: empty, control characters, '.'/'..' or empty segments, backslashes, percent-encoded dots or slashes, whitespace around a segment.");

    public static readonly DiagnosticCode ProjectDirNotMounted = Define("BP-SLOT004",
        "An input links into the project directory but job.toml does not mount it (project_dir_mount): a warning when the link's own relative path still reaches the file, an error when not.");

    public static readonly DiagnosticCode BadEntryName = Define("BP-SLOT005",
        "A slot entry's own name is unusable (empty, '.', '..', contains '/' or NUL).");

    public static readonly DiagnosticCode SpecialEntrySkipped = Define("BP-SLOT006",
        "Warning: a slot entry that is neither a file, a symlink nor a directory (fifo, socket, device) is ignored.");

    public static readonly DiagnosticCode BadMountPoint = Define("BP-SLOT007",
        "The container WORKDIR or project mount point is not an absolute, normal path.");

    public static readonly DiagnosticCode EntryNotReadable = Define("BP-SLOT008",
        "A file the wrapper must read from the slot is missing or is not a regular file.");

    public static readonly DiagnosticCode SlotUnreadable = Define("BP-SLOT009",
        "The slot directory itself or one of its entries could not be listed or read.");

    // ---- the plan ------------------------------------------------------------------------------------------

    public static readonly DiagnosticCode PlanWorkdirDiffers = Define("BP-PLAN001",
        "job.toml's workdir differs from the Dockerfile's WORKDIR; the slot is mounted at one of them only.");

    public static readonly DiagnosticCode PlanProjectMountHidesSlot = Define("BP-PLAN002",
        "project_dir_mount is on or above WORKDIR, so it would hide the slot.");

    public static readonly DiagnosticCode PlanProjectMountInsideSlot = Define("BP-PLAN003",
        "Warning: project_dir_mount is inside WORKDIR; an empty directory of that name appears in the slot.");

    public static readonly DiagnosticCode PlanWritableWithoutProjectMount = Define("BP-PLAN004",
        "Warning: project_dir_writable has no effect without project_dir_mount.");

    public static readonly DiagnosticCode PlanMountHidesSlot = Define("BP-PLAN005",
        "A mount or tmpfs target is on or above WORKDIR, so it would hide the slot.");

    public static readonly DiagnosticCode PlanMountOnKernelFs = Define("BP-PLAN006",
        "A mount target is one of the container's kernel file systems (/proc, /sys, /dev).");

    public static readonly DiagnosticCode PlanMountSourceOutside = Define("BP-PLAN007",
        "A mount source is a host path outside the slot and project directories.");

    public static readonly DiagnosticCode PlanTargetMountedTwice = Define("BP-PLAN008",
        "Two mounts (job.toml, create_args, the wrapper's own) have the same target; a target can have one mount.");

    public static readonly DiagnosticCode PlanNoMemoryLimit = Define("BP-PLAN009",
        "Warning: no memory limit (no rsc_memory_bound in init_data.xml and no [limits] memory).");

    public static readonly DiagnosticCode PlanMemoryAboveBound = Define("BP-PLAN010",
        "Warning: the memory limit is above the task's rsc_memory_bound; the BOINC client may abort the task first.");

    public static readonly DiagnosticCode PlanEnvironmentTwice = Define("BP-PLAN011",
        "Warning: an environment variable is set more than once; the last one wins.");

    public static readonly DiagnosticCode PlanReservedLabel = Define("BP-PLAN012",
        "A label in create_args is reserved for the wrapper's own bookkeeping.");

    public static readonly DiagnosticCode PlanNameSanitised = Define("BP-PLAN013",
        "Warning: the project or result name has characters Docker does not allow in names; the container name says which one it became.");

    public static readonly DiagnosticCode PlanWorkdirUnknown = Define("BP-PLAN014",
        "The Dockerfile's WORKDIR uses a variable only the base image knows and job.toml sets no workdir, so the slot has no place to be mounted.");

    public static readonly DiagnosticCode PlanNoWorkdir = Define("BP-PLAN015",
        "WORKDIR is, or is under, a kernel file system of the container, or is a system directory that mounting the slot there would replace.");

    public static readonly DiagnosticCode PlanMountRefused = Define("BP-PLAN016",
        "A mount source is the wrapper's state directory (committed checkpoints, the journal) or inside it, the slot itself (already mounted at WORKDIR), or a directory that contains the slot.");

    // ---- the host policy -----------------------------------------------------------------------------------

    public static readonly DiagnosticCode PolicyBadValue = Define("BP-POL001",
        "The host policy has a key that is unknown or holds a value of the wrong kind.");

    public static readonly DiagnosticCode PolicyUnreadable = Define("BP-POL002",
        "The host policy file cannot be read, or is too large; the wrapper refuses to run rather than guess the volunteer's wishes.");

    public static readonly DiagnosticCode PolicyBadGcTable = Define("BP-POL003",
        "The [gc] table of the host policy has a key that is unknown or a value that is not a duration or size.");

    public static readonly DiagnosticCode PolicyJudgedAgainstDefault = Define("BP-POL004",
        "Warning (check, plan): the host policy cannot be read, so the job directory is judged against the built-in default.");

    public static readonly DiagnosticCode PolicyCapabilityRefused = Define("BP-POL010",
        "job.toml asks for a capability the host policy does not allow (policy: capabilities = [...]).");

    public static readonly DiagnosticCode PolicyHostNetworkRefused = Define("BP-POL011",
        "job.toml asks for the host's network, which the host policy does not allow (policy: host_network = true).");

    public static readonly DiagnosticCode PolicyBridgeNetworkRefused = Define("BP-POL012",
        "job.toml asks for a bridge network, which the host policy does not allow (policy: bridge_network = true).");

    public static readonly DiagnosticCode PolicyRootUserRefused = Define("BP-POL013",
        "job.toml asks to run as root, which the host policy does not allow (policy: root_user = true).");

    public static readonly DiagnosticCode PolicyNewPrivilegesRefused = Define("BP-POL014",
        "job.toml turns off no_new_privileges, which the host policy does not allow (policy: new_privileges = true).");

    public static readonly DiagnosticCode PolicyGpuRefused = Define("BP-POL016",
        "job.toml asks for the host's GPUs, which the host policy does not allow (policy: gpu = true).");

    public static readonly DiagnosticCode PolicyPublishedPortsRefused = Define("BP-POL017",
        "job.toml publishes ports on the host, which the host policy does not allow (policy: published_ports = true).");

    public static readonly DiagnosticCode PolicyWritableProjectDirRefused = Define("BP-POL018",
        "job.toml asks for a writable project directory, which the host policy does not allow (policy: project_dir_writable = true).");

    public static readonly DiagnosticCode PolicyRelaxationInForce = Define("BP-POL100",
        "Warning: a relaxation of the confinement is in force because the host policy allows it; printed at every start.");

    // ---- pinned configuration ------------------------------------------------------------------------------

    public static readonly DiagnosticCode PinChanged = Define("BP-PIN001",
        "A configuration file pinned at the task's first start (job.toml, the Dockerfile) changed since; a job may not change its own configuration, so the task is not run again (compute error).");

    public static readonly DiagnosticCode PinUnparsable = Define("BP-PIN002",
        "The configuration pins cannot be parsed; the wrapper wrote them, so something else changed them.");

    public static readonly DiagnosticCode PinUnreadable = Define("BP-PIN003",
        "The configuration pins cannot be read or written.");

    // ---- mount sources -------------------------------------------------------------------------------------

    public static readonly DiagnosticCode MountSourceUnusable = Define("BP-MNT001",
        "A mount source, resolved to its real path on the host, lands where its role forbids (out of the slot or project, into the wrapper's state, onto the slot) or on a host path the policy does not accept (a warning from check, an error when the job runs).");

    // ---- disk budget ---------------------------------------------------------------------------------------

    public static readonly DiagnosticCode DiskCheckpointsDoNotFit = Define("BP-DISK001",
        "Warning: the checkpoint files now in the slot, with the generations kept, do not fit in rsc_disk_bound.");

    public static readonly DiagnosticCode DiskNotMeasured = Define("BP-DISK002",
        "Warning: the slot could not be measured against rsc_disk_bound.");

    // ---- the journal ---------------------------------------------------------------------------------------

    public static readonly DiagnosticCode JournalEmpty = Define("BP-JRN001", "The journal is empty.");

    public static readonly DiagnosticCode JournalNoChecksum = Define("BP-JRN002",
        "The journal has no checksum line (torn, or not a journal).");

    public static readonly DiagnosticCode JournalTornLine = Define("BP-JRN003",
        "The journal's last line is incomplete (a torn write).");

    public static readonly DiagnosticCode JournalChecksumMismatch = Define("BP-JRN004",
        "The journal's checksum does not match its contents (torn or garbled).");

    public static readonly DiagnosticCode JournalBadHeader = Define("BP-JRN005",
        "The journal does not start with its header line.");

    public static readonly DiagnosticCode JournalFieldCount = Define("BP-JRN006",
        "The journal has the wrong number of fields.");

    public static readonly DiagnosticCode JournalUnexpectedKey = Define("BP-JRN007",
        "A journal line has another key than expected (reordered or garbled).");

    public static readonly DiagnosticCode JournalBadEscape = Define("BP-JRN008",
        "A journal value has a bad escape.");

    public static readonly DiagnosticCode JournalEmptyContainer = Define("BP-JRN009",
        "The journal's container name is empty.");

    public static readonly DiagnosticCode JournalBadGeneration = Define("BP-JRN010",
        "The journal's generation is not a non-negative integer.");

    public static readonly DiagnosticCode JournalBadCpuBase = Define("BP-JRN011",
        "The journal's CPU time base is not a non-negative integer.");

    public static readonly DiagnosticCode JournalBadExitCode = Define("BP-JRN012",
        "The journal's exit code is not an integer.");

    public static readonly DiagnosticCode JournalBadIntent = Define("BP-JRN013",
        "The journal's intent is not run, stop or abort.");
}
