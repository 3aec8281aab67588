using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Core.Verification.Conform;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Conform;

/// <summary>
/// The scenarios that need no fault timing: a whole run, a second start, the probes of the layout, the build
/// context, a missing engine, a failing job. Each is bounded in time; the trial removes what it created.
/// </summary>
public static partial class ScenarioPlays
{

    public static Task<ScenarioOutcome> Run(string scenario, Seq<string> ids, TrialSetup setup, string mark, Random random) => scenario switch
    {
        Core.Verification.Conform.Scenarios.Complete => Complete(ids, setup, mark),
        Core.Verification.Conform.Scenarios.WrapperKill => Crash(ids, setup, mark, random, CrashKind.WrapperKill),
        Core.Verification.Conform.Scenarios.Reboot => Crash(ids, setup, mark, random, CrashKind.Reboot),
        Core.Verification.Conform.Scenarios.EngineRestart => Crash(ids, setup, mark, random, CrashKind.EngineRestart),
        Core.Verification.Conform.Scenarios.Torn => Crash(ids, setup, mark, random, CrashKind.Torn),
        Core.Verification.Conform.Scenarios.Suspend => Suspend(ids, setup, mark, random),
        Core.Verification.Conform.Scenarios.Quit => Quit(ids, setup, mark, random),
        Core.Verification.Conform.Scenarios.Abort => Abort(ids, setup, mark),
        Core.Verification.Conform.Scenarios.Sparse => Sparse(ids, setup, mark),
        Core.Verification.Conform.Scenarios.BuildContext => BuildContext(ids, setup, mark),
        Core.Verification.Conform.Scenarios.Probe => Probe(ids, setup, mark),
        Core.Verification.Conform.Scenarios.NoEngine => NoEngine(ids, setup, mark),
        Core.Verification.Conform.Scenarios.NoHeartbeat => NoHeartbeat(ids, setup, mark),
        Core.Verification.Conform.Scenarios.Fail => Fail(ids, setup, mark),
        _ => Task.FromResult(ScenarioOutcome.All(ids, new TrialOutcome.NotRun($"no scenario named {scenario}"))),
    };

    /// <summary>G01, G18, then G05: run to the end; start again in the finished slot.</summary>
    private static async Task<ScenarioOutcome> Complete(Seq<string> ids, TrialSetup setup, string mark)
    {
        await using var t = Trial.Create(setup, mark, WorkParams.Default);
        var started = t.Start();
        if (started.IsLeft)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(started.LeftToSeq().Head()));
        var s = started.RightToSeq().Head();
        var first = await t.Finish(s, setup.JobLimit).ConfigureAwait(false);
        var work = t.WorkFacts();
        var completion = Judge.Completion(first, work);
        var status = Judge.Status(s.Client.Samples);
        TrialOutcome rerun;
        if (completion is not TrialOutcome.Held)
        {
            rerun = new TrialOutcome.NotRun($"the job did not complete the first time: {first.WithTail()}");
        }
        else
        {
            var before = work.ResumePoints.Count;
            var again = t.Start(wuCpuTime: s.Client.Record.CheckpointCpuTime);
            rerun = await again.MatchAsync(
                async s2 => Judge.NeverRerun(before, await t.Finish(s2, setup.Patience).ConfigureAwait(false), t.WorkFacts()),
                e => new TrialOutcome.NotRun(e)).ConfigureAwait(false);
        }

