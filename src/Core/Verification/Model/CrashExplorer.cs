using Boinc.Persist.Core.Checkpoints;
using System.Collections.Generic;
using System.Linq;
using LanguageExt;

namespace Boinc.Persist.Core.Verification.Model;

/// <summary>How many runs of how many steps, from which seed, how crash states are chosen, and the store's keep.</summary>
public sealed record ExploreOptions(int Runs, int Length, ulong Seed, CrashBounds Bounds, CrashBounds KillBounds, int Keep = 2, bool StopAtFirst = false);

/// <summary>
/// What an exploration covered. A crash point is a run stopped after some number of file-system operations;
/// a crash state is one distinct file system a host crash there can leave (each followed by a restart and the
/// property check); exhaustive points had at most <see cref="CrashBounds.ExhaustiveUpTo"/> pending operations
/// (every subset explored), the others were sampled. Recoveries counts the restarts actually run (a crash
/// state already checked with the same acknowledgements in the same run is not run twice).
/// </summary>
public sealed record ExploreCounts(long Runs, long Steps, long CrashPoints, long ExhaustivePoints, long SampledPoints, long CrashStates, long Recoveries, int MaxPending)
{
    public static ExploreCounts Zero { get; } = new(0, 0, 0, 0, 0, 0, 0, 0);

    public ExploreCounts Plus(ExploreCounts o) => new(Runs + o.Runs, Steps + o.Steps, CrashPoints + o.CrashPoints, ExhaustivePoints + o.ExhaustivePoints,
        SampledPoints + o.SampledPoints, CrashStates + o.CrashStates, Recoveries + o.Recoveries, System.Math.Max(MaxPending, o.MaxPending));
}

/// <summary>
/// A failing run, shrunk: its steps; where it failed (the last step, stopped after <see cref="CrashAfter"/>
/// operations, and the crash state; or a plain restart); and what the property found.
/// </summary>
public sealed record Counterexample(Seq<Step> Steps, string Where, Seq<string> Violations, int OriginalLength)
{
    public string Story => string.Join(" -> ", Steps.Map(s => s.ToString())) + " " + Where;
}

public sealed record ExploreResult(string Name, ProtocolVariant Variant, ExploreCounts Counts, int FailingRuns, Option<Counterexample> Counterexample);

/// <summary>
/// The model checker behind <c>model-check</c> and the crash properties. For each generated run it crashes the
/// host systematically after EVERY file-system operation of every step (app writes, commits, recoveries), and at
/// each such crash point explores the crash states <see cref="CrashStates"/> chooses (every subset of the pending
/// operations up to a bound, seeded samples beyond, every data write torn at every block boundary), each followed
/// by a restart that checks the property (<see cref="Simulation.Check"/>). Process kills and the run's own host
/// crashes are generated steps (sampled). A failure is shrunk by delta debugging over the steps.
/// </summary>
public static class CrashExplorer
{
    public static ExploreResult Explore(IStoreUnderTest sut, ExploreOptions o)
    {
        var rng = new Prng(o.Seed);
        var total = ExploreCounts.Zero;
        var failing = 0;
        Option<Counterexample> first = Option<Counterexample>.None;
        for (var n = 0; n < o.Runs; n++)
        {
            Seq<Step> run;
            (run, rng) = Generate(rng, o.Length);
            var (failure, counts) = ExploreRun(sut, run, o.Bounds, o.KillBounds, o.Keep, o.Seed + (ulong)n, 0);
            total = total.Plus(counts);
            failure.Iter(f =>
            {
                failing++;
                if (first.IsNone) first = Shrink(sut, f, o, o.Seed + (ulong)n);
            });
            if (o.StopAtFirst && first.IsSome) break;
        }

        return new ExploreResult(sut.Name, sut.Variant, total, failing, first);
    }

    /// <summary>
    /// Run <paramref name="run"/> from the start, crashing the host after every operation of the steps from
    /// <paramref name="crashFrom"/> on; and wherever that stops the WRAPPER midway (a commit, a recovery), also
    /// killing it there and exploring the restart and the next commit the same way (with
    /// <paramref name="killBounds"/>). The first failure (its steps truncated to the failing one), and the counts.
    /// </summary>
    public static (Option<Counterexample> Failure, ExploreCounts Counts) ExploreRun(IStoreUnderTest sut, Seq<Step> run, CrashBounds bounds, CrashBounds killBounds, int keep, ulong seed, int crashFrom)
    {
        var x = new Walker(sut, killBounds, seed);
        x.Tally.Runs = 1;
        var steps = run.ToArray();
        var f = x.Walk(World.Start(keep), steps, crashFrom, bounds, lookahead: true, "");
        return (f.Map(v => new Counterexample(run.Take(v.Steps).ToSeq(), v.Where, v.Violations, steps.Length)), x.Tally.Counts());
    }

