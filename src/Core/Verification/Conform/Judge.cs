using System;
using System.Globalization;
using System.Linq;
using LanguageExt;

namespace Boinc.Persist.Core.Verification.Conform;

/// <summary>
/// The verdicts, from facts observed outside the wrapper. Pure: the shell gathers the facts, these decide.
/// </summary>
public static class Judge
{
    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>G01: exit 0, finish 0, one start from step 0, the right answer.</summary>
    public static TrialOutcome Completion(StartFacts run, WorkFacts work)
    {
        if (run.ExitCode.IsNone || run.FinishStatus.IsNone && run.ExitCode.Exists(c => c == 0) && run.TemporaryExit.IsSome)
            return new TrialOutcome.Broken($"did not complete: {run.WithTail()}");
        if (!run.ExitCode.Exists(c => c == 0) || !run.FinishStatus.Exists(f => f == 0))
            return new TrialOutcome.Broken($"{run.WithTail()}; {work.Describe()}");
        if (!work.AnswerRight)
            return new TrialOutcome.Broken($"wrong or missing answer: {work.Describe()}");
        if (work.ResumePoints.Count != 1)
            return new TrialOutcome.Broken($"an undisturbed job started {work.ResumePoints.Count} times: {work.Describe()}");
        return new TrialOutcome.Held($"{run.Describe()}; {work.Describe()}");
    }

    /// <summary>G05: the second start in a finished slot reports the result again and starts nothing.</summary>
    public static TrialOutcome NeverRerun(int startsBefore, StartFacts second, WorkFacts after)
    {
        if (startsBefore < 1)
            return new TrialOutcome.NotRun($"the job never started before the second start, so there was no finished job to re-run: {second.Describe()}");
        if (after.ResumePoints.Count > startsBefore)
            return new TrialOutcome.Broken($"the finished job ran again: {startsBefore} start(s) before, {after.ResumePoints.Count} after; {second.Describe()}");
        if (second.ExitCode.IsNone)
            return new TrialOutcome.Broken($"the second start did not exit: {second.WithTail()}");
        if (!second.FinishStatus.Exists(f => f == 0) || !second.ExitCode.Exists(c => c == 0))
            return new TrialOutcome.Broken($"the second start did not report the success again: {second.WithTail()}");
        return new TrialOutcome.Held($"no new start after the {startsBefore} before; second start: {second.Describe()}");
    }

    /// <summary>
    /// G02, G03, G04, G06, G08: after the fault, every later start resumed from at least <paramref name="committed"/>
    /// (the checkpoint on disk before the fault), and the job finished right.
    /// </summary>
    /// <param name="mustRestart">
    /// The fault took the job's container away (removed, killed, or a quit the wrapper obeyed), so finishing needs
    /// a second start of the job: without one in its log nothing shows a resume happened.
    /// </param>
    public static TrialOutcome Resumed(string fault, int committed, StartFacts final, WorkFacts work, bool mustRestart = false)
    {
        var late = work.ResumePoints.Skip(1).Filter(r => r < committed);
        if (!late.IsEmpty)
            return new TrialOutcome.Broken($"after {fault} with step {committed} checkpointed the job resumed from {late.Head()}: committed work redone; {work.Describe()}");
        if (!work.Complaints.IsEmpty)
            return new TrialOutcome.Broken($"after {fault} the job read a bad checkpoint: {work.Describe()}");
        if (final.ExitCode.IsNone || !final.FinishStatus.Exists(f => f == 0))
            return new TrialOutcome.Broken($"after {fault} (step {committed} checkpointed) the job did not finish: {final.WithTail()}; {work.Describe()}");
        if (!work.AnswerRight)
            return new TrialOutcome.Broken($"after {fault} the answer is wrong: {work.Describe()}");
        if (mustRestart && work.ResumePoints.Count < 2)
            return new TrialOutcome.NotRun($"after {fault} the job's log shows no second start, so no resume was seen: {work.Describe()}");
        return new TrialOutcome.Held($"{fault} at step {committed}: {work.Describe()}");
    }