        return ScenarioOutcome.Of(("G01", completion), ("G18", status), ("G05", rerun));
    }

    /// <summary>G10: a job that checkpoints rarely (at step 60 of 80, and at the end); every status is checked against the disk.</summary>
    private static async Task<ScenarioOutcome> Sparse(Seq<string> ids, TrialSetup setup, string mark)
    {
        await using var t = Trial.Create(setup, mark, WorkParams.Default with { Steps = 80, CkptEvery = 60 });
        var started = t.Start();
        if (started.IsLeft)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(started.LeftToSeq().Head()));
        var s = started.RightToSeq().Head();
        var run = await t.Finish(s, setup.JobLimit).ConfigureAwait(false);
        return ScenarioOutcome.Of(("G10", Judge.CheckpointAcks(s.Client.Samples, run)));
    }

    /// <summary>G11: COPY . /ctx, then the job lists /ctx.</summary>
    private static async Task<ScenarioOutcome> BuildContext(Seq<string> ids, TrialSetup setup, string mark)
    {
        var dockerfile = Workload.DockerfileFor(setup.BaseImage, mark, "[\"/bin/sh\", \"-c\", \"ls -A /ctx > ctx.txt\"]", "COPY . /ctx");
        await using var t = Trial.Create(setup, mark, WorkParams.Default, dockerfile);
        var run = await RunOnce(t, setup.Patience).ConfigureAwait(false);
        return run.Match(
            facts => ScenarioOutcome.Of(("G11", Judge.BuildContext(facts, t.ReadSmall("ctx.txt")))),
            e => ScenarioOutcome.All(ids, new TrialOutcome.NotRun(e)));
    }

    /// <summary>G12, G13, G14, G17: the probe job reports what it can see and do.</summary>
    private static async Task<ScenarioOutcome> Probe(Seq<string> ids, TrialSetup setup, string mark)
    {
        var dockerfile = Workload.DockerfileFor(setup.BaseImage, mark, "[\"/bin/sh\", \"/project/probe.sh\"]");
        await using var t = Trial.Create(setup, mark, WorkParams.Default, dockerfile);
        var run = await RunOnce(t, setup.Patience).ConfigureAwait(false);
        return run.Match(
            facts =>
            {
                var values = t.ReadSmall("probe.txt").IfNone("").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(l => l.Split('=', 2)).Where(kv => kv.Length == 2)
                    .Aggregate(Map<string, string>.Empty, (m, kv) => m.AddOrUpdate(kv[0], kv[1]));
                var p = new ProbeFacts(values, facts);
                return ScenarioOutcome.Of(
                    ("G12", Judge.OutsideWrite(p)),
                    ("G13", Judge.ProjectDir(p)),
                    ("G14", Judge.Input(p, "copy_input", Trial.CopiedInput)),
                    ("G17", Judge.Input(p, "link_input", Trial.LinkedInput)));
            },
            e => ScenarioOutcome.All(ids, new TrialOutcome.NotRun(e)));
    }

    /// <summary>G15: DOCKER_HOST (and Podman's CONTAINER_HOST) name a socket where nothing listens.</summary>
    private static async Task<ScenarioOutcome> NoEngine(Seq<string> ids, TrialSetup setup, string mark)
    {
        await using var t = Trial.Create(setup, mark, WorkParams.Default);
        var nowhere = "unix://" + Path.Combine(t.Slot.DataDir, "no-engine.sock");
        var env = new Dictionary<string, string> { ["DOCKER_HOST"] = nowhere, ["CONTAINER_HOST"] = nowhere };
        var run = await RunOnce(t, setup.Patience, env).ConfigureAwait(false);
        return run.Match(
            facts => ScenarioOutcome.Of(("G15", Judge.EngineUnavailable(facts))),
            e => ScenarioOutcome.All(ids, new TrialOutcome.NotRun(e)));
    }

    /// <summary>G19: a job that exits 3, started twice.</summary>
    private static async Task<ScenarioOutcome> Fail(Seq<string> ids, TrialSetup setup, string mark)
    {
        var dockerfile = Workload.DockerfileFor(setup.BaseImage, mark, "[\"/bin/sh\", \"-c\", \"echo ran >> runs.log; exit 3\"]");
        await using var t = Trial.Create(setup, mark, WorkParams.Default, dockerfile);
        var first = await RunOnce(t, setup.Patience).ConfigureAwait(false);
        if (first.IsLeft)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(first.LeftToSeq().Head()));
        var second = await RunOnce(t, setup.Patience).ConfigureAwait(false);
        var runs = t.ReadSmall("runs.log").IfNone("").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        return second.Match(
            f2 => ScenarioOutcome.Of(("G19", Judge.FailedOnce(first.RightToSeq().Head(), f2, runs))),
            e => ScenarioOutcome.All(ids, new TrialOutcome.NotRun(e)));
    }

    private static async Task<Either<string, StartFacts>> RunOnce(Trial t, TimeSpan limit, IReadOnlyDictionary<string, string>? env = null)
    {
        var started = t.Start(env);
        if (started.IsLeft)
            return started.LeftToSeq().Head();
        return await t.Finish(started.RightToSeq().Head(), limit).ConfigureAwait(false);
    }

    private static ScenarioOutcome NotReached(Seq<string> ids, string what, StartFacts facts) =>
        ScenarioOutcome.All(ids, new TrialOutcome.NotRun($"could not run: {what}; {facts.WithTail()}"));
}