    private sealed record Found(int Steps, string Where, Seq<string> Violations);

    /// <summary>One exploration's state: the store, the bounds, the per-run cache of checked crash states, the counts.</summary>
    private sealed class Walker(IStoreUnderTest sut, CrashBounds killBounds, ulong seed)
    {
        public Tally Tally { get; } = new();

        private readonly Dictionary<string, Seq<string>> cache = new();
        private readonly System.Collections.Generic.HashSet<string> killed = new();

        public Option<Found> Walk(World w, Step[] steps, int crashFrom, CrashBounds b, bool lookahead, string context)
        {
            for (var i = 0; i < steps.Length; i++)
            {
                Tally.Steps++;
                if (i >= crashFrom && steps[i] is not Step.HostCrash and not Step.Writeback and not Step.ContainerRemoved and not Step.WrapperKilled)
                {
                    for (var k = 0; ; k++)
                    {
                        var r = Simulation.Run(sut, w, steps[i], k);
                        if (!r.Stopped) break;
                        var f = CrashPoint(r.World, b, seed ^ ((ulong)i << 20) ^ (ulong)k ^ (ulong)context.Length << 40);
                        if (f.IsSome)
                            return f.Map(x => new Found(i + 1, $"{context}[host crash after {k} operation(s) of this step; {x.State}] -> restart", x.Violations));
                        if (lookahead && !r.World.Up && killed.Add(KillKey(r.World)))
                        {
                            // The wrapper died here: the next start recovers and commits again, crashed everywhere too.
                            var after = Walk(r.World, Lookahead, 0, killBounds, lookahead: false, "");
                            if (after.IsSome)
                                return after.Map(x => new Found(i + 1, $"[wrapper killed after {k} operation(s) of this step] -> {string.Join(" -> ", Lookahead.Take(x.Steps).Select(s => s.ToString()))} {x.Where}", x.Violations));
                        }
                    }
                }

                var before = w.Violations.Count;
                w = Simulation.Run(sut, w, steps[i]);
                if (w.Violations.Count > before)
                    return new Found(i + 1, $"{context}[no host crash needed]", w.Violations.Skip(before).ToSeq());
            }

            // The end of the run is a crash point too, and a last plain restart is checked.
            var end = CrashPoint(w, b, seed ^ 0xE0D);
            if (end.IsSome) return end.Map(x => new Found(steps.Length, $"{context}[host crash after the last step; {x.State}] -> restart", x.Violations));
            var last = Simulation.Run(sut, w, new Step.Restart());
            return last.Violations.Count > w.Violations.Count
                ? new Found(steps.Length, $"{context}-> restart", last.Violations.Skip(w.Violations.Count).ToSeq())
                : Option<Found>.None;
        }

        private static string KillKey(World w) =>
            w.Fs.Volatile.Fingerprint() + "|" + w.Fs.Durable.Fingerprint() + "|" + string.Join(";", w.Fs.PendingOps.Map(p => p.ToString())) + $"|{w.LastAcked}|{w.AckedCount}";

        private static readonly Step[] Lookahead = { new Step.Restart(), new Step.Commit(-1) };

        /// <summary>Every crash state of one crash point, each followed by a restart and the check; the first violation.</summary>
        private Option<(string State, Seq<string> Violations)> CrashPoint(World w, CrashBounds b, ulong pointSeed)
        {
            var c = Tally;
            var pending = w.Fs.PendingOps.Count;
            c.CrashPoints++;
            if (CrashStates.IsExhaustive(pending, b)) c.Exhaustive++;
            else c.Sampled++;
            c.MaxPending = System.Math.Max(c.MaxPending, pending);
            var seen = new System.Collections.Generic.HashSet<string>();
            var acks = $"|{w.LastAcked.IfNone(-1)}|{w.AckedCount}";
            foreach (var choice in CrashStates.Choose(w.Fs, b, pointSeed))
            {
                var crashed = choice.Apply(w.Fs);
                var print = crashed.Volatile.Fingerprint();
                if (!seen.Add(print)) continue;
                c.States++;
                if (!cache.TryGetValue(print + acks, out var found))
                {
                    c.Recoveries++;
                    var down = w with { Fs = crashed, Up = false };
                    var after = Simulation.Run(sut, down, new Step.Restart());
                    found = after.Violations.Skip(down.Violations.Count).ToSeq();
                    cache[print + acks] = found;
                }

                if (!found.IsEmpty) return (choice.Describe(w.Fs), found);
            }

            return Option<(string, Seq<string>)>.None;
        }
    }

