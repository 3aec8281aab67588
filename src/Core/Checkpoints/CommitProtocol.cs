using System.Linq;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>The first half of a commit: the new generation's number, the manifest it extends, its files, and the effects that stage them.</summary>
public sealed record StagePlan(long Number, Manifest Current, Seq<string> Files, Seq<FsEffect> Effects);

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
/// make the manifest lie): <see cref="Stage"/> copies and fsyncs, the shell hashes what landed, <see cref="Seal"/>
/// writes the manifest durably and then retires old generations.
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

        var current = state.ManifestText.Match(
            text => ManifestText.Parse(text).Match(
                Fin<Manifest>.Succ,
                e => Fin<Manifest>.Fail(Error.New($"{StoreLayout.ManifestPath}: {e.Message}; run recovery first"))),
            () => Fin<Manifest>.Succ(Manifest.Empty));
        return current.Map(m =>
        {
            var listed = m.Generations.Map(g => g.Number);
            var number = listed.Then(state.GenerationDirs).Fold(0L, System.Math.Max) + 1;
            var gen = StoreLayout.GenerationDir(number);
            var e = new System.Collections.Generic.List<FsEffect>();
            // The names and bytes first, then every fsync the manifest waits for as ONE run of fsyncs with no
            // other effect between them: none of them has to precede another (all must precede the manifest), so
            // the shell may issue a run concurrently (one journal commit on ext4 instead of one per fsync). The
            // crash model runs them one by one; a crash during a concurrent run leaves some of them done, which is
            // a crash before the run keeping that subset of the pending operations: a state the model explores.
            var fsyncs = new System.Collections.Generic.List<FsEffect>();
            if (!state.StoreExists)
            {
                e.Add(new FsEffect.CreateDir(StoreLayout.StateDirName));
                e.Add(new FsEffect.CreateDir(StoreLayout.StoreDir));
                if (variant != ProtocolVariant.CommitNoSlotDirFsync) fsyncs.Add(new FsEffect.FsyncDir("."));
                if (variant != ProtocolVariant.CommitNoStateDirFsync) fsyncs.Add(new FsEffect.FsyncDir(StoreLayout.StateDirName));
            }

            // Leftovers of commits that never sealed: not in the manifest, so nothing refers to them.
            foreach (var stray in state.GenerationDirs.Filter(n => !listed.Contains(n)))
                e.Add(new FsEffect.DeleteTree(StoreLayout.GenerationDir(stray)));
            e.Add(new FsEffect.CreateDir(gen));
            if (variant != ProtocolVariant.CommitNoStoreFsyncAfterMkdir) fsyncs.Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));

            // The copies, and gen-N's names, are durable before any manifest names them.
            var copiesDurable = variant is not ProtocolVariant.CommitNoCopyFsync and not ProtocolVariant.CommitManifestBeforeCopiesDurable;
            for (var i = 0; i < files.Count; i++)
            {
                var to = StoreLayout.StoredFile(number, i);
                e.Add(new FsEffect.CopyFile(files[i], to));
                if (copiesDurable) fsyncs.Add(new FsEffect.Fsync(to));
            }

            if (variant is not ProtocolVariant.CommitNoGenerationDirFsync and not ProtocolVariant.CommitManifestBeforeCopiesDurable)
                fsyncs.Add(new FsEffect.FsyncDir(gen));
            e.AddRange(fsyncs);
            return new StagePlan(number, m, files, e.ToSeq());
        });
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

        // Write the new manifest aside, make its bytes durable, rename it over the old one, make the rename durable.
        var durable = variant switch
        {
            ProtocolVariant.CommitManifestInPlace => Effects(
                new FsEffect.WriteFile(StoreLayout.ManifestPath, text), new FsEffect.Fsync(StoreLayout.ManifestPath)),
            ProtocolVariant.CommitNoTempManifestFsync => Effects(
                new FsEffect.WriteFile(StoreLayout.TempManifestPath, text),
                new FsEffect.Rename(StoreLayout.TempManifestPath, StoreLayout.ManifestPath)),
            ProtocolVariant.CommitRenameBeforeTempFsync => Effects(
                new FsEffect.WriteFile(StoreLayout.TempManifestPath, text),
                new FsEffect.Rename(StoreLayout.TempManifestPath, StoreLayout.ManifestPath), new FsEffect.Fsync(StoreLayout.ManifestPath)),
            _ => Effects(
                new FsEffect.WriteFile(StoreLayout.TempManifestPath, text), new FsEffect.Fsync(StoreLayout.TempManifestPath),
                new FsEffect.Rename(StoreLayout.TempManifestPath, StoreLayout.ManifestPath)),
        };
        if (variant != ProtocolVariant.CommitNoStoreFsyncAfterRename) durable = durable.Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));
        if (variant == ProtocolVariant.CommitManifestBeforeCopiesDurable)
            durable = durable.Then(files.Map(f => (FsEffect)new FsEffect.Fsync(StoreLayout.StoredFile(stage.Number, f.Index))))
                .Add(new FsEffect.FsyncDir(StoreLayout.GenerationDir(stage.Number)));

        // Only then retire the generations the new manifest dropped.
        var dropped = stage.Current.Generations.Filter(g => !kept.Exists(k => k.Number == g.Number));
        var retention = dropped.Map(g => (FsEffect)new FsEffect.DeleteTree(StoreLayout.GenerationDir(g.Number)));
        // No fsync of the store after these deletions: the crash model shows it redundant (a deletion a crash
        // undoes brings back a generation no manifest lists, which the next commit removes as a stray, and the
        // next commit's store fsync makes the deletions durable). docs/PERSISTENCE_MODEL.md, "Removed steps".
        if (variant == ProtocolVariant.CommitRetentionBeforeManifest)
            return new SealPlan(generation, next, retention.Then(durable), Seq<FsEffect>.Empty);
        return new SealPlan(generation, next, durable, retention);
    }

    private static Seq<FsEffect> Effects(params FsEffect[] items) => items.ToSeq();
}
