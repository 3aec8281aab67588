using System;
using System.Collections.Generic;
using System.Linq;
using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>A generation recovery looked at and did not take, and why.</summary>
public sealed record Rejected(long Number, string Why);

/// <summary>
/// What recovery decided: the generation to restart from (None: start from zero), the effects that make
/// WORKDIR hold exactly its files, the CPU time and fraction to report, what was restored or removed, and why.
/// </summary>
public sealed record RecoveryDecision(
    Option<Generation> Chosen,
    Seq<FsEffect> Effects,
    long CpuNanos,
    double FractionDone,
    Seq<string> Restored,
    Seq<string> Removed,
    Seq<Rejected> RejectedGenerations,
    Seq<long> IntactGenerations,
    string Why);

/// <summary>
/// Recovery as a pure decision from what is on disk. The store's names are made durable; the newest pack that
/// verifies (store format 2) is chosen, made durable, and the packs newer than it (commits a crash interrupted)
/// are removed; with no pack that verifies, what store format 1 left is read as that format's recovery does (take
/// the manifest, of the two slots the valid one listing the newest intact generation, and make it durable; choose
/// the newest intact generation it lists). Then WORKDIR is made to hold exactly the chosen generation's files: each
/// whose WORKDIR copy differs restored (copy to a temp name, fsync, rename, fsync the directory), declared files it
/// does not have removed. Since a generation is acknowledged only once durable, the newest intact one is never older
/// than the last acknowledged one.
/// </summary>
public static class Recovery
{
    public static RecoveryDecision Decide(RecoveryInput input, ProtocolVariant variant = ProtocolVariant.Correct)
    {
        var effects = new List<FsEffect>();
        var why = new List<string>();
        MakeNamesDurable(input.Store, variant, effects);

        // Store format 2: the packs, newest first, each verified.
        var packs = input.Store.Packs.Reverse().Map(p => (Pack: p, Problem: variant == ProtocolVariant.RecoveryTakesUnverifiedPack && p.Sealed ? Option<string>.None : PackFormat.Verify(p))).ToList();
        var newestPack = packs.FirstOrDefault(p => p.Problem.IsNone);
        Option<Generation> chosen;
        var rejected = new List<Rejected>();
        var intact = new List<Generation>();
        Func<StoredFile, long> offset = _ => 0;
        var chosenPack = Option<string>.None;
        if (newestPack.Pack is { } taken)
        {
            var g = taken.Generation.IfNone(() => throw new InvalidOperationException("a pack that verifies has a trailer"));
            chosen = g;
            chosenPack = StoreLayout.PackPath(g.Number);
            // A commit killed after the trailer was written may have left the pack visible only: make it durable
            // before its generation is reported.
            if (variant != ProtocolVariant.RecoveryNoPackFsync) effects.Add(new FsEffect.Fsync(StoreLayout.PackPath(g.Number)));
            // Packs newer than it, read and not verified: commits a crash interrupted. (One whose files could not be
            // read, an I/O error the shell reports as PackSeen.Unread, is left alone: it may be whole.)
            var torn = packs.Where(p => p.Pack.Number > g.Number && (p.Pack.Ranges.IsSome || !p.Pack.Sealed)
                && (variant != ProtocolVariant.RecoveryKeepsTornNewerPacks || !p.Pack.Sealed)).ToList();
            foreach (var (p, problem) in torn)
            {
                why.Add($"{StoreLayout.PackPath(p.Number)} removed: {problem.IfNone("")} (a commit a crash interrupted, never acknowledged)");
                effects.Add(new FsEffect.Delete(StoreLayout.PackPath(p.Number)));
            }

            if (torn.Count > 0) effects.Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));
            var layout = PackFormat.Layout(g).ToDictionary(x => x.File.Index, x => x.Offset);
            offset = f => layout[f.Index];
            foreach (var (p, problem) in packs)
            {
                problem.Match(w => rejected.Add(new Rejected(p.Number, w)), () => p.Generation.Iter(intact.Add));
                problem.Filter(_ => p.Number < g.Number).Iter(w => why.Add($"generation {p.Number} rejected: {w}"));
            }
        }
        else
        {
            var manifest = ReadManifest(input.Store, input.StoredFiles, effects, why);
            var (intact1, rejected1) = VerifyAll(manifest, input.StoredFiles);
            chosen = intact1.Count > 0 ? Option<Generation>.Some(intact1[0]) : Option<Generation>.None;
            // Every pack read is a commit that never sealed whole (they are all newer than any format-1 generation).
            foreach (var (p, problem) in packs.Where(p => p.Pack.Ranges.IsSome || !p.Pack.Sealed))
            {
                why.Add($"{StoreLayout.PackPath(p.Number)} removed: {problem.IfNone("")} (a commit a crash interrupted, never acknowledged)");
                effects.Add(new FsEffect.Delete(StoreLayout.PackPath(p.Number)));
                rejected.Add(new Rejected(p.Number, problem.IfNone("")));
            }

            if (packs.Exists(p => p.Pack.Ranges.IsSome || !p.Pack.Sealed)) effects.Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));
            // A restart from a format-1 generation: its copies, made durable (a killed commit may have left them visible only).
            chosen.Iter(g => effects.AddRange(g.Files.Map(f => (FsEffect)new FsEffect.Fsync(g.StoredPath(f)))));
            rejected.AddRange(rejected1);
            why.AddRange(rejected1.Select(r => $"generation {r.Number} rejected: {r.Why}"));
            intact.AddRange(intact1);
        }

        var (restored, removed) = chosen.Match(
            g => Restore(g, input.WorkFiles, variant, effects,
                f => chosenPack.Match(
                    pack => (FsEffect)new FsEffect.CopyRange(pack, offset(f), f.Size, f.Name + StoreLayout.RestoreSuffix),
                    () => new FsEffect.CopyFile(g.StoredPath(f), f.Name + StoreLayout.RestoreSuffix))),
            () => (new List<string>(), new List<string>()));

        var summary = chosen.Match(
            g => $"restart from generation {g.Number} (CPU time {g.CpuNanos / 1e9:0.###} s): {(restored.Count + removed.Count == 0 ? "WORKDIR already matches it" : $"{restored.Count} file(s) restored, {removed.Count} removed")}",
            () => rejected.Count == 0 ? "no committed generation: start from zero" : "no intact generation: start from zero");
        why.Insert(0, summary);
        return new RecoveryDecision(chosen, effects.ToSeq(), chosen.Map(g => g.CpuNanos).IfNone(0),
            chosen.Map(g => g.FractionDone).IfNone(0), restored.ToSeq(), removed.ToSeq(), rejected.ToSeq(), intact.Select(g => g.Number).ToSeq(), string.Join("; ", why));
    }

    /// <summary>
    /// What a killed wrapper left visible may not be durable yet (it died between an operation and the directory
    /// fsync after it): the store's names are made durable before anything is chosen or reported.
    /// </summary>
    private static void MakeNamesDurable(StoreState store, ProtocolVariant variant, List<FsEffect> effects)
    {
        if (!store.StoreExists)
            return;
        if (variant != ProtocolVariant.RecoveryNoSlotDirFsync) effects.Add(new FsEffect.FsyncDir("."));
        if (variant != ProtocolVariant.RecoveryNoStateDirFsync) effects.Add(new FsEffect.FsyncDir(StoreLayout.StateDirName));
        if (variant != ProtocolVariant.RecoveryNoStoreDirFsync) effects.Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));
        // Format 1's generation directories, whose names of copies a killed commit may have left visible only.
        effects.AddRange(store.GenerationDirs.Map(n => (FsEffect)new FsEffect.FsyncDir(StoreLayout.GenerationDir(n))));
    }

    /// <summary>
    /// Store format 1's manifest. Of the valid slots, the one listing the newest intact generation; on a tie the one
    /// listing more intact generations (a commit that wrote its manifest but whose copies a crash lost: the older
    /// slot still lists every generation it kept, the newer one lists a torn one in place of the oldest); then the
    /// newer slot (<see cref="ManifestSlots.Newest(StoreState)"/>: a generation rotted after it was committed still
    /// shows as rejected). Its bytes are
    /// made durable (a commit killed inside its run of fsyncs may have left it visible only), and a newer slot not
    /// taken is removed, so that the next commit, which extends the newer slot, extends this one. With no valid
    /// slot, an invalid MANIFEST is set aside as MANIFEST.bad (and the store starts empty).
    /// </summary>
    private static Manifest ReadManifest(StoreState store, HashMap<string, FileFacts> stored, List<FsEffect> effects, List<string> why)
    {
        var valid = ManifestSlots.Valid(store);
        if (!valid.IsEmpty)
        {
            // Rank: the newest intact generation listed, then how many listed are intact, then the newer slot.
            var ranked = valid.Select((s, i) =>
            {
                var intact = s.Manifest.Generations.Filter(g => Verify(g, stored).IsNone);
                return (Slot: s, Newest: intact.IsEmpty ? 0L : intact.Map(g => g.Number).Max(), Count: intact.Count, Order: -i);
            });
            var best = ranked.OrderByDescending(r => r.Newest).ThenByDescending(r => r.Count).ThenByDescending(r => r.Order).First();
            var (path, m) = best.Slot;
            effects.Add(new FsEffect.Fsync(path));
            foreach (var (newer, nm) in valid.TakeWhile(s => s.Path != path))
            {
                why.Add($"{newer} lists generation {nm.Latest.Map(g => g.Number).IfNone(0)}, which a crash did not leave whole; {path} is the manifest");
                effects.Add(new FsEffect.Delete(newer));
                effects.Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));
            }

            var other = ManifestSlots.Other(path);
            ManifestSlots.TextOf(store, other).Iter(t => ManifestText.Parse(t).IfFail(e => why.Add($"{other}: {e.Message}; {path} is the manifest (the next commit writes over {other})")));
            return m;
        }

        store.ManifestText.Iter(t => ManifestText.Parse(t).IfFail(e =>
        {
            why.Add($"{StoreLayout.ManifestPath}: {e.Message}; set aside as MANIFEST.bad");
            effects.Add(new FsEffect.Rename(StoreLayout.ManifestPath, StoreLayout.StoreDir + "/MANIFEST.bad"));
            effects.Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));
        }));
        return Manifest.Empty;
    }

    /// <summary>Every listed generation checked against its stored files, newest first.</summary>
    private static (List<Generation> Intact, List<Rejected> Rejected) VerifyAll(Manifest manifest, HashMap<string, FileFacts> stored)
    {
        var rejected = new List<Rejected>();
        var intact = new List<Generation>();
        foreach (var g in manifest.Generations.Reverse())
        {
            var problem = Verify(g, stored);
            if (problem.IsNone) intact.Add(g);
            problem.Iter(p => rejected.Add(new Rejected(g.Number, p)));
        }

        return (intact, rejected);
    }

    /// <summary>
    /// WORKDIR made to hold exactly <paramref name="g"/>'s files: each that differs restored (temp copy, fsync,
    /// rename), each declared file it lacks removed, then each touched directory fsynced once.
    /// </summary>
    private static (List<string> Restored, List<string> Removed) Restore(
        Generation g, HashMap<string, FileFacts> workFiles, ProtocolVariant variant, List<FsEffect> effects, Func<StoredFile, FsEffect> copyToTemp)
    {
        var restored = new List<string>();
        var removed = new List<string>();
        var dirs = new List<string>();
        foreach (var f in g.Files)
        {
            var here = workFiles.Find(f.Name);
            if (here.Map(h => h.Size == f.Size && h.Digest == f.Digest).IfNone(false)) continue;
            foreach (var d in Ancestors(f.Name)) effects.Add(new FsEffect.CreateDir(d));
            var tmp = f.Name + StoreLayout.RestoreSuffix;
            // The differing file is worthless (the store holds the truth) and may be all that stands between a
            // full disk and the restore's temp copy; a crash after this just restores again.
            if (here.IsSome) effects.Add(new FsEffect.Delete(f.Name));
            effects.Add(copyToTemp(f));
            if (variant != ProtocolVariant.RecoveryRestoreWithoutFsync) effects.Add(new FsEffect.Fsync(tmp));
            effects.Add(new FsEffect.Rename(tmp, f.Name));
            dirs.Add(StoreLayout.Parent(f.Name));
            restored.Add(f.Name + (here.IsSome ? " (differed from the generation)" : " (was missing)"));
        }

        foreach (var name in workFiles.Keys.Where(n => !g.Files.Exists(f => f.Name == n)).OrderBy(n => n, System.StringComparer.Ordinal))
        {
            effects.Add(new FsEffect.Delete(name));
            dirs.Add(StoreLayout.Parent(name));
            removed.Add(name);
        }

        effects.AddRange(dirs.Distinct().Select(d => (FsEffect)new FsEffect.FsyncDir(d)));
        return (restored, removed);
    }

    /// <summary>
    /// Recovery of the store alone, for a start that must not touch WORKDIR (a running app's files): the same
    /// decision as <see cref="Decide"/> (names and the chosen manifest made durable, generations
    /// verified, the newest intact one's copies fsynced; <paramref name="variant"/> omits a step as there), with
    /// every effect on an app file left out. The newest intact generation it chooses is durable once the effects ran.
    /// </summary>
    public static RecoveryDecision DecideStore(StoreState store, HashMap<string, FileFacts> storedFiles, ProtocolVariant variant = ProtocolVariant.Correct)
    {
        var d = Decide(new RecoveryInput(store, storedFiles, HashMap<string, FileFacts>.Empty), variant);
        var storeOnly = d.Effects.Filter(e => e switch
        {
            FsEffect.FsyncDir f => f.Path == "." || StoreLayout.IsWrapperPath(f.Path),
            FsEffect.Fsync f => StoreLayout.IsWrapperPath(f.Path),
            FsEffect.Rename r => StoreLayout.IsWrapperPath(r.From) && StoreLayout.IsWrapperPath(r.To),
            FsEffect.Delete x => StoreLayout.IsWrapperPath(x.Path),
            _ => false,
        });
        return d with { Effects = storeOnly, Restored = Seq<string>.Empty, Removed = Seq<string>.Empty };
    }

    /// <summary>Format 1: None when every stored file of the generation has the manifest's size and hash; else what is wrong.</summary>
    public static Option<string> Verify(Generation g, HashMap<string, FileFacts> stored)
    {
        foreach (var f in g.Files)
        {
            var path = g.StoredPath(f);
            var facts = stored.Find(path);
            if (facts.IsNone) return $"{path} ({f.Name}) is missing";
            if (facts.Map(x => x.Size != f.Size).IfNone(true)) return $"{path} ({f.Name}) has {facts.Map(x => x.Size).IfNone(0)} bytes, the manifest says {f.Size}";
            if (facts.Map(x => x.Digest != f.Digest).IfNone(true)) return $"{path} ({f.Name}) does not match its SHA-256";
        }

        return Option<string>.None;
    }

    // Not an iterator: compiler-generated iterators read the managed thread id (System.Environment).
    private static List<string> Ancestors(string name)
    {
        var parts = name.Split('/');
        var result = new List<string>();
        for (var i = 1; i < parts.Length; i++)
            result.Add(string.Join('/', parts.Take(i)));
        return result;
    }
}
