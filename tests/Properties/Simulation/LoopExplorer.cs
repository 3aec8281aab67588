using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Core.Verification.Model;
using LanguageExt;

namespace Boinc.Persist.Properties.LoopSimulation;

/// <summary>What exploring runs found: the counts, and the first counterexample (a story) if any.</summary>
public sealed class LoopExploration
{
    public int Runs { get; set; }

    public int CrashPoints { get; set; }

    /// <summary>Crash states enumerated (every subset / torn write the bounds give, before merging equal ones).</summary>
    public long CrashStates { get; set; }

    /// <summary>Distinct file systems a fresh wrapper was run on after a crash (equal states merged per crash point).</summary>
    public long Continuations { get; set; }

    /// <summary>Wrapper-process kills (no host crash) continued from the crash points.</summary>
    public int Kills { get; set; }

    /// <summary>Crash points with more pending operations than the bounds enumerate (sampled there).</summary>
    public int SampledPoints { get; set; }

    public Option<string> Counterexample { get; set; }

    public override string ToString() =>
        $"{Runs} runs, {CrashPoints} crash points, {CrashStates} crash states ({Continuations} distinct continuations after a host crash, {Kills} after a kill of the wrapper alone; {SampledPoints} crash points sampled beyond {LoopExplorer.Bounds.ExhaustiveUpTo} pending operations)";
}

/// <summary>
/// Runs the shipped wrapper loop through one generated run undisturbed, then once per effect index with a host
/// crash injected before that effect; at each crash point, every crash state <see cref="CrashStates"/> gives
/// (every subset of the pending operations up to 12, seeded samples beyond, each data write torn at each block
/// boundary) is handed to a fresh wrapper that must carry the task to its finish. The three promises are checked
/// throughout by <see cref="SimWorld"/>.
/// </summary>
public static class LoopExplorer
{
    public static CrashBounds Bounds { get; } = CrashBounds.Default;

    public static async Task<Option<string>> Explore(SimRun run, LoopExploration stats)
    {
        stats.Runs++;
        var clean = SimWorld.New(run);
        var cleanResult = await Play(clean, run);
        if (cleanResult.IsSome) return cleanResult;
        var effects = clean.EffectCount;
        for (var k = 0; k < effects; k++)
        {
            var world = SimWorld.New(run);
            world.CrashAt = k;
            var found = await Play(world, run);
            if (found.IsSome) return found;
            if (world.CrashedFs.Case is not ModelFs fs) continue;
            stats.CrashPoints++;
            if (!CrashStates.IsExhaustive(fs.PendingOps.Count, Bounds)) stats.SampledPoints++;
            var seen = new System.Collections.Generic.HashSet<string>();
            foreach (var choice in CrashStates.Choose(fs, Bounds, (ulong)(k + 1) * 0x9E3779B97F4A7C15UL))
            {
                stats.CrashStates++;
                var after = choice.Apply(fs);
                if (!seen.Add(after.Volatile.Fingerprint())) continue;
                stats.Continuations++;
                var next = world.AfterCrash(after, choice.Describe(fs));
                var done = await next.RunToCompletion();
                next.Abandon();
                if (next.Violations.Count > 0 || !done)
                    return Report(run, next, done ? "" : "the task never finished after the crash");
            }

            // The same point as a kill of the wrapper process alone (the host stays up): last, it moves the engine.
            stats.Kills++;
            var killed = world.AfterWrapperKill();
            var finished = await killed.RunToCompletion();
            killed.Abandon();
            if (killed.Violations.Count > 0 || !finished)
                return Report(run, killed, finished ? "" : "the task never finished after the wrapper was killed");
        }

        return Option<string>.None;
    }

    private static async Task<Option<string>> Play(SimWorld world, SimRun run)
    {
        await world.StartWrapper();
        foreach (var act in run.Acts)
            await world.Do(act);
        var done = await world.RunToCompletion();
        world.Abandon();
        if (world.Crashing) return world.Violations.Count > 0 ? Report(run, world, "") : Option<string>.None;
        return world.Violations.Count > 0 || !done ? Report(run, world, done ? "" : "the task never finished") : Option<string>.None;
    }

    private static Option<string> Report(SimRun run, SimWorld world, string more) =>
        $"{run}\nviolations: {string.Join("; ", world.Violations.Append(more).Where(v => v.Length > 0))}\nstory:\n{string.Join("\n", world.Story)}";
}
