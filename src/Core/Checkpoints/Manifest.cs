using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// What is known of a file: its size and digest (<see cref="Hashing.ContentDigest"/>: SHA-256 or XXH3-128, as text
/// that names its kind). Computed by whoever can read it.
/// </summary>
public sealed record FileFacts(long Size, string Digest);

/// <summary>One file of a generation: the app's name (WORKDIR-relative) and the digest its stored copy must have.</summary>
public sealed record StoredFile(int Index, string Name, long Size, string Digest);

/// <summary>
/// A committed generation: its number (strictly increasing), when it was committed (Unix ms, from the shell's
/// clock), the CPU time (nanoseconds, the one unit of CPU time in the code; seconds only in the manifest's text) and fraction done the app had reached, the engine/boot identity it ran under, and its
/// files. Invariant: file indexes are 0..n-1 and names distinct.
/// </summary>
public sealed record Generation(
    long Number,
    long CommittedAtUnixMs,
    long CpuNanos,
    double FractionDone,
    string EngineIdentity,
    Seq<StoredFile> Files)
{
    public long TotalBytes => Files.Fold(0L, (s, f) => s + f.Size);

    public string StoredPath(StoredFile f) => StoreLayout.StoredFile(Number, f.Index);
}

/// <summary>The store's manifest: the kept generations, oldest first.</summary>
public sealed record Manifest(Seq<Generation> Generations)
{
    public static Manifest Empty { get; } = new(Seq<Generation>.Empty);

    public Option<Generation> Latest => Generations.IsEmpty ? Option<Generation>.None : Generations.Last;
}
