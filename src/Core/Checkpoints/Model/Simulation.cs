using System.Linq;
using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints.Model;

/// <summary>A generation the wrapper staged: the app's files as copied, and the CPU time it was committed at.</summary>
public sealed record Snapshot(long Number, HashMap<string, string> Files, double CpuTime);

/// <summary>
/// The app, the wrapper and the host on a <see cref="ModelFs"/>, driving the SAME Core protocol the shell runs
/// (<see cref="CommitProtocol"/>, <see cref="Recovery"/>). <see cref="Staged"/> records every generation the
/// wrapper staged; <see cref="LastAcked"/> the newest one acknowledged to BOINC; <see cref="Violations"/> what the
/// property found at restarts.
/// </summary>
public sealed record World(
    ModelFs Fs,
    ProtocolVariant Variant,
    int Keep,
    bool Up,
    long AppVersion,
    double AppCpu,
    long Clock,
    HashMap<long, Snapshot> Staged,
    Option<long> LastAcked,
    int AckedCount,
    Seq<string> Violations,
    int Restarts)
{
    public static readonly Seq<string> Patterns = new[] { "state.bin", "ckpt/*.dat" }.ToSeq();

    public static World Start(ProtocolVariant variant, int keep = 2)
    {
        var fs = ModelFs.Empty().Apply(new FsEffect.CreateDir("ckpt")).Bind(f => f.Apply(new FsEffect.FsyncDir("."))).IfFail(ModelFs.Empty());
        return new World(fs, variant, keep, true, 0, 0, 1_000, HashMap<long, Snapshot>.Empty, Option<long>.None, 0, Seq<string>.Empty, 0);
    }

    /// <summary>The declared checkpoint files in WORKDIR (the slot root here) and their contents.</summary>
    public HashMap<string, string> AppFiles() =>
        Fs.Volatile.Names.Keys.Where(n => Globs.MatchesAny(Patterns, n))
            .Fold(HashMap<string, string>.Empty, (m, n) => m.AddOrUpdate(n, Fs.Volatile.Read(n).IfNone("")));

    public StoreState ObserveStore()
    {
        var v = Fs.Volatile;
        var gens = v.Dirs.Where(d => StoreLayout.Parent(d) == StoreLayout.StoreDir)
            .Select(d => StoreLayout.ParseGenerationDirName(d[(StoreLayout.StoreDir.Length + 1)..]))
            .Somes().OrderBy(n => n).ToSeq();
        return new StoreState(v.DirExists(StoreLayout.StoreDir), v.Read(StoreLayout.ManifestPath), v.Read(StoreLayout.TempManifestPath), gens);
    }

    public static FileFacts Facts(string content) => new(content.Length, ManifestText.Sha256Hex(content));
}

/// <summary>Runs steps on a <see cref="World"/>. Any step while the wrapper is down restarts it first.</summary>
public static class Simulation
{
    public static World Run(World w, Step step)
    {
        if (!w.Up && step is not Step.Restart and not Step.HostCrash)
            w = Restart(w);
        return step switch
        {
            Step.AppWrites a => AppWrites(w, a.Atomic),
            Step.AppWritesMore => w with { Fs = w.Fs.Apply(new FsEffect.WriteFile("out.txt", $"output {w.AppVersion} {w.Clock}")).IfFail(w.Fs), Clock = w.Clock + 1 },
            Step.Commit c => Commit(w, c.KillAfter),
            Step.DiskFullCommit d => DiskFull(w, d.SpareChars),
            Step.HostCrash h => HostCrash(w, h.Seed, h.State).World,
            Step.ContainerRemoved => w with { Up = false },
            Step.WrapperKilled => w with { Up = false },
            Step.Restart => Restart(w),
            _ => w,
        };
    }

    public static World AppWrites(World w, bool atomic)
    {
        var v = w.AppVersion + 1;
        var cpu = w.AppCpu + 10;
        var files = new System.Collections.Generic.List<(string, string)>
        {
            ("state.bin", $"state v{v} cpu {cpu} " + new string((char)('a' + (int)(v % 26)), (int)(v % 7) * 3)),
            ("ckpt/a.dat", $"a v{v}"),
        };
        if (v % 2 == 1) files.Add(("ckpt/b.dat", $"b v{v} {new string('b', (int)(v % 5))}"));
        var fs = w.Fs;
        foreach (var (name, text) in files)
            fs = (atomic
                    ? fs.Apply(new FsEffect.WriteFile(name + ".tmp", text)).Bind(f => f.Apply(new FsEffect.Rename(name + ".tmp", name)))
                    : fs.Apply(new FsEffect.WriteFile(name, text)))
                .IfFail(fs);
        if (v % 2 == 0) fs = fs.Apply(new FsEffect.Delete("ckpt/b.dat")).IfFail(fs);
        return w with { Fs = fs, AppVersion = v, AppCpu = cpu, Clock = w.Clock + 1 };
    }

