using Boinc.Persist.Core.Checkpoints;
using System.Linq;
using LanguageExt;

namespace Boinc.Persist.Core.Verification.Model;

/// <summary>What the app's declared checkpoint files held when a commit was asked for, and the CPU time it was asked with.</summary>
public sealed record Snapshot(HashMap<string, string> Files, long CpuNanos);

/// <summary>
/// The app, the wrapper and the host on a <see cref="ModelFs"/>. <see cref="Staged"/> records, per commit attempt
/// (its tag travels as the generation's engine identity), what the app's files held; <see cref="LastAcked"/> is
/// the newest generation BOINC was told about (a commit returned, or a recovery reported it);
/// <see cref="Violations"/> what the property found at restarts.
/// </summary>
public sealed record World(
    ModelFs Fs,
    int Keep,
    bool Up,
    long AppVersion,
    long AppCpuNanos,
    long Clock,
    int Attempts,
    HashMap<string, Snapshot> Staged,
    Option<long> LastAcked,
    int AckedCount,
    Seq<string> Violations,
    int Restarts)
{
    public static readonly Seq<string> Patterns = new[] { "state.bin", "ckpt/*.dat" }.ToSeq();

    public static World Start(int keep = 2)
    {
        var fs = ModelFs.Empty().Apply(new FsEffect.CreateDir("ckpt")).IfFail(ModelFs.Empty()).Sync();
        return new World(fs, keep, true, 0, 0, 1_000, 0, HashMap<string, Snapshot>.Empty, Option<long>.None, 0, Seq<string>.Empty, 0);
    }

    /// <summary>The declared checkpoint files in WORKDIR (the slot root here) and their contents.</summary>
    public HashMap<string, string> AppFiles() => CoreProtocolStore.DeclaredFiles(Fs, Patterns);
}

/// <summary>A step's result: the world, the operations it ran, and whether the explorer's budget stopped it midway.</summary>
public sealed record StepResult(World World, int Used, bool Stopped);

/// <summary>
/// Runs steps on a <see cref="World"/> against a store under test. A budget (&gt;= 0) stops the step after that
/// many mutating file-system operations (app and wrapper alike): the explorer crashes the host there. Any step
/// while the wrapper is down restarts it first (recovery, then the property check).
/// </summary>
public static class Simulation
{
    public static World Run(IStoreUnderTest sut, World w, Step step) => Run(sut, w, step, -1).World;

    public static StepResult Run(IStoreUnderTest sut, World w, Step step, int budget)
    {
        var used = 0;
        if (!w.Up && step is not Step.Restart and not Step.HostCrash and not Step.Writeback)
        {
            var r = Restart(sut, w, budget);
            if (r.Stopped) return r;
            (w, used) = (r.World, r.Used);
        }

        var left = budget < 0 ? -1 : budget - used;
        var s = step switch
        {
            Step.AppWrites a => AppWrites(w, a.Atomic, left),
            Step.AppWritesMore => AppOps(w, left, new FsEffect.WriteFile("out.txt", $"output {w.AppVersion} {w.Clock}")),
            Step.Commit c => Commit(sut, w, c.KillAfter, left),
            Step.DiskFullCommit d => DiskFull(sut, w, d.SpareChars, left),
            Step.HostCrash h => new StepResult(HostCrash(w, h.Seed, h.State), 0, false),
            Step.Writeback => new StepResult(w with { Fs = w.Fs.Sync() }, 0, false),
            Step.ContainerRemoved or Step.WrapperKilled => new StepResult(w with { Up = false }, 0, false),
            Step.Restart => Restart(sut, w, left),
            _ => new StepResult(w, 0, false),
        };
        return s with { Used = s.Used + used };
    }

    public static StepResult AppWrites(World w, bool atomic, int budget)
    {
        var v = w.AppVersion + 1;
        var cpu = w.AppCpuNanos + 10_000_000_000;
        var files = new System.Collections.Generic.List<(string, string)>
        {
            ("state.bin", $"state v{v} cpu {cpu / 1_000_000_000} " + new string((char)('a' + (int)(v % 26)), (int)(v % 7) * 3)),
            ("ckpt/a.dat", $"a v{v}"),
        };
        if (v % 2 == 1) files.Add(("ckpt/b.dat", $"b v{v} {new string('b', (int)(v % 5))}"));
        var effects = new System.Collections.Generic.List<FsEffect>();
        foreach (var (name, text) in files)
        {
            if (atomic) { effects.Add(new FsEffect.WriteFile(name + ".tmp", text)); effects.Add(new FsEffect.Rename(name + ".tmp", name)); }
            else effects.Add(new FsEffect.WriteFile(name, text));
        }

        if (v % 2 == 0) effects.Add(new FsEffect.Delete("ckpt/b.dat"));
        var r = AppOps(w, budget, effects.ToArray());
        return r with { World = r.World with { AppVersion = v, AppCpuNanos = cpu } };
    }

