using System;
using System.Globalization;
using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// Where the checkpoint store lives in a slot. All paths in checkpoint effects are relative to the slot
/// directory, written with '/', and never contain <c>..</c>. The container never sees <see cref="StateDirName"/>:
/// the planner hides it under an empty mount.
/// </summary>
public static class StoreLayout
{
    /// <summary>The wrapper's own directory in the slot (checkpoints here, the wrapper's journal beside them).</summary>
    public const string StateDirName = ".boinc-persist";

    public const string StoreDir = StateDirName + "/checkpoints";

    /// <summary>
    /// Format 1 (read, then retired): the first of the store's two manifest slots (<see cref="ManifestSlots"/>): each holds a manifest (the kept
    /// generations, their files and hashes, and its own checksum); the valid one listing the newest generation is
    /// the store's manifest, and a commit writes its new manifest over the other slot.
    /// </summary>
    public const string ManifestPath = StoreDir + "/MANIFEST";

    /// <summary>
    /// The second manifest slot. It keeps the name earlier versions gave the temp manifest they wrote before
    /// renaming it over <see cref="ManifestPath"/>, so a store an earlier version left reads as it did: a valid
    /// temp manifest there lists a newer generation than MANIFEST and is chosen, an invalid one is ignored.
    /// </summary>
    public const string TempManifestPath = StoreDir + "/MANIFEST.tmp";

    public const string GenerationPrefix = "gen-";

    /// <summary>The suffix of a pack: the one file of a generation of store format 2 (<see cref="PackFormat"/>).</summary>
    public const string PackSuffix = ".pack";

    /// <summary>Generation <paramref name="number"/>'s pack (<c>checkpoints/gen-0000000007.pack</c>).</summary>
    public static string PackPath(long number) =>
        StoreDir + "/" + GenerationPrefix + number.ToString("D10", CultureInfo.InvariantCulture) + PackSuffix;

    /// <summary>The generation number of a pack's name in the store (<c>gen-0000000007.pack</c>), if it is one.</summary>
    public static Option<long> ParsePackName(string name) =>
        name.EndsWith(PackSuffix, StringComparison.Ordinal)
            ? ParseGenerationDirName(name[..^PackSuffix.Length])
            : Option<long>.None;

    /// <summary>Suffix of the temp file a restore writes before renaming it over the app's file.</summary>
    public const string RestoreSuffix = ".bp-restore";

    /// <summary>Format 1: a generation's directory (read, then retired; format 2 writes <see cref="PackPath"/>).</summary>
    public static string GenerationDir(long number) =>
        StoreDir + "/" + GenerationPrefix + number.ToString("D10", CultureInfo.InvariantCulture);

    /// <summary>A stored file is named by its index in the generation, so app names never need escaping.</summary>
    public static string StoredFile(long generation, int index) =>
        GenerationDir(generation) + "/" + index.ToString("D5", CultureInfo.InvariantCulture);

    /// <summary>The generation number of a directory name in the store (<c>gen-0000000007</c>), if it is one.</summary>
    public static Option<long> ParseGenerationDirName(string name) =>
        name.StartsWith(GenerationPrefix, StringComparison.Ordinal) &&
        name.Length == GenerationPrefix.Length + 10 &&
        long.TryParse(name.AsSpan(GenerationPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? Option<long>.Some(n)
            : Option<long>.None;

    /// <summary>The directory part of a slot-relative path ("." for a top-level name).</summary>
    public static string Parent(string path)
    {
        var i = path.LastIndexOf('/');
        return i < 0 ? "." : path[..i];
    }

    /// <summary>Whether a slot-relative path belongs to the wrapper (and so is never an app checkpoint file).</summary>
    public static bool IsWrapperPath(string path) =>
        path == StateDirName || path.StartsWith(StateDirName + "/", StringComparison.Ordinal);
}
