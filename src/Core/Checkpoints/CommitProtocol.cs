using System.Linq;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>The first half of a commit: the new generation's number, the manifest it extends, its files, and the effects that stage them.</summary>
/// <remarks>
/// <see cref="Effects"/> create gen-N and copy the files (no fsync); <see cref="ManifestPath"/> is the manifest slot
/// Seal writes (the one the store's manifest is not in); <see cref="Fsyncs"/> are the fsyncs Seal runs with the new
/// manifest's own, in one run.
/// </remarks>
public sealed record StagePlan(long Number, Manifest Current, Seq<string> Files, Seq<FsEffect> Effects, string ManifestPath, Seq<FsEffect> Fsyncs);

/// <summary>What the shell knows at commit time: CPU time, fraction done, engine/boot identity, and the time (Unix ms).</summary>
public sealed record CommitFacts(long CpuNanos, double FractionDone, string EngineIdentity, long NowUnixMs);

/// <summary>
/// The second half: the generation, the manifest that lists it, the effects that make it durable (after which,
/// and only after which, the checkpoint may be acknowledged to BOINC), and the retention effects that follow.
/// </summary>
public sealed record SealPlan(Generation Generation, Manifest Next, Seq<FsEffect> Durable, Seq<FsEffect> Retention);

/// <summary>
/// Commit of generation N+1 as file-system effects. Two steps, because the manifest records the hashes of
/// the stored copies (hashing the copies, not the app's files, means an app writing during the copy cannot
/// make the manifest lie): <see cref="Stage"/> copies, the shell hashes what landed (while copying, or reading a
/// reflinked copy back), <see cref="Seal"/> writes the new manifest to the other slot and makes it and everything it
/// names durable in one run of fsyncs, then retires old generations.
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

        var newest = ManifestSlots.Newest(state);
        if (newest.IsNone && state.ManifestText.IsSome)
            return Error.New($"{StoreLayout.ManifestPath}: {state.ManifestText.Map(t => ManifestText.Parse(t).Match(_ => "", e => e.Message)).IfNone("")}; run recovery first");
        var m = newest.Map(n => n.Manifest).IfNone(Manifest.Empty);
        var listed = m.Generations.Map(g => g.Number);
        var number = listed.Then(state.GenerationDirs).Fold(0L, System.Math.Max) + 1;
        var gen = StoreLayout.GenerationDir(number);
        var e = new System.Collections.Generic.List<FsEffect>();
        // The fsyncs the new manifest waits for. They are not run here: Seal issues them in ONE run with the new
        // manifest's own (see there).
        var fsyncs = new System.Collections.Generic.List<FsEffect>();
        if (!state.StoreExists)
        {
            e.Add(new FsEffect.CreateDir(StoreLayout.StateDirName));
            e.Add(new FsEffect.CreateDir(StoreLayout.StoreDir));
        }

        // Until a manifest was sealed, nothing made the store's own names durable: a commit that created them may
        // have failed (a full disk) before its fsyncs ran, and the next one finds them present.
        if (newest.IsNone)
        {
            if (variant != ProtocolVariant.CommitNoSlotDirFsync) fsyncs.Add(new FsEffect.FsyncDir("."));
            if (variant != ProtocolVariant.CommitNoStateDirFsync) fsyncs.Add(new FsEffect.FsyncDir(StoreLayout.StateDirName));
        }

        // Leftovers of commits that never sealed, and generations only the older manifest slot still lists: not in
        // the store's manifest (durable: the commit that wrote it, or recovery, made it so), so nothing refers to them.
        foreach (var stray in state.GenerationDirs.Filter(n => !listed.Contains(n)))
            e.Add(new FsEffect.DeleteTree(StoreLayout.GenerationDir(stray)));
        e.Add(new FsEffect.CreateDir(gen));
        // The store's names (gen-N, and the new manifest Seal writes) are durable with the manifest.
        if (variant != ProtocolVariant.CommitNoStoreFsync) fsyncs.Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));

        for (var i = 0; i < files.Count; i++)
        {
            var to = StoreLayout.StoredFile(number, i);
            e.Add(new FsEffect.CopyFile(files[i], to));
            if (variant != ProtocolVariant.CommitNoCopyFsync) fsyncs.Add(new FsEffect.Fsync(to));
        }

        if (variant != ProtocolVariant.CommitNoGenerationDirFsync)
            fsyncs.Add(new FsEffect.FsyncDir(gen));
        var target = variant == ProtocolVariant.CommitManifestInPlace
            ? newest.Map(n => n.Path).IfNone(StoreLayout.ManifestPath)
            : ManifestSlots.Other(newest.Map(n => n.Path));
        return new StagePlan(number, m, files, e.ToSeq(), target, fsyncs.ToSeq());
    }

    /// <summary>
    /// Seal a staged generation. <paramref name="staged"/> are the facts of the stored copies, in file order.
    /// Keeps the <paramref name="keep"/> newest generations (the new one included).
    /// </summary>
    public static Fin<SealPlan> Seal(StagePlan stage, Seq<FileFacts> staged, CommitFacts facts, int keep, ProtocolVariant variant = ProtocolVariant.Correct)
    {
        if (staged.Count != stage.Files.Count)
            return Error.New($"{staged.Count} staged files observed for {stage.Files.Count} checkpoint files");
        if (keep < 2)
            return Error.New($"keep must be at least 2 (it is {keep})");
        var files = stage.Files.Zip(staged).Select((p, i) => new StoredFile(i, p.Item1, p.Item2.Size, p.Item2.Sha256)).ToSeq();
        var generation = new Generation(stage.Number, facts.NowUnixMs, facts.CpuNanos, facts.FractionDone,
            ManifestText.OneLine(facts.EngineIdentity), files);
        var kept = stage.Current.Generations.Skip(System.Math.Max(0, stage.Current.Generations.Count - (keep - 1))).ToSeq();
        var next = new Manifest(kept.Add(generation));
        var text = ManifestText.Format(next);

        // The new manifest goes to the slot the store's manifest is not in, then every fsync it waits for runs as
        // ONE run with no other effect between them: the copies and gen-N (what it names), the store (gen-N's and
        // its own name; on a first commit the slot and state directories too) and its own bytes. None of them has
        // to precede another: until all are durable a crash leaves the current manifest (untouched, durable)
        // chosen, or the new one if it survived whole, whose hashes then tell whether gen-N survived whole too
        // (else recovery takes the newest intact generation it lists, the one the current manifest ends with, since
        // keep >= 2). So they need no order among them, and one journal commit on ext4 makes them all durable
        // where the protocol before this one waited for three (copies, then the temp manifest, then its rename).
        // The run's order is free; files come first, so the first fsync's journal commit carries every block the
        // copies and the manifest were given, and the directories' fsyncs after it find their changes committed
        // (measured on ext4: docs/PERSISTENCE_MODEL.md).
        var manifestFsync = variant == ProtocolVariant.CommitNoManifestFsync ? Seq<FsEffect>.Empty : Effects(new FsEffect.Fsync(stage.ManifestPath));
        var durable = Effects(new FsEffect.WriteFile(stage.ManifestPath, text))
            .Then(stage.Fsyncs.Filter(f => f is FsEffect.Fsync)).Then(manifestFsync)
            .Then(stage.Fsyncs.Filter(f => f is not FsEffect.Fsync));

        // Only then retire the generations the new manifest dropped.
        var dropped = stage.Current.Generations.Filter(g => !kept.Exists(k => k.Number == g.Number));
        var retention = dropped.Map(g => (FsEffect)new FsEffect.DeleteTree(StoreLayout.GenerationDir(g.Number)));
        // No fsync of the store after these deletions: the crash model shows it redundant (a deletion a crash
        // undoes brings back a generation the store's manifest does not list, which the next commit removes as a
        // stray, and the next commit's store fsync makes the deletions durable). docs/PERSISTENCE_MODEL.md,
        // "Removed steps".
        if (variant == ProtocolVariant.CommitRetentionBeforeManifest)
            return new SealPlan(generation, next, retention.Then(durable), Seq<FsEffect>.Empty);
        return new SealPlan(generation, next, durable, retention);
    }

    /// <summary>
    /// What undoes a commit that failed before its manifest was durable (a full disk, an I/O error, a file the app
    /// changed while it was copied): the new manifest, when Seal had begun writing it (else it would list a
    /// generation about to be removed as the store's newest), then gen-N. The store's manifest is untouched.
    /// </summary>
    public static Seq<FsEffect> Abandon(StagePlan stage, bool sealBegun) =>
        (sealBegun ? Effects(new FsEffect.Delete(stage.ManifestPath)) : Seq<FsEffect>.Empty)
            .Add(new FsEffect.DeleteTree(StoreLayout.GenerationDir(stage.Number)));

    private static Seq<FsEffect> Effects(params FsEffect[] items) => items.ToSeq();
}
