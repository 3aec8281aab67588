using Boinc.Persist.Core.Checkpoints;
using System.Linq;
using Boinc.Persist.Core.Hashing;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Core.Verification.Model;

/// <summary>
/// What a commit on the model file system did: the file system after it, how many mutating operations ran,
/// whether the process was killed (its budget ran out) before the commit returned, the generation it returned
/// (acknowledged: the caller may now tell BOINC), or the error it returned.
/// </summary>
public sealed record CommitOutcome(ModelFs Fs, int Used, bool Killed, Option<long> Acknowledged, Option<Error> Error);

/// <summary>What a recovery reported: the generation chosen (its number and engine identity), the CPU time to report, why, and a restore error.</summary>
public sealed record Recovered(Option<long> Number, Option<string> Identity, long CpuNanos, string Why, Option<string> Error);

/// <summary>What a recovery on the model did; <see cref="Report"/> is None when it was killed before returning.</summary>
public sealed record RecoverOutcome(ModelFs Fs, int Used, bool Killed, Option<Recovered> Report);

/// <summary>
/// The checkpoint store as the simulation drives it: commit and recover on a <see cref="ModelFs"/>, killed after
/// <c>budget</c> mutating file-system operations (budget &lt; 0: never). Two implementations: Core's protocol run
/// directly (<see cref="CoreProtocolStore"/>, every variant), and the shell's real CheckpointStore over a
/// ModelFs-backed slot accessor (the class the binary runs).
/// </summary>
public interface IStoreUnderTest
{
    string Name { get; }

    ProtocolVariant Variant { get; }

    CommitOutcome Commit(ModelFs fs, Seq<string> patterns, CommitFacts facts, int keep, int budget);

    RecoverOutcome Recover(ModelFs fs, Seq<string> patterns, int budget);
}

/// <summary>
/// Core's commit and recovery protocols (<see cref="CommitProtocol"/>, <see cref="Recovery"/>) run step by step
/// on the model file system, in the order the shell's CheckpointStore runs them. Used for the variants that
/// the real store cannot express and as the shell-free reference; one effect is one operation of the budget.
/// </summary>
public sealed class CoreProtocolStore(ProtocolVariant variant) : IStoreUnderTest
{
    public string Name => $"core protocol ({variant})";

    public ProtocolVariant Variant => variant;

    public CommitOutcome Commit(ModelFs fs, Seq<string> patterns, CommitFacts facts, int keep, int budget)
    {
        var files = DeclaredFiles(fs, patterns).Keys.OrderBy(n => n, System.StringComparer.Ordinal).ToSeq();
        var stage = CommitProtocol.Stage(Observe(fs), files, variant);
        if (stage.IsFail) return new CommitOutcome(fs, 0, false, Option<long>.None, stage.Match(_ => Option<Error>.None, e => e));
        var plan = stage.IfFail(default(StagePlan)!);
        var used = 0;
        var left = budget;

        var run = Run(ref fs, ref used, ref left, plan.Effects);
        if (run.Killed) return Killed(fs, used);
        if (run.Error.IsSome) return Abandon(fs, used, left, plan, run.Error);

        // The facts of the bytes that landed in the pack, file by file (the pack was written whole, in one step).
        var packed = fs.Volatile.Read(plan.PackPath).IfNone("");
        var copies = new System.Collections.Generic.List<FileFacts>();
        var at = 0;
        foreach (var f in plan.Files)
        {
            var length = System.Math.Min(fs.Volatile.Read(f).IfNone("").Length, packed.Length - at);
            copies.Add(PackFormat.FactsOf(packed.Substring(at, length), Hashing.DigestKind.Xxh3_128));
            at += length;
        }

        var seal = CommitProtocol.Seal(plan, copies.ToSeq(), facts, keep, variant);
        if (seal.IsFail) return Abandon(fs, used, left, plan, seal.Match(_ => Option<Error>.None, e => e));
        var s = seal.IfFail(default(SealPlan)!);
        run = Run(ref fs, ref used, ref left, s.Durable);
        if (run.Killed) return Killed(fs, used);
        if (run.Error.IsSome) return Abandon(fs, used, left, plan, run.Error);

        // Retention failing leaves strays the next commit removes; the commit stands (as in the shell).
        run = Run(ref fs, ref used, ref left, s.Retention);
        if (run.Killed) return Killed(fs, used);
        return new CommitOutcome(fs, used, false, s.Generation.Number, Option<Error>.None);
    }

