using System.Linq;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>The first half of a commit: the new generation's number, the store it extends, its files, and the effects that stage them.</summary>
/// <remarks>
/// <see cref="Effects"/> remove the packs of commits that never sealed and write the files into the new pack
/// (<see cref="PackPath"/>, no fsync); <see cref="Fsyncs"/> are the fsyncs Seal runs after the pack's trailer.
/// </remarks>
public sealed record StagePlan(long Number, StoreState Store, Seq<string> Files, Seq<FsEffect> Effects, string PackPath, Seq<FsEffect> Fsyncs);

/// <summary>What the shell knows at commit time: CPU time, fraction done, engine/boot identity, and the time (Unix ms).</summary>
public sealed record CommitFacts(long CpuNanos, double FractionDone, string EngineIdentity, long NowUnixMs);

/// <summary>
/// The second half: the generation, the effects that make it durable (after which, and only after which, the
/// checkpoint may be acknowledged to BOINC), and the retention effects that follow.
/// </summary>
public sealed record SealPlan(Generation Generation, Seq<FsEffect> Durable, Seq<FsEffect> Retention);

/// <summary>
/// Commit of generation N+1 as file-system effects, in store format 2 (<see cref="PackFormat"/>): one new file per
/// generation. Two steps, because the pack's trailer records the hashes of the bytes that landed in it (hashing
/// what was written, not the app's files, means an app writing during the copy cannot make the trailer lie):
/// <see cref="Stage"/> copies the files into the new pack while the shell hashes them, <see cref="Seal"/> appends the
/// trailer and makes the pack and its name durable (two fsyncs; on a first commit two more, for the store's own
/// directories), then retires old generations.
/// </summary>
public static class CommitProtocol
{
    public static Fin<StagePlan> Stage(StoreState state, Seq<string> files, ProtocolVariant variant = ProtocolVariant.Correct)
    {
        if (files.IsEmpty)
            return Error.New("no file in WORKDIR matches the [checkpoint] files patterns; nothing to commit");
        var bad = files.Find(f => Paths.NormaliseRelative(f).Map(n => n != f).IfNone(true) || StoreLayout.IsWrapperPath(f) || f.Contains('\n'));
        if (bad.IsSome)
            return Error.New($"checkpoint file name {bad.IfNone("")} is not a plain WORKDIR-relative name");

        var format1 = ManifestSlots.Newest(state);
        if (state.SealedPacks.IsEmpty && format1.IsNone && state.ManifestText.IsSome)
            return Error.New($"{StoreLayout.ManifestPath}: {state.ManifestText.Map(t => ManifestText.Parse(t).Match(_ => "", e => e.Message)).IfNone("")}; run recovery first");
        var number = state.Packs.Map(p => p.Number)
            .Then(format1.Map(n => n.Manifest.Generations.Map(g => g.Number)).IfNone(Seq<long>.Empty))
            .Then(state.GenerationDirs)
            .Fold(0L, System.Math.Max) + 1;
        var pack = StoreLayout.PackPath(number);
        var e = new System.Collections.Generic.List<FsEffect>();
        var fsyncs = new System.Collections.Generic.List<FsEffect>();
        if (!state.StoreExists)
        {
            e.Add(new FsEffect.CreateDir(StoreLayout.StateDirName));
            e.Add(new FsEffect.CreateDir(StoreLayout.StoreDir));
        }

        // Packs whose trailer does not read are commits that never sealed (recovery removes those newer than what it
        // chose; a failed commit removes its own, unless that failed too): nothing refers to them.
        foreach (var stray in state.Packs.Filter(p => !p.Sealed))
            e.Add(new FsEffect.Delete(StoreLayout.PackPath(stray.Number)));
        e.Add(new FsEffect.PackFiles(files, pack));

        // The pack's bytes first, then its name: once both are durable the generation is committed. No order between
        // them is needed for the promise (a pack that survives without its bytes, or its bytes without its name, does
        // not verify and the previous generation is chosen), but the file's fsync first lets the directory's find
        // its change already written on file systems that journal the two together.
        if (variant != ProtocolVariant.CommitNoPackFsync) fsyncs.Add(new FsEffect.Fsync(pack));
        if (variant != ProtocolVariant.CommitNoStoreFsync) fsyncs.Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));
        // Until a generation was sealed, nothing made the store's own names durable: a commit that created them may
        // have failed (a full disk) before its fsyncs ran, and the next one finds them present.
        if (state.SealedPacks.IsEmpty && format1.IsNone)
        {
            if (variant != ProtocolVariant.CommitNoStateDirFsync) fsyncs.Add(new FsEffect.FsyncDir(StoreLayout.StateDirName));
            if (variant != ProtocolVariant.CommitNoSlotDirFsync) fsyncs.Add(new FsEffect.FsyncDir("."));
        }

        return new StagePlan(number, state, files, e.ToSeq(), pack, fsyncs.ToSeq());
    }

    /// <summary>
    /// Seal a staged generation. <paramref name="staged"/> are the facts of the bytes written into the pack, in file
    /// order. Keeps the <paramref name="keep"/> newest generations (the new one included).
    /// </summary>
    public static Fin<SealPlan> Seal(StagePlan stage, Seq<FileFacts> staged, CommitFacts facts, int keep, ProtocolVariant variant = ProtocolVariant.Correct)
    {
        if (staged.Count != stage.Files.Count)
            return Error.New($"{staged.Count} staged files observed for {stage.Files.Count} checkpoint files");
        if (keep < 2)
            return Error.New($"keep must be at least 2 (it is {keep})");
        var files = stage.Files.Zip(staged).Select((p, i) => new StoredFile(i, p.Item1, p.Item2.Size, p.Item2.Digest)).ToSeq();
        var generation = new Generation(stage.Number, facts.NowUnixMs, facts.CpuNanos, facts.FractionDone,
            ManifestText.OneLine(facts.EngineIdentity), files);
        // A generation is acknowledged only if its trailer reads back as itself: one the text format could not carry
        // (a value its parser refuses) would leave a durable pack that every reader takes for a torn commit, and the
        // next commit or recovery would remove it.
        var tail = PackFormat.Tail(generation);
        var readBack = PackFormat.ReadTrailer(stage.Number, generation.TotalBytes, tail[..^PackFormat.FooterBytes]);
        if (readBack.Match(g => g != generation, _ => true))
            return Error.New($"generation {stage.Number} not committed: its trailer would not read back as written ({readBack.Match(_ => "it reads as another generation", why => why)})");
        var sealedPacks = stage.Store.SealedPacks;
        var kept = sealedPacks.Skip(System.Math.Max(0, sealedPacks.Count - (keep - 1))).ToSeq();

        var durable = Effects(new FsEffect.AppendText(stage.PackPath, tail)).Then(stage.Fsyncs);

        // Only then retire: the packs beyond keep, and what store format 1 left beyond keep (its generations are
        // older than any pack's, so they fill the window last; recovery reads them only when no pack verifies).
        var format1 = ManifestSlots.Newest(stage.Store).Map(n => n.Manifest.Generations.Map(g => g.Number)).IfNone(Seq<long>.Empty);
        var format1Kept = format1.Skip(System.Math.Max(0, format1.Count - System.Math.Max(0, keep - 1 - kept.Count))).ToSeq();
        var retention = sealedPacks.Filter(p => !kept.Exists(k => k.Number == p.Number))
            .Map(p => (FsEffect)new FsEffect.Delete(StoreLayout.PackPath(p.Number)))
            .Then(Format1Remains(stage.Store, format1Kept));
        // No fsync of the store after these deletions: a deletion a crash undoes brings back an older generation,
        // which the next commit retires again; recovery never prefers it to a newer one that verifies.
        if (variant == ProtocolVariant.CommitRetentionBeforeDurable)
            return new SealPlan(generation, retention.Then(durable), Seq<FsEffect>.Empty);
        return new SealPlan(generation, durable, retention);
    }

    /// <summary>
    /// What store format 1 left in the store, to remove, but for the generations <paramref name="kept"/>: the other
    /// generation directories, then, once no generation of it is kept, the two manifest slots (while one is kept,
    /// its manifest stays: recovery reads a generation it lists whose directory is gone as not intact, and takes
    /// the newest that is).
    /// </summary>
    public static Seq<FsEffect> Format1Remains(StoreState store, Seq<long> kept) =>
        store.GenerationDirs.Filter(n => !kept.Contains(n)).Map(n => (FsEffect)new FsEffect.DeleteTree(StoreLayout.GenerationDir(n)))
            .Then(!kept.IsEmpty ? Seq<FsEffect>.Empty
                : (store.ManifestText.IsSome ? Effects(new FsEffect.Delete(StoreLayout.ManifestPath)) : Seq<FsEffect>.Empty)
                    .Then(store.TempManifestText.IsSome ? Effects(new FsEffect.Delete(StoreLayout.TempManifestPath)) : Seq<FsEffect>.Empty));

    /// <summary>
    /// What undoes a commit that failed before its pack was durable (a full disk, an I/O error, a file the app
    /// changed while it was copied): the new pack. Every older generation is untouched.
    /// </summary>
    public static Seq<FsEffect> Abandon(StagePlan stage) => Effects(new FsEffect.Delete(stage.PackPath));

    private static Seq<FsEffect> Effects(params FsEffect[] items) => items.ToSeq();
}