    /// <summary>The app's own operations (never fsynced); a failure (a full disk) just leaves the app's files as they are.</summary>
    private static StepResult AppOps(World w, int budget, params FsEffect[] effects)
    {
        var fs = w.Fs;
        var used = 0;
        foreach (var e in effects)
        {
            if (budget >= 0 && used >= budget) return new StepResult(w with { Fs = fs }, used, true);
            fs = fs.Apply(e).IfFail(fs);
            used++;
        }

        return new StepResult(w with { Fs = fs, Clock = w.Clock + 1 }, used, false);
    }

    /// <summary>
    /// A commit as the wrapper asks for it: the attempt's tag and the app's files are recorded first (what must
    /// come back byte for byte), then the store commits; the generation counts as acknowledged when the call returns.
    /// </summary>
    public static StepResult Commit(IStoreUnderTest sut, World w, int killAfter, int budget)
    {
        var files = w.AppFiles();
        if (files.IsEmpty) return new StepResult(w, 0, false);
        var attempt = w.Attempts + 1;
        var tag = $"model#{attempt}";
        w = w with { Attempts = attempt, Clock = w.Clock + 1, Staged = w.Staged.AddOrUpdate(tag, new Snapshot(files, w.AppCpuNanos)) };
        var limit = killAfter < 0 ? budget : budget < 0 ? killAfter : System.Math.Min(killAfter, budget);
        var o = sut.Commit(w.Fs, World.Patterns, new CommitFacts(w.AppCpuNanos, 0.5, tag, w.Clock), w.Keep, limit);
        w = w with { Fs = o.Fs };
        if (o.Killed)
            return new StepResult(w with { Up = false }, o.Used, budget >= 0 && (killAfter < 0 || budget <= killAfter));
        o.Acknowledged.Iter(n => w = w with { LastAcked = w.LastAcked.Map(a => System.Math.Max(a, n)).IfNone(n), AckedCount = w.AckedCount + 1 });
        o.Error.Iter(e =>
        {
            // A store that refuses to commit (other than for a full disk) has stopped keeping the promise.
            if (e.Code != ModelFs.ENoSpc && !e.Message.Contains("No space left", System.StringComparison.Ordinal))
                w = w with { Violations = w.Violations.Add($"commit refused: {e.Message}") };
        });
        return new StepResult(w, o.Used, false);
    }

    public static StepResult DiskFull(IStoreUnderTest sut, World w, int spare, int budget)
    {
        var capacity = w.Fs.Capacity;
        var r = Commit(sut, w with { Fs = w.Fs.WithCapacity(w.Fs.Used + spare) }, -1, budget);
        return r with { World = r.World with { Fs = r.World.Fs.WithCapacity(capacity) } };
    }

    /// <summary>One seeded crash state: each pending operation kept with probability 1/2, one data write in four torn at a 16-char boundary (to a prefix, or with a 16-char hole).</summary>
    public static World HostCrash(World w, ulong seed, int state)
    {
        var pending = w.Fs.PendingOps.ToArray();
        var rng = new Prng(seed ^ ((ulong)state * 0xD1B54A32D192ED03UL));
        var keep = new bool[pending.Length];
        var tear = new int[pending.Length];
        var holed = new bool[pending.Length];
        for (var i = 0; i < pending.Length; i++)
        {
            ulong x;
            (x, rng) = rng.NextULong();
            keep[i] = (x & 1) == 0;
            holed[i] = ((x >> 12) & 1) == 1;
            tear[i] = (x >> 8) % 4 == 0 && pending[i] is Pending.Data d && d.Content.Length > 0 ? (int)((x >> 16) % (ulong)d.Content.Length) / 16 * 16 : -1;
        }

        // Half the torn writes lose a block in the middle instead of their end (a later block reached the disk).
        var fs = w.Fs.Crash(i => keep[i], (i, len) => tear[i] < 0 || holed[i] ? len : System.Math.Min(tear[i], len),
            i => tear[i] >= 0 && holed[i] ? (tear[i], 16) : (0, 0));
        return w with { Fs = fs, Up = false };
    }