    public RecoverOutcome Recover(ModelFs fs, Seq<string> patterns, int budget)
    {
        var v = fs.Volatile;
        // Store format 1's copies (gen-N/NNNNN), were there any; the packs are read with their ranges.
        var stored = v.Names.Keys.Where(n => n.StartsWith(StoreLayout.StoreDir + "/gen-", System.StringComparison.Ordinal) && StoreLayout.ParsePackName(n[(StoreLayout.StoreDir.Length + 1)..]).IsNone)
            .Fold(HashMap<string, FileFacts>.Empty, (m, n) => m.AddOrUpdate(n, Facts(v.Read(n).IfNone(""))));
        var state = Observe(fs, ranges: true);
        var work = DeclaredFiles(fs, patterns).Map((name, content) => PackFormat.FactsOf(content, state.WorkDigestKind(name)));
        var d = Recovery.Decide(new RecoveryInput(state, stored, work), variant);
        var used = 0;
        var left = budget;
        var run = Run(ref fs, ref used, ref left, d.Effects);
        if (run.Killed) return new RecoverOutcome(fs, used, true, Option<Recovered>.None);
        return new RecoverOutcome(fs, used, false, new Recovered(
            d.Chosen.Map(g => g.Number), d.Chosen.Map(g => g.EngineIdentity), d.CpuNanos, d.Why, run.Error.Map(e => e.Message)));
    }

    /// <summary>The declared checkpoint files in WORKDIR (the slot root in the model) and their contents.</summary>
    public static HashMap<string, string> DeclaredFiles(ModelFs fs, Seq<string> patterns) =>
        fs.Volatile.Names.Keys.Where(n => Globs.MatchesAny(patterns, n))
            .Fold(HashMap<string, string>.Empty, (m, n) => m.AddOrUpdate(n, fs.Volatile.Read(n).IfNone("")));

    /// <summary>The store as the shell would see it: its packs (trailers read; their ranges too when <paramref name="ranges"/>), and format 1's remains.</summary>
    public static StoreState Observe(ModelFs fs, bool ranges = false)
    {
        var v = fs.Volatile;
        var gens = v.Dirs.Where(d => StoreLayout.Parent(d) == StoreLayout.StoreDir)
            .Select(d => StoreLayout.ParseGenerationDirName(d[(StoreLayout.StoreDir.Length + 1)..]))
            .Somes().OrderBy(n => n).ToSeq();
        var packs = PackFormat.ReadAll(v.Names.Keys, p => v.Read(p).IfNone(""), ranges);
        return new StoreState(v.DirExists(StoreLayout.StoreDir), v.Read(StoreLayout.ManifestPath), v.Read(StoreLayout.TempManifestPath), gens, packs);
    }

    /// <summary>Size and SHA-256 of model content (a file of a format-1 generation): one char per byte (Latin-1), as the packs' readers count them.</summary>
    public static FileFacts Facts(string content) => PackFormat.FactsOf(content, Hashing.DigestKind.Sha256);

    private static CommitOutcome Killed(ModelFs fs, int used) => new(fs, used, true, Option<long>.None, Option<Error>.None);

    private CommitOutcome Abandon(ModelFs fs, int used, int left, StagePlan plan, Option<Error> error)
    {
        // As the shell: the half-written generation (and a new manifest naming it) is not in the store's manifest;
        // remove it so a full disk gets its space back.
        var run = Run(ref fs, ref used, ref left, CommitProtocol.Abandon(plan));
        return run.Killed ? Killed(fs, used) : new CommitOutcome(fs, used, false, Option<long>.None, error);
    }


    private static (bool Killed, Option<Error> Error) Run(ref ModelFs fs, ref int used, ref int left, Seq<FsEffect> effects)
    {
        foreach (var e in effects)
        {
            if (left == 0) return (true, Option<Error>.None);
            var r = fs.Apply(e);
            if (r.IsFail) return (false, r.Match(_ => Option<Error>.None, err => err));
            fs = r.IfFail(fs);
            used++;
            if (left > 0) left--;
        }

        return (false, Option<Error>.None);
    }
}
