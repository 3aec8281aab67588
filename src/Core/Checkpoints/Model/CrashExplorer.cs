using System.Collections.Generic;
using System.Linq;
using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints.Model;

public sealed record ExploreOptions(ProtocolVariant Variant, int Sequences, int Length, int CrashStatesPerCrash, ulong Seed, int Keep = 2, bool StopAtFirst = false);

/// <summary>A failing sequence (shrunk), replayable with <see cref="CrashExplorer.Replay"/>, and what the property found.</summary>
public sealed record Counterexample(Seq<Step> Steps, Seq<string> Violations, int OriginalLength)
{
    public string Story => string.Join(" -> ", Steps.Map(s => s.ToString()));
}

public sealed record ExploreResult(ProtocolVariant Variant, long Sequences, long Steps, long CrashStates, long Restarts, int FailingSequences, Option<Counterexample> Counterexample);

/// <summary>
/// The model checker behind <c>model-check</c>: generates seeded step sequences, and at every host crash
/// explores many crash states (every subset of the pending operations when there are at most
/// log2(states) of them, else seeded samples), each followed by a restart that checks the property. The first
/// failure is shrunk by delta debugging over the step list.
/// </summary>
public static class CrashExplorer
{
    public static ExploreResult Explore(ExploreOptions o)
    {
        var rng = new Prng(o.Seed);
        long steps = 0, crashStates = 0, restarts = 0;
        var failing = 0;
        Option<Counterexample> first = Option<Counterexample>.None;
        for (var n = 0; n < o.Sequences; n++)
        {
            Seq<Step> sequence;
            (sequence, rng) = Generate(rng, o.Length);
            var w = World.Start(o.Variant, o.Keep);
            var done = new List<Step>();
            Option<Seq<Step>> failure = Option<Seq<Step>>.None;
            foreach (var step in sequence)
            {
                steps++;
                if (step is Step.HostCrash h)
                {
                    var (_, pending) = Simulation.HostCrash(w, h.Seed, 0);
                    var states = pending <= 16 ? System.Math.Min(o.CrashStatesPerCrash, 1 << pending) : o.CrashStatesPerCrash;
                    for (var k = 0; k < states && failure.IsNone; k++)
                    {
                        crashStates++;
                        restarts++;
                        var after = Simulation.Restart(Simulation.HostCrash(w, h.Seed, k).World);
                        if (after.Violations.Count > w.Violations.Count)
                            failure = done.ToSeq().Add(new Step.HostCrash(h.Seed, k)).Add(new Step.Restart());
                    }

                    if (failure.IsSome) break;
                }

                var before = w.Violations.Count;
                w = Simulation.Run(w, step);
                done.Add(step);
                if (w.Violations.Count > before) { failure = done.ToSeq(); break; }
            }

            restarts += w.Restarts;
            if (failure.IsNone)
            {
                var end = Simulation.Restart(w);
                restarts++;
                if (end.Violations.Count > w.Violations.Count) failure = done.ToSeq().Add(new Step.Restart());
            }

            failure.Iter(f =>
            {
                failing++;
                if (first.IsNone) first = Shrink(o, f);
            });
            if (o.StopAtFirst && first.IsSome)
                return new ExploreResult(o.Variant, n + 1, steps, crashStates, restarts, failing, first);
        }

        return new ExploreResult(o.Variant, o.Sequences, steps, crashStates, restarts, failing, first);
    }

    /// <summary>Run a sequence from the start, then restart once more; the violations found.</summary>
    public static Seq<string> Replay(ProtocolVariant variant, Seq<Step> steps, int keep = 2)
    {
        var w = steps.Fold(World.Start(variant, keep), Simulation.Run);
        return Simulation.Restart(w).Violations;
    }

    /// <summary>Delta debugging (ddmin) over the step list: the smallest sequence found that still fails.</summary>
    public static Counterexample Shrink(ExploreOptions o, Seq<Step> failing)
    {
        var current = failing.ToList();
        var chunks = 2;
        while (current.Count >= 2)
        {
            var size = (int)System.Math.Ceiling(current.Count / (double)chunks);
            var reduced = false;
            for (var start = 0; start < current.Count; start += size)
            {
                var candidate = current.Take(start).Concat(current.Skip(start + size)).ToList();
                if (candidate.Count > 0 && !Replay(o.Variant, candidate.ToSeq(), o.Keep).IsEmpty)
                {
                    current = candidate;
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

        // Then simplify parameters, so the story says only what matters: a kill that came after the last
        // effect was no kill, and the first crash state is the one a reader expects.
        for (var i = 0; i < current.Count; i++)
        {
            Step? simpler = current[i] switch
            {
                Step.Commit c when c.KillAfter >= 0 => new Step.Commit(-1),
                Step.HostCrash h when h.State != 0 => new Step.HostCrash(h.Seed, 0),
                _ => null,
            };
            if (simpler is null) continue;
            var candidate = current.ToList();
            candidate[i] = simpler;
            if (!Replay(o.Variant, candidate.ToSeq(), o.Keep).IsEmpty) current = candidate;
        }

        return new Counterexample(current.ToSeq(), Replay(o.Variant, current.ToSeq(), o.Keep), failing.Count);
    }

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
                < 25 => new Step.AppWrites(a % 2 == 0),
                < 32 => new Step.AppWritesMore(),
                < 50 => new Step.Commit(-1),
                < 56 => new Step.Commit(a % 24),
                < 61 => new Step.DiskFullCommit(a),
                < 78 => new Step.HostCrash(seed, 0),
                < 83 => new Step.ContainerRemoved(),
                < 88 => new Step.WrapperKilled(),
                _ => new Step.Restart(),
            });
        }

        return (steps.ToSeq(), rng);
    }
}