    /// <summary>G07: stopped within 2 s, no CPU counted while suspended (0.5 s tolerance), then finished.</summary>
    public static TrialOutcome Suspend(SuspendFacts f, double limitSeconds = 2.0, double cpuTolerance = 0.5)
    {
        var grown = f.CpuBeforeResume - f.CpuAtStop;
        var measured = $"stopped {f.SecondsToStop.Match(s => $"within {N(s + 0.1)} s", () => "never (still making progress)")}, CPU {N(f.CpuAtStop)} -> {N(f.CpuBeforeResume)} s while suspended, {f.StepsWhileSuspended} step(s) made while suspended";
        if (f.SecondsToStop.IsNone || f.SecondsToStop.Exists(s => s > limitSeconds))
            return new TrialOutcome.Broken(measured);
        if (f.StepsWhileSuspended > 0)
            return new TrialOutcome.Broken(measured);
        if (grown > cpuTolerance)
            return new TrialOutcome.Broken($"CPU time counted while suspended: {measured}");
        if (!f.Final.FinishStatus.Exists(s => s == 0) || !f.Work.AnswerRight)
            return new TrialOutcome.Broken($"{measured}; after resume: {f.Final.WithTail()}; {f.Work.Describe()}");
        return new TrialOutcome.Held(measured);
    }

    /// <summary>
    /// G09: exited within the bound, nothing of the task left in the engine. <paramref name="before"/>: the task's
    /// containers seen running before the abort; without one, "nothing left" proves nothing.
    /// </summary>
    public static TrialOutcome Abort(Seq<string> before, Option<double> secondsToExit, Seq<string> leftovers, double limitSeconds = 60)
    {
        if (before.IsEmpty)
            return new TrialOutcome.NotRun("no container of the job was seen before <abort/>: nothing could be left behind");
        if (secondsToExit.IsNone || secondsToExit.Exists(s => s > limitSeconds))
            return new TrialOutcome.Broken($"the wrapper did not exit within {N(limitSeconds)} s of <abort/>" +
                (leftovers.IsEmpty ? "" : $"; left: {string.Join(", ", leftovers)}"));
        return leftovers.IsEmpty
            ? new TrialOutcome.Held($"exited after {secondsToExit.Match(N, () => "?")} s; {string.Join(", ", before)} seen before the abort, nothing of the task left")
            : new TrialOutcome.Broken($"left behind after abort: {string.Join(", ", leftovers)}");
    }

    /// <summary>
    /// G10: checkpoint CPU never above current CPU (10 ms tolerance for formatting), and each advance of it is
    /// backed by a newer checkpoint on disk than the previous advance was.
    /// </summary>
    public static TrialOutcome CheckpointAcks(Seq<StatusSample> samples, StartFacts run)
    {
        if (samples.IsEmpty)
            return new TrialOutcome.NotRun($"no status message was received: {run.WithTail()}");
        foreach (var s in samples.Filter(s => s.CheckpointCpu > s.CurrentCpu + 0.01).Take(1))
            return new TrialOutcome.Broken($"at {N(s.Seconds)} s checkpoint CPU {N(s.CheckpointCpu)} > current CPU {N(s.CurrentCpu)}");
        var lastCkpt = 0.0;
        var lastStep = 0; // wu_cpu_time 0 at the first start: any advance needs a checkpoint on disk
        var advances = 0;
        foreach (var s in samples)
        {
            if (s.CheckpointCpu > lastCkpt + 1e-6)
            {
                if (s.DiskStep <= lastStep)
                    return new TrialOutcome.Broken(
                        $"at {N(s.Seconds)} s checkpoint CPU advanced {N(lastCkpt)} -> {N(s.CheckpointCpu)} s, but the checkpoint on disk is still step {s.DiskStep}: a crash now loses CPU time the client counts as saved");
                lastCkpt = s.CheckpointCpu;
                lastStep = s.DiskStep;
                advances++;
            }
        }

        if (advances == 0)
            return new TrialOutcome.NotRun(
                $"{samples.Count} status messages, but the checkpoint CPU never advanced: no acknowledgement was seen to check against the disk; {run.Describe()}");
        return new TrialOutcome.Held($"{samples.Count} status messages, checkpoint CPU advanced {advances} time(s), each with a newer checkpoint on disk");
    }

