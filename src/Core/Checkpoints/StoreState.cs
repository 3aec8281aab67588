using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// What the shell saw of the store: whether its directory exists, its packs (store format 2, ascending by number;
/// their trailers read, their files' ranges only where recovery needs them), and what a store of format 1 left: the
/// texts of the two manifest slots (None when absent or unreadable) and the generation directories present.
/// </summary>
public sealed record StoreState(bool StoreExists, Option<string> ManifestText, Option<string> TempManifestText, Seq<long> GenerationDirs, Seq<PackSeen> Packs = default)
{
    public static StoreState Missing { get; } = new(false, Option<string>.None, Option<string>.None, Seq<long>.Empty);

    /// <summary>Whether anything of store format 1 is there (a manifest slot or a generation directory).</summary>
    public bool HasFormat1 => ManifestText.IsSome || TempManifestText.IsSome || !GenerationDirs.IsEmpty;

    /// <summary>The packs whose trailer reads, ascending.</summary>
    public Seq<PackSeen> SealedPacks => Packs.Filter(p => p.Sealed);

    /// <summary>
    /// The store's generations, oldest first, as their records say (not verified): the sealed packs' when there are
    /// any, else the generations store format 1's manifest lists.
    /// </summary>
    public Manifest Current =>
        SealedPacks.IsEmpty
            ? ManifestSlots.Newest(this).Map(n => n.Manifest).IfNone(Manifest.Empty)
            : new Manifest(SealedPacks.Map(p => p.Generation).Somes().ToSeq());

    /// <summary>
    /// Which digest to take of WORKDIR's file <paramref name="name"/> for <see cref="RecoveryInput.WorkFiles"/>: the
    /// kind the newest generation listing it recorded (what a restore compares the file with when that generation is
    /// chosen); XXH3-128, what commits write, where none lists it. If an older generation of the other kind is chosen
    /// instead (a store written before and after pack v3, its newest pack torn), the digests differ and the file is
    /// restored: one copy more, never one skipped.
    /// </summary>
    public Hashing.DigestKind WorkDigestKind(string name) =>
        Current.Generations.Reverse().Bind(g => g.Files).Find(f => f.Name == name)
            .Map(f => Hashing.ContentDigest.KindOf(f.Digest)).IfNone(Hashing.DigestKind.Xxh3_128);
}

/// <summary>
/// What recovery needs on top of <see cref="StoreState"/> (whose packs' ranges must have been read): size and hash
/// of every file of a format-1 generation directory (slot-relative path), and of every file in WORKDIR matching the
/// declared patterns (WORKDIR-relative name).
/// </summary>
public sealed record RecoveryInput(StoreState Store, HashMap<string, FileFacts> StoredFiles, HashMap<string, FileFacts> WorkFiles);