    /// <summary>
    /// The wrapper starts: recovery decides from what is on disk, its effects run, the property is checked, and
    /// the generation it reports counts as acknowledged from then on (BOINC hears its CPU time).
    /// </summary>
    public static StepResult Restart(IStoreUnderTest sut, World w, int budget)
    {
        if (sut.Variant == ProtocolVariant.CallerSkipRecoveryWithoutGeneration && ListedGenerations(w.Fs).IsEmpty)
        {
            var nothing = new Recovered(Option<long>.None, Option<string>.None, 0, "recovery skipped: no generation listed", Option<string>.None);
            return new StepResult(Checked(w, nothing), 0, false);
        }

        if (sut.Variant == ProtocolVariant.CallerReportBeforeRecovery)
        {
            // The caller reports what recovery will choose before recovery has made anything durable.
            var early = sut.Recover(w.Fs, World.Patterns, -1).Report.Bind(r => r.Number);
            early.Iter(n => w = w with { LastAcked = w.LastAcked.Map(a => System.Math.Max(a, n)).IfNone(n) });
        }

        var o = sut.Recover(w.Fs, World.Patterns, budget);
        w = w with { Fs = o.Fs };
        if (o.Killed) return new StepResult(w with { Up = false }, o.Used, budget >= 0);
        return new StepResult(Checked(w, o.Report.IfNone(new Recovered(Option<long>.None, Option<string>.None, 0, "no report", "no report"))), o.Used, false);
    }

    private static World Checked(World w, Recovered report)
    {
        var problems = Check(w, report);
        var acked = report.Number.Map(n => w.LastAcked.Map(a => System.Math.Max(a, n)).IfNone(n));
        return w with
        {
            Up = true,
            Restarts = w.Restarts + 1,
            LastAcked = acked.IsSome ? acked : w.LastAcked,
            AppCpuNanos = report.CpuNanos,
            Violations = w.Violations.Then(problems),
        };
    }

    /// <summary>
    /// The property, checked after every recovery: never older than the newest generation BOINC was told about
    /// (never from zero once one was); WORKDIR's declared files byte-identical to what the app held when that
    /// generation was committed; the CPU time reported the one it was committed with; that generation intact in the
    /// store (its pack verifies) and no sealed pack newer than it left there; at least min(keep, acknowledged commits) intact generations in the store (counted
    /// here from the disk, not from the report).
    /// </summary>
    public static Seq<string> Check(World w, Recovered report)
    {
        var found = new System.Collections.Generic.List<string>();
        report.Error.Iter(e => found.Add($"recovery failed: {e}"));
        var chosen = report.Number;
        w.LastAcked.Iter(acked =>
        {
            if (chosen.Map(c => c < acked).IfNone(true))
                found.Add($"generation {acked} was acknowledged but recovery chose {chosen.Map(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).IfNone("nothing")} ({report.Why})");
        });
        chosen.Iter(n => report.Identity.Bind(id => w.Staged.Find(id)).Match(
            snap =>
            {
                var now = w.AppFiles();
                if (!now.Keys.OrderBy(k => k).SequenceEqual(snap.Files.Keys.OrderBy(k => k)) || now.Exists((k, c) => snap.Files.Find(k) != c))
                    found.Add($"WORKDIR after restoring generation {n} is not byte-identical to what the app held when it was committed");
                if (report.CpuNanos != snap.CpuNanos)
                    found.Add($"reported CPU time {report.CpuNanos} but generation {n} was committed at {snap.CpuNanos}");
            },
            () => found.Add($"recovery chose generation {n} ({report.Identity.IfNone("?")}), which no commit attempt produced")));
        // The generation reported must be in the store intact: a pack that does not verify would restore garbage
        // after the next crash, however well WORKDIR matches it now. And no sealed pack newer than it may stay: the
        // next commit would count it among the generations it keeps, and retire an intact one for it (an unsealed
        // one the next commit removes).
        var packs = CoreProtocolStore.Observe(w.Fs, ranges: true).Packs;
        chosen.Iter(n =>
        {
            var pack = packs.Find(p => p.Number == n);
            if (pack.Map(p => PackFormat.Verify(p).IsSome).IfNone(true))
                found.Add($"recovery chose generation {n}, which the store does not hold intact ({pack.Bind(PackFormat.Verify).IfNone("no pack")})");
        });
        var newer = packs.Filter(p => p.Sealed && p.Number > chosen.IfNone(0));
        if (!newer.IsEmpty)
            found.Add($"recovery chose {chosen.Map(c => $"generation {c}").IfNone("nothing")} and left newer sealed pack(s) {string.Join(", ", newer.Map(p => p.Number))} in the store");
        var intact = IntactGenerations(w.Fs);
        var mustKeep = System.Math.Min(w.Keep, w.AckedCount);
        if (intact < mustKeep)
            found.Add($"{intact} intact generation(s) in the store after {w.AckedCount} acknowledged commits; keep = {w.Keep}");
        return found.ToSeq();
    }

    /// <summary>The generations the store's sealed packs record (as their trailers say, not verified), oldest first.</summary>
    public static Seq<Generation> ListedGenerations(ModelFs fs) => CoreProtocolStore.Observe(fs).Current.Generations;

    /// <summary>How many of the store's packs verify (every file's range has its trailer's size and hash).</summary>
    public static int IntactGenerations(ModelFs fs) => CoreProtocolStore.Observe(fs, ranges: true).Packs.Count(p => PackFormat.Verify(p).IsNone);
}