    /// <summary>A commit as the shell's CheckpointStore does it: stage, hash the copies, seal, acknowledge, retention.</summary>
    public static World Commit(World w, int killAfter)
    {
        var files = w.AppFiles().Keys.OrderBy(n => n, System.StringComparer.Ordinal).ToSeq();
        var stage = CommitProtocol.Stage(w.ObserveStore(), files, w.Variant);
        if (stage.IsFail) return w;
        var plan = stage.IfFail(default(StagePlan)!);
        var budget = killAfter < 0 ? int.MaxValue : killAfter;
        var (fs, done, err) = w.Fs.Run(plan.Effects, budget);
        w = w with { Fs = fs, Clock = w.Clock + 1 };
        if (err.IsSome) return w;
        if (done < plan.Effects.Count) return w with { Up = false };
        budget -= done;

        var copies = plan.Files.Select((_, i) => w.Fs.Volatile.Read(StoreLayout.StoredFile(plan.Number, i)).IfNone("")).ToSeq();
        var snapshot = new Snapshot(plan.Number, plan.Files.Zip(copies).Fold(HashMap<string, string>.Empty, (m, p) => m.AddOrUpdate(p.Item1, p.Item2)), w.AppCpu);
        var seal = CommitProtocol.Seal(plan, copies.Map(World.Facts), new CommitFacts(w.AppCpu, 0.5, "model", w.Clock), w.Keep, w.Variant);
        if (seal.IsFail) return w;
        var s = seal.IfFail(default(SealPlan)!);
        w = w with { Staged = w.Staged.AddOrUpdate(plan.Number, snapshot) };
        (fs, done, err) = w.Fs.Run(s.Durable, budget);
        w = w with { Fs = fs };
        if (err.IsSome) return w;
        if (done < s.Durable.Count) return w with { Up = false };
        budget -= done;

        // Durable: acknowledged to BOINC now, and only now.
        w = w with { LastAcked = plan.Number, AckedCount = w.AckedCount + 1 };
        (fs, done, _) = w.Fs.Run(s.Retention, budget);
        w = w with { Fs = fs };
        return done < s.Retention.Count ? w with { Up = false } : w;
    }

    public static World DiskFull(World w, int spare)
    {
        var capacity = w.Fs.Capacity;
        var r = Commit(w with { Fs = w.Fs.WithCapacity(w.Fs.Used + spare) }, -1);
        return r with { Fs = r.Fs.WithCapacity(capacity) };
    }

    /// <summary>
    /// The crash state number <paramref name="variantIndex"/> for this seed: a subset of the pending operations,
    /// data writes torn at a seeded point. Also returns how many pending operations there were.
    /// </summary>
    public static (World World, int Pending) HostCrash(World w, ulong seed, int variantIndex)
    {
        var pending = w.Fs.PendingOps.Count;
        var rng = new Prng(seed ^ ((ulong)variantIndex * 0xD1B54A32D192ED03UL));
        var keep = new bool[pending];
        var tear = new int[pending];
        for (var i = 0; i < pending; i++)
        {
            ulong x;
            (x, rng) = rng.NextULong();
            keep[i] = pending <= 16 && variantIndex > 0 ? ((ulong)variantIndex & (1UL << i)) != 0 : (x & 1) == 0;
            tear[i] = (int)((x >> 8) % 4); // 0: whole write, 1..3: torn
        }

        var fs = w.Fs.Crash(i => keep[i], (i, len) => tear[i] == 0 || len == 0 ? len : (int)((ulong)len * (ulong)tear[i] / 4));
        return (w with { Fs = fs, Up = false }, pending);
    }

    /// <summary>The wrapper starts: recovery decides from what is on disk, its effects run, the property is checked.</summary>
    public static World Restart(World w)
    {
        var v = w.Fs.Volatile;
        var stored = v.Names.Keys.Where(n => n.StartsWith(StoreLayout.StoreDir + "/", System.StringComparison.Ordinal))
            .Fold(HashMap<string, FileFacts>.Empty, (m, n) => m.AddOrUpdate(n, World.Facts(v.Read(n).IfNone(""))));
        var work = w.AppFiles().Map(World.Facts);
        var decision = Recovery.Decide(new RecoveryInput(w.ObserveStore(), stored, work));
        var (fs, _, err) = w.Fs.Run(decision.Effects);
        w = w with { Fs = fs, Up = true, Restarts = w.Restarts + 1 };
        var problems = Check(w, decision, err);
        // Recovery reports the chosen generation's CPU time to BOINC: from now on it counts as acknowledged.
        var acked = decision.Chosen.Map(g => w.LastAcked.Map(a => System.Math.Max(a, g.Number)).IfNone(g.Number));
        return w with
        {
            LastAcked = acked.IsSome ? acked : w.LastAcked,
            AppCpu = decision.CpuTimeSeconds,
            Violations = w.Violations.Then(problems),
        };
    }

    /// <summary>The property: never older than the last acknowledged generation, byte-identical to what was staged, CPU time matching, Keep generations kept.</summary>
    public static Seq<string> Check(World w, RecoveryDecision d, Option<LanguageExt.Common.Error> err)
    {
        var found = new System.Collections.Generic.List<string>();
        err.Iter(e => found.Add($"recovery effects failed: {e.Message}"));
        var chosen = d.Chosen.Map(g => g.Number);
        w.LastAcked.Iter(acked =>
        {
            if (chosen.Map(c => c < acked).IfNone(true))
                found.Add($"generation {acked} was acknowledged but recovery chose {chosen.Map(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).IfNone("nothing")} ({d.Why})");
        });
        d.Chosen.Iter(g => w.Staged.Find(g.Number).Match(
            snap =>
            {
                var now = w.AppFiles();
                if (!now.Keys.OrderBy(k => k).SequenceEqual(snap.Files.Keys.OrderBy(k => k)) || now.Exists((k, c) => snap.Files.Find(k) != c))
                    found.Add($"WORKDIR after restoring generation {g.Number} is not byte-identical to what was committed");
                if (d.CpuTimeSeconds != snap.CpuTime)
                    found.Add($"reported CPU time {d.CpuTimeSeconds} but generation {g.Number} was committed at {snap.CpuTime}");
            },
            () => found.Add($"recovery chose generation {g.Number}, which was never staged")));
        var mustKeep = System.Math.Min(w.Keep, w.AckedCount);
        if (d.IntactGenerations.Count < mustKeep)
            found.Add($"{d.IntactGenerations.Count} intact generation(s) after {w.AckedCount} acknowledged commits; keep = {w.Keep}");
        return found.ToSeq();
    }
}
