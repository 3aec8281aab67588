using System;
using System.IO;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.LoopSimulation;

/// <summary>
/// The crash promise for the SHIPPED wrapper loop (JobLoop, Interpreter, CheckpointStore through StorePort) under
/// deterministic simulation: a simulated engine, the model file system, a manual clock, crash injection before
/// every effect index of each generated run and every crash state of each crash point. Checked throughout:
/// (a) no container ever resumes from older than the files of the newest checkpoint CPU time BOINC was told;
/// (b) no container starts once the job finished (its own exit 0 kept by the engine, its result recorded or reported);
/// (c) nothing is acknowledged before it is durable (checkpoint CPU time only once a generation with it survives
/// every crash; the finish only once the journal records it); and every run ends in a reported finish.
/// </summary>
public class ShippedLoopProperties
{
    /// <summary>Generated runs per test pass; BOINC_PERSIST_SIM_RUNS raises it (bench/model-check.sh --loop).</summary>
    private static int Runs => int.TryParse(Environment.GetEnvironmentVariable("BOINC_PERSIST_SIM_RUNS"), out var n) && n > 0 ? n : 30;

    [Fact]
    public void The_shipped_loop_keeps_the_crash_promise_at_every_effect_index_and_crash_state()
    {
        var stats = new LoopExploration();
        var failure = Option<string>.None;
        var property = Prop.ForAll(Generators.SimRunArb(), run =>
        {
            var found = LoopExplorer.Explore(run, stats).GetAwaiter().GetResult();
            failure = failure.IsSome ? failure : found;
            return found.IsNone.Label(found.IfNone(""));
        });
        Check.One(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(Runs).WithQuietOnSuccess(true), property);
        var report = Environment.GetEnvironmentVariable("BOINC_PERSIST_SIM_REPORT");
        if (!string.IsNullOrEmpty(report))
            File.AppendAllText(report, $"shipped loop: {stats}\n");
        Assert.True(stats.CrashPoints > 0 && stats.CrashStates >= stats.CrashPoints, $"nothing was explored: {stats}");
    }
}
