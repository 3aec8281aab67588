using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>What is known of a file: its size and SHA-256 (lower-case hex). Computed by whoever can read it.</summary>
public sealed record FileFacts(long Size, string Sha256);

/// <summary>One file of a generation: the app's name (WORKDIR-relative) and what its stored copy must hash to.</summary>
public sealed record StoredFile(int Index, string Name, long Size, string Sha256);

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
