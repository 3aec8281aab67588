using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// The store's two manifest slots, <see cref="StoreLayout.ManifestPath"/> and <see cref="StoreLayout.TempManifestPath"/>.
/// The store's manifest is the valid one (its checksum matches) listing the newest generation; a commit writes its
/// new manifest over the other slot, so the current one is never touched while the new one may still be torn, and
/// the new one needs no rename: once its bytes and name are durable (in the commit's one batch of fsyncs, beside
/// the copies it names), it is the newest valid manifest, and a crash before that leaves the current one chosen.
/// </summary>
public static class ManifestSlots
{
    /// <summary>
    /// The store's manifest and the slot it is in: among the valid ones, the one listing the newest generation;
    /// on a tie (a retirement rewrote the same newest generation with fewer beside it) the one listing fewer
    /// generations, the later write; then <see cref="StoreLayout.ManifestPath"/>. None when neither is valid.
    /// </summary>
    public static Option<(string Path, Manifest Manifest)> Newest(StoreState store) => Valid(store).HeadOrNone();

    public static Option<(string Path, Manifest Manifest)> Newest(Option<string> first, Option<string> second) =>
        Valid(first, second).HeadOrNone();

    /// <summary>The valid slots, the store's manifest (<see cref="Newest(StoreState)"/>) first.</summary>
    public static Seq<(string Path, Manifest Manifest)> Valid(StoreState store) => Valid(store.ManifestText, store.TempManifestText);

    public static Seq<(string Path, Manifest Manifest)> Valid(Option<string> first, Option<string> second)
    {
        var valid = Parsed(StoreLayout.ManifestPath, first).Then(Parsed(StoreLayout.TempManifestPath, second));
        return valid.Count == 2 && Newer(valid[1].Manifest, valid[0].Manifest) ? valid.Rev() : valid;
    }

    /// <summary>The text a slot held when the store was observed.</summary>
    public static Option<string> TextOf(StoreState store, string path) =>
        path == StoreLayout.ManifestPath ? store.ManifestText : store.TempManifestText;

    private static Seq<(string Path, Manifest Manifest)> Parsed(string path, Option<string> text) =>
        text.Bind(t => ManifestText.Parse(t).ToOption()).Map(m => (path, m)).ToSeq();

    /// <summary>Whether <paramref name="m"/> is a later write than <paramref name="than"/> (see <see cref="Newest(StoreState)"/>).</summary>
    private static bool Newer(Manifest m, Manifest than)
    {
        var n = m.Latest.Map(g => g.Number).IfNone(0);
        var t = than.Latest.Map(g => g.Number).IfNone(0);
        return n != t ? n > t : m.Generations.Count < than.Generations.Count;
    }

    /// <summary>The slot a new manifest is written to: the one not holding the store's manifest.</summary>
    public static string Other(Option<string> currentPath) =>
        currentPath.Map(p => p == StoreLayout.ManifestPath ? StoreLayout.TempManifestPath : StoreLayout.ManifestPath)
            .IfNone(StoreLayout.ManifestPath);
}