    /// <summary>
    /// Delta debugging (ddmin) over the steps before the failing one; a candidate fails when crashing its last
    /// step (or a plain restart in it) breaks the property. Then parameters are simplified (a kill that was not
    /// needed goes, a run's own crash takes its first state), so the story says only what matters.
    /// </summary>
    public static Counterexample Shrink(IStoreUnderTest sut, Counterexample failing, ExploreOptions o, ulong seed)
    {
        var last = failing.Steps.Last;
        var current = failing.Steps.Take(failing.Steps.Count - 1).ToList();
        // Candidates are explored with bounds no larger than ShrinkBounds: a shorter story found with them is as
        // real a counterexample, and a candidate that passes costs its whole last step's exploration.
        var b = Smaller(o.Bounds, ShrinkBounds);
        var kb = Smaller(o.KillBounds, ShrinkBounds);
        Option<Counterexample> Try(List<Step> before) =>
            ExploreRun(sut, before.ToSeq().Add(last), b, kb, o.Keep, seed, before.Count).Failure;

        var best = failing;
        var chunks = 2;
        while (current.Count >= 1)
        {
            var size = System.Math.Max(1, (int)System.Math.Ceiling(current.Count / (double)chunks));
            var reduced = false;
            for (var start = 0; start < current.Count; start += size)
            {
                var candidate = current.Take(start).Concat(current.Skip(start + size)).ToList();
                var f = Try(candidate);
                if (f.IsSome)
                {
                    current = candidate;
                    best = f.IfNone(best);
                    chunks = System.Math.Max(chunks - 1, 2);
                    reduced = true;
                    break;
                }
            }

            if (!reduced)
            {
                if (size == 1) break;
                chunks = System.Math.Min(chunks * 2, current.Count);
            }
        }

        for (var i = 0; i < current.Count; i++)
        {
            var simpler = Simpler(current[i]);
            if (simpler is null) continue;
            var candidate = current.ToList();
            candidate[i] = simpler;
            var f = Try(candidate);
            if (f.IsSome) { current = candidate; best = f.IfNone(best); }
        }

        // The failing step itself: a kill the explorer's own crash or kill came before is no kill.
        if (Simpler(last) is { } plain)
        {
            var f = ExploreRun(sut, current.ToSeq().Add(plain), b, kb, o.Keep, seed, current.Count).Failure;
            if (f.IsSome) best = f.IfNone(best);
        }

        return best with { OriginalLength = failing.OriginalLength };
    }

    /// <summary>The largest bounds shrinking explores a candidate with: every subset up to 8 pending operations, 32 samples, 32-char blocks.</summary>
    public static CrashBounds ShrinkBounds { get; } = new(8, 32, 32);

    private static CrashBounds Smaller(CrashBounds a, CrashBounds b) =>
        new(System.Math.Min(a.ExhaustiveUpTo, b.ExhaustiveUpTo), System.Math.Min(a.Samples, b.Samples), System.Math.Max(a.BlockSize, b.BlockSize));

    private static Step? Simpler(Step s) => s switch
    {
        Step.Commit c when c.KillAfter >= 0 => new Step.Commit(-1),
        Step.HostCrash h when h.State != 0 => new Step.HostCrash(h.Seed, 0),
        _ => null,
    };

    /// <summary>A seeded run of <paramref name="length"/> steps.</summary>
    public static (Seq<Step>, Prng) Generate(Prng rng, int length)
    {
        var steps = new List<Step>();
        for (var i = 0; i < length; i++)
        {
            int r;
            (r, rng) = rng.Below(100);
            int a;
            (a, rng) = rng.Below(64);
            ulong seed;
            (seed, rng) = rng.NextULong();
            steps.Add(r switch
            {
                < 24 => new Step.AppWrites(a % 2 == 0),
                < 29 => new Step.AppWritesMore(),
                < 47 => new Step.Commit(-1),
                < 54 => new Step.Commit(a % 40),
                < 58 => new Step.DiskFullCommit(a * 4),
                < 66 => new Step.HostCrash(seed, 0),
                < 76 => new Step.Writeback(),
                < 80 => new Step.ContainerRemoved(),
                < 86 => new Step.WrapperKilled(),
                _ => new Step.Restart(),
            });
        }

        return (steps.ToSeq(), rng);
    }

    /// <summary>Counters of one exploration (mutable, private to it).</summary>
    private sealed class Tally
    {
        public long Runs, Steps, CrashPoints, Exhaustive, Sampled, States, Recoveries;
        public int MaxPending;

        public ExploreCounts Counts() => new(Runs, Steps, CrashPoints, Exhaustive, Sampled, States, Recoveries, MaxPending);
    }
}
