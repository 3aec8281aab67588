using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// What the shell saw of the store: whether its directory exists, the manifest and temp manifest texts (None
/// when absent or unreadable), and the generation directories present.
/// </summary>
public sealed record StoreState(bool StoreExists, Option<string> ManifestText, Option<string> TempManifestText, Seq<long> GenerationDirs)
{
    public static StoreState Missing { get; } = new(false, Option<string>.None, Option<string>.None, Seq<long>.Empty);
}

/// <summary>
/// What recovery needs on top of <see cref="StoreState"/>: size and hash of every file under the store
/// (slot-relative path), and of every file in WORKDIR matching the declared patterns (WORKDIR-relative name).
/// </summary>
public sealed record RecoveryInput(StoreState Store, HashMap<string, FileFacts> StoredFiles, HashMap<string, FileFacts> WorkFiles);

/// <summary>
/// The protocols Core can produce. Only <see cref="Correct"/> ships; the others are the deliberately broken
/// variants the crash model must catch (the tests' teeth, also runnable with <c>model-check --variant</c>).
/// </summary>
public enum ProtocolVariant
{
    /// <summary>copy + fsync each file, fsync the directories, temp manifest + fsync + rename + fsync-dir, then retention.</summary>
    Correct,

    /// <summary>Stored copies are never fsynced: the manifest can name data that a host crash loses.</summary>
    NoFileFsync,

    /// <summary>No directory is fsynced: names (the generation, its files, the renamed manifest) can vanish in a crash.</summary>
    NoDirFsync,

    /// <summary>The manifest is truncated and rewritten in place: a crash mid-write leaves no valid manifest at all.</summary>
    ManifestInPlace,

    /// <summary>Every older generation is deleted (durably) before the new one's manifest is durable.</summary>
    DeleteBeforeDurable,
}
