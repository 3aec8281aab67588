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
/// Recovery as a pure decision from what is on disk. Take the manifest (or, if it is missing or invalid, a
/// valid temp manifest, which is then promoted); verify every generation it lists against the stored files'
/// sizes and hashes; choose the newest intact one; restore each of its files whose WORKDIR copy differs
/// (copy to a temp name, fsync, rename, fsync the directory) and remove declared files it does not have.
/// Since a generation is acknowledged only once durable, the newest intact one is never older than the last
/// acknowledged one.
/// </summary>
public static class Recovery
{
    public static RecoveryDecision Decide(RecoveryInput input, ProtocolVariant variant = ProtocolVariant.Correct)
    {
        var effects = new List<FsEffect>();
        var why = new List<string>();
        MakeNamesDurable(input.Store, variant, effects);
        var manifest = ReadManifest(input.Store, variant, effects, why);
        var (intact, rejected) = VerifyAll(manifest, input.StoredFiles);
        var chosen = intact.Count > 0 ? Option<Generation>.Some(intact[0]) : Option<Generation>.None;
        var (restored, removed) = chosen.Match(g => Restore(g, input.WorkFiles, variant, effects), () => (new List<string>(), new List<string>()));

        var summary = chosen.Match(
            g => $"restart from generation {g.Number} (CPU time {g.CpuNanos / 1e9:0.###} s): {(restored.Count + removed.Count == 0 ? "WORKDIR already matches it" : $"{restored.Count} file(s) restored, {removed.Count} removed")}",
            () => manifest.Generations.IsEmpty ? "no committed generation: start from zero" : "no intact generation: start from zero");
        why.Insert(0, summary);
        why.AddRange(rejected.Select(r => $"generation {r.Number} rejected: {r.Why}"));
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
        if (variant != ProtocolVariant.RecoveryNoGenerationDirFsync)
            effects.AddRange(store.GenerationDirs.Map(n => (FsEffect)new FsEffect.FsyncDir(StoreLayout.GenerationDir(n))));
    }

    /// <summary>
    /// The manifest; if it is missing or invalid, a complete temp manifest, made durable and promoted; an invalid
    /// manifest with no temp one is set aside as MANIFEST.bad (and the store starts empty).
    /// </summary>
    private static Manifest ReadManifest(StoreState store, ProtocolVariant variant, List<FsEffect> effects, List<string> why)
    {
        var main = store.ManifestText.Map(ManifestText.Parse);
        var temp = store.TempManifestText.Map(ManifestText.Parse);
        if (main.Map(m => m.IsSucc).IfNone(false))
            return main.Bind(m => m.ToOption()).IfNone(Manifest.Empty);
        if (temp.Map(t => t.IsSucc).IfNone(false))
        {
            why.Add("the manifest is missing or invalid; a complete temp manifest was found and is promoted");
            // A killed commit may have written it without reaching its fsync: make its bytes durable first.
            if (variant != ProtocolVariant.RecoveryPromoteWithoutFsync) effects.Add(new FsEffect.Fsync(StoreLayout.TempManifestPath));
            if (variant != ProtocolVariant.RecoveryPromoteWithoutRename)
                effects.Add(new FsEffect.Rename(StoreLayout.TempManifestPath, StoreLayout.ManifestPath));
            if (variant != ProtocolVariant.RecoveryPromoteWithoutStoreFsync) effects.Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));
            return temp.Bind(t => t.ToOption()).IfNone(Manifest.Empty);
        }

        if (main.IsSome)
        {
            main.Iter(m => m.IfFail(e => why.Add($"{StoreLayout.ManifestPath}: {e.Message}; set aside as MANIFEST.bad")));
            effects.Add(new FsEffect.Rename(StoreLayout.ManifestPath, StoreLayout.StoreDir + "/MANIFEST.bad"));
            effects.Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));
        }

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
        Generation g, HashMap<string, FileFacts> workFiles, ProtocolVariant variant, List<FsEffect> effects)
    {
        var restored = new List<string>();
        var removed = new List<string>();
        var dirs = new List<string>();
        // Its copies were fsynced before its manifest was written; fsyncing again is cheap and makes recovery
        // independent of how the generation got there.
        if (variant != ProtocolVariant.RecoveryNoCopyFsync)
            foreach (var f in g.Files) effects.Add(new FsEffect.Fsync(g.StoredPath(f)));
        foreach (var f in g.Files)
        {
            var here = workFiles.Find(f.Name);
            if (here.Map(h => h.Size == f.Size && h.Sha256 == f.Sha256).IfNone(false)) continue;
            foreach (var d in Ancestors(f.Name)) effects.Add(new FsEffect.CreateDir(d));
            var tmp = f.Name + StoreLayout.RestoreSuffix;
            // The differing file is worthless (the store holds the truth) and may be all that stands between a
            // full disk and the restore's temp copy; a crash after this just restores again.
            if (here.IsSome) effects.Add(new FsEffect.Delete(f.Name));
            effects.Add(new FsEffect.CopyFile(g.StoredPath(f), tmp));
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
    /// decision as <see cref="Decide"/> (names made durable, a fsynced temp manifest promoted, generations
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
            _ => false,
        });
        return d with { Effects = storeOnly, Restored = Seq<string>.Empty, Removed = Seq<string>.Empty };
    }

    /// <summary>None when every stored file of the generation has the manifest's size and hash; else what is wrong.</summary>
    public static Option<string> Verify(Generation g, HashMap<string, FileFacts> stored)
    {
        foreach (var f in g.Files)
        {
            var path = g.StoredPath(f);
            var facts = stored.Find(path);
            if (facts.IsNone) return $"{path} ({f.Name}) is missing";
            if (facts.Map(x => x.Size != f.Size).IfNone(true)) return $"{path} ({f.Name}) has {facts.Map(x => x.Size).IfNone(0)} bytes, the manifest says {f.Size}";
            if (facts.Map(x => x.Sha256 != f.Sha256).IfNone(true)) return $"{path} ({f.Name}) does not match its SHA-256";
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