    /// <summary>
    /// G11: no job saw host files through the build context. Held on positive evidence only: the job ran and saw
    /// an empty <c>/ctx</c>, or the wrapper refused: it did not run the job, did not report success, and its
    /// stderr names the instruction it refused (COPY or ADD). An exit that says nothing proves nothing.
    /// </summary>
    public static TrialOutcome BuildContext(StartFacts run, Option<string> listing)
    {
        var seen = listing.Map(l => l.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).IfNone(Array.Empty<string>());
        if (seen.Length > 0)
            return new TrialOutcome.Broken($"the job saw the build context in /ctx: {string.Join(" ", seen.Take(8))}; {run.Describe()}");
        if (listing.IsSome)
            return new TrialOutcome.Held($"built from an empty context (the job saw an empty /ctx); {run.Describe()}");
        if (run.ExitCode.IsNone)
            return new TrialOutcome.NotRun($"the wrapper neither refused nor ran the job: {run.WithTail()}");
        if (run.FinishStatus.Exists(f => f == 0))
            return new TrialOutcome.Broken($"the job did not run, yet the wrapper reported success: {run.WithTail()}");
        var named = NamesRefusedInstruction(run.StderrTail);
        return named.Match<TrialOutcome>(
            line => new TrialOutcome.Held($"refused ({run.Describe()}), saying: {SuiteVerdict.OneLine(line, 160)}"),
            () => new TrialOutcome.NotRun($"the job did not run, but the wrapper did not say it refused COPY/ADD: {run.WithTail()}"));
    }

    /// <summary>The first line of <paramref name="stderr"/> that names a COPY or ADD instruction (as a word).</summary>
    public static Option<string> NamesRefusedInstruction(string stderr) =>
        stderr.Split('\n').Find(l =>
            l.Split(new[] { ' ', '\t', ':', ',', ';', '(', ')', '\'', '"', '`' }, StringSplitOptions.RemoveEmptyEntries)
                .Any(w => w is "COPY" or "ADD"));

    /// <summary>G12.</summary>
    public static TrialOutcome OutsideWrite(ProbeFacts p) => p.Get("opt_write").Match(
        v => v == "refused"
            ? (TrialOutcome)new TrialOutcome.Held("a write to /opt failed inside the container")
            : new TrialOutcome.Broken("a write to /opt succeeded: it lives in the container's layer and is lost with the container"),
        () => ProbeDidNotRun(p));

    /// <summary>G13.</summary>
    public static TrialOutcome ProjectDir(ProbeFacts p)
    {
        if (p.Get("project_read").IsNone)
            return ProbeDidNotRun(p);
        var read = p.Get("project_read").Exists(v => v == "ok");
        var write = p.Get("project_write").IfNone("?");
        return read && write == "refused"
            ? new TrialOutcome.Held("/project/work.sh readable, a write to /project failed")
            : new TrialOutcome.Broken($"/project readable: {(read ? "yes" : "no")}, write to /project: {write}");
    }

    /// <summary>G14 and G17: the job read <paramref name="expected"/> under the logical name.</summary>
    public static TrialOutcome Input(ProbeFacts p, string key, string expected) => p.Get(key).Match(
        v => v == expected
            ? (TrialOutcome)new TrialOutcome.Held($"read '{v}' by logical name")
            : new TrialOutcome.Broken($"read '{SuiteVerdict.OneLine(v, 80)}' instead of '{expected}'"),
        () => ProbeDidNotRun(p));

    private static TrialOutcome ProbeDidNotRun(ProbeFacts p) =>
        new TrialOutcome.NotRun($"the probe job did not run: {p.Run.WithTail()}");

    /// <summary>G15: exit 0 with a temporary exit, no finish file.</summary>
    public static TrialOutcome EngineUnavailable(StartFacts run)
    {
        if (run.ExitCode.IsNone)
            return new TrialOutcome.Broken($"the wrapper did not exit with no engine: {run.WithTail()}");
        if (run.FinishStatus.IsSome)
            return new TrialOutcome.Broken($"a missing engine was reported as the job's result: {run.WithTail()}");
        if (!run.ExitCode.Exists(c => c == 0) || run.TemporaryExit.IsNone)
            return new TrialOutcome.Broken($"not a temporary exit: {run.WithTail()}");
        return new TrialOutcome.Held(run.Describe());
    }

