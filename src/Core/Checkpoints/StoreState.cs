using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// What the shell saw of the store: whether its directory exists, the texts of the two manifest slots (None
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