    /// <summary>
    /// G16: the container stopped running within the bound after the last heartbeat. <paramref name="whenClientDied"/>:
    /// the job's container state the moment the client died; it must have been running, or there was nothing to stop.
    /// </summary>
    public static TrialOutcome LostHeartbeat(string whenClientDied, Option<double> secondsToStop, string lastState, double limitSeconds = 35)
    {
        if (whenClientDied != "running")
            return new TrialOutcome.NotRun($"the job's container was {whenClientDied}, not running, when the client died: nothing to stop");
        var text = $"container running when the client died, {lastState} {secondsToStop.Match(s => $"{N(s)} s", () => "throughout the 45 s")} after the last heartbeat";
        return secondsToStop.Exists(s => s <= limitSeconds)
            ? new TrialOutcome.Held(text)
            : new TrialOutcome.Broken(text + $" (limit {N(limitSeconds)} s)");
    }

    /// <summary>
    /// Whether a fault that acts on the job's containers happened: <paramref name="targets"/> are the containers
    /// found and what acting on each did. Right: the evidence naming them; Left: not run (none found, or acting
    /// on one failed while it still ran).
    /// </summary>
    public static Either<TrialOutcome, string> FaultInjected(string action, Seq<FaultTarget> targets)
    {
        if (targets.IsEmpty)
            return new TrialOutcome.NotRun($"no container of the job was found to {action}: the fault did not happen");
        foreach (var t in targets.Filter(t => t.Failure.IsSome && t.StateBefore == "running").Take(1))
            return new TrialOutcome.NotRun($"could not {action} container {t.Name} ({t.StateBefore}): {t.Failure.IfNone("")}");
        return string.Join(", ", targets.Map(t => t.Failure.Match(
            f => $"container {t.Name} was {t.StateBefore} already",
            () => $"container {t.Name} ({t.StateBefore}) {Past(action)}")));
    }

    private static string Past(string action) => action switch
    {
        "remove" => "removed",
        "kill" => "killed",
        _ => action + "ed",
    };

    /// <summary>G18: some fraction reported and growing overall, CPU never going back.</summary>
    public static TrialOutcome Status(Seq<StatusSample> samples)
    {
        if (samples.IsEmpty)
            return new TrialOutcome.Broken("no status message reached the client");
        var fractions = samples.Choose(s => s.FractionDone);
        foreach (var (before, after) in samples.Zip(samples.Skip(1)).Filter(p => p.Item2.CurrentCpu < p.Item1.CurrentCpu - 1e-6).Take(1))
            return new TrialOutcome.Broken($"current CPU went back from {N(before.CurrentCpu)} to {N(after.CurrentCpu)} s at {N(after.Seconds)} s");
        if (fractions.IsEmpty)
            return new TrialOutcome.Broken($"{samples.Count} status messages, none with a fraction done");
        if (fractions.Count < 2 || fractions.Last() <= fractions.Head())
            return new TrialOutcome.Broken(
                $"{samples.Count} status message(s) over {N(samples.Last().Seconds - samples.Head().Seconds)} s; the fraction done the client saw did not grow: {string.Join(", ", fractions.Take(6).Map(N))}");
        return new TrialOutcome.Held(
            $"{samples.Count} status messages, fraction {N(fractions.Head())} -> {N(fractions.Last())}, CPU up to {N(samples.Last().CurrentCpu)} s");
    }

    /// <summary>G19: exit 3 and finish 3 both times, one run.</summary>
    public static TrialOutcome FailedOnce(StartFacts first, StartFacts second, int runs)
    {
        bool Three(StartFacts s) => s.ExitCode.Exists(c => c == 3) && s.FinishStatus.Exists(f => f == 3);
        if (!Three(first))
            return new TrialOutcome.Broken($"first start: {first.WithTail()} (expected exit 3, boinc_finish_called 3)");
        if (runs != 1)
            return new TrialOutcome.Broken($"the failed job ran {runs} times; second start: {second.Describe()}");
        if (!Three(second))
            return new TrialOutcome.Broken($"second start: {second.WithTail()} (expected the same result again)");
        return new TrialOutcome.Held($"ran once; both starts: {second.Describe()}");
    }
}
