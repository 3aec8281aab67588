using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Verification.Conform;
using Boinc.Persist.Core.Protocol;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Conform;

public enum CrashKind
{
    /// <summary>SIGKILL to the wrapper; the container keeps running.</summary>
    WrapperKill,

    /// <summary>SIGKILL to the wrapper and the container removed: a host reboot.</summary>
    Reboot,

    /// <summary>SIGKILL to the wrapper and the container killed, left exited: what an engine restart leaves.</summary>
    EngineRestart,

    /// <summary>A reboot that also leaves the app's checkpoint file torn (truncated).</summary>
    Torn,
}

/// <summary>The scenarios that inject a fault at a seeded random moment.</summary>
public static partial class ScenarioPlays
{
    /// <summary>
    /// A checkpoint counts as committed once it has been on disk this long: the time a wrapper may take to
    /// make it durable and tell the client (ours commits within milliseconds of the done marker).
    /// </summary>
    private static readonly TimeSpan CommitAllowance = TimeSpan.FromSeconds(1.5);


    /// <summary>G02, G03, G04, G06: wait for a random checkpoint, crash, restart as the client does, finish.</summary>
    private static async Task<ScenarioOutcome> Crash(Seq<string> ids, TrialSetup setup, string mark, Random random, CrashKind kind)
    {
        await using var t = Trial.Create(setup, mark, WorkParams.Paced);
        var reached = await ReachCheckpoint(t, random).ConfigureAwait(false);
        if (reached.IsLeft)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(reached.LeftToSeq().Head()));
        var (s, committed) = reached.RightToSeq().Head();
        var wuCpu = s.Client.Record.CheckpointCpuTime;
        Trial.Crash(s);
        var fault = kind switch
        {
            CrashKind.WrapperKill => "wrapper SIGKILL",
            CrashKind.Reboot => "reboot (wrapper SIGKILL",
            CrashKind.EngineRestart => "engine restart (wrapper SIGKILL",
            _ => "reboot with state.txt torn (wrapper SIGKILL",
        };
        if (kind != CrashKind.WrapperKill)
        {
            // The fault happened only if a container of the job was there to take away: say which, and how.
            var containers = await t.Engine.Containers(t.Mark, t.Slot.DataDir).ConfigureAwait(false);
            if (containers.IsLeft)
                return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(containers.LeftToSeq().Head()));
            var action = kind == CrashKind.EngineRestart ? "kill" : "remove";
            var targets = Seq<FaultTarget>.Empty;
            foreach (var c in containers.RightToSeq().Flatten())
            {
                var done = kind == CrashKind.EngineRestart
                    ? await t.Engine.Kill(c.Id).ConfigureAwait(false)
                    : await t.Engine.Remove(c.Id).ConfigureAwait(false);
                targets = targets.Add(new FaultTarget(c.Name, c.State, done.LeftToSeq().HeadOrNone()));
            }

            var injected = Judge.FaultInjected(action, targets);
            if (injected.IsLeft)
                return ScenarioOutcome.All(ids, injected.LeftToSeq().Head());
            fault += $"; {injected.RightToSeq().Head()})";
        }

        if (kind == CrashKind.Torn)
        {
            var path = Path.Combine(t.Slot.SlotDir, "state.txt");
            var text = File.ReadAllText(path);
            File.WriteAllText(path, text[..(text.Length / 2)]);
        }

        var again = t.Start(wuCpuTime: wuCpu);
        if (again.IsLeft)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(again.LeftToSeq().Head()));
        var final = await t.Finish(again.RightToSeq().Head(), setup.JobLimit).ConfigureAwait(false);
        return ScenarioOutcome.All(ids, Judge.Resumed(fault, committed, final, t.WorkFacts(), mustRestart: kind != CrashKind.WrapperKill));
    }

    /// <summary>G08: quit at a random checkpoint; the wrapper must exit within 60 s; restart; finish.</summary>
    private static async Task<ScenarioOutcome> Quit(Seq<string> ids, TrialSetup setup, string mark, Random random)
    {
        await using var t = Trial.Create(setup, mark, WorkParams.Paced);
        var reached = await ReachCheckpoint(t, random).ConfigureAwait(false);
        if (reached.IsLeft)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(reached.LeftToSeq().Head()));
        var (s, committed) = reached.RightToSeq().Head();
        var asked = t.Now;
        s.Client.Request(ControlMessage.QuitRequest);
        var quit = await t.Finish(s, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var took = t.Now - asked;
        if (quit.ExitCode.IsNone)
            return ScenarioOutcome.Of(("G08", new TrialOutcome.Broken($"the wrapper did not exit within 60 s of <quit/>: {quit.WithTail()}")));
        if (quit.FinishStatus.IsSome)
            return ScenarioOutcome.Of(("G08", new TrialOutcome.Broken($"<quit/> ended the task with a result: {quit.WithTail()}")));
        var again = t.Start(wuCpuTime: s.Client.Record.CheckpointCpuTime);
        if (again.IsLeft)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(again.LeftToSeq().Head()));
        var final = await t.Finish(again.RightToSeq().Head(), setup.JobLimit).ConfigureAwait(false);
        return ScenarioOutcome.Of(("G08", Judge.Resumed($"<quit/> (exited in {took:0.0} s)", committed, final, t.WorkFacts(), mustRestart: true)));
    }

    /// <summary>G07: suspend at a random checkpoint, watch progress and CPU for 6 s, resume, finish.</summary>
    private static async Task<ScenarioOutcome> Suspend(Seq<string> ids, TrialSetup setup, string mark, Random random)
    {
        await using var t = Trial.Create(setup, mark, WorkParams.Paced);
        var reached = await ReachCheckpoint(t, random).ConfigureAwait(false);
        if (reached.IsLeft)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(reached.LeftToSeq().Head()));
        var (s, _) = reached.RightToSeq().Head();
        var before = s.Client.LastRequestSeconds;
        s.Client.Request(ControlMessage.SuspendRequest);
        if (!await Trial.WaitUntil(() => s.Client.LastRequestSeconds != before, s, TimeSpan.FromSeconds(5)).ConfigureAwait(false))
        {
            var gone = await t.Finish(s, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return NotReached(ids, "the suspend request could not be delivered", gone);
        }

        var t0 = s.Client.LastRequestSeconds.IfNone(t.Now);
        var last = t.Progress();
        var lastChange = t0;
        var atTwo = -1;
        var cpuAtStop = 0.0;
        while (t.Now < t0 + 6 && !s.Wrapper.HasExited)
        {
            var p = t.Progress();
            if (p != last)
            {
                last = p;
                lastChange = t.Now;
            }

            if (atTwo < 0 && t.Now >= t0 + 2)
            {
                atTwo = p;
                cpuAtStop = s.Client.LatestCpu;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        if (s.Wrapper.HasExited)
        {
            var gone = await t.Finish(s, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return ScenarioOutcome.Of(("G07", new TrialOutcome.Broken($"the wrapper exited while suspended: {gone.WithTail()}")));
        }

        var cpuBeforeResume = s.Client.LatestCpu;
        var stopped = t.Now - lastChange >= 1.0 ? Option<double>.Some(Math.Max(0, lastChange - t0)) : Option<double>.None;
        var steps = Math.Max(0, last - Math.Max(atTwo, 0));
        s.Client.Request(ControlMessage.ResumeRequest);
        var final = await t.Finish(s, setup.JobLimit).ConfigureAwait(false);
        var facts = new SuspendFacts(stopped, cpuAtStop, cpuBeforeResume, steps, final, t.WorkFacts());
        return ScenarioOutcome.Of(("G07", Judge.Suspend(facts)));
    }

    /// <summary>G09: abort once the job runs; then nothing of the task may be left in the engine.</summary>
    private static async Task<ScenarioOutcome> Abort(Seq<string> ids, TrialSetup setup, string mark)
    {
        await using var t = Trial.Create(setup, mark, WorkParams.Default);
        var started = t.Start();
        if (started.IsLeft)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(started.LeftToSeq().Head()));
        var s = started.RightToSeq().Head();
        if (!await Trial.WaitUntil(() => t.Progress() >= 2, s, t.Patience).ConfigureAwait(false))
            return NotReached(ids, "the job never made progress", await t.Finish(s, GiveUp).ConfigureAwait(false));
        var running = await t.Engine.Containers(t.Mark, t.Slot.DataDir).ConfigureAwait(false);
        if (running.IsLeft)
        {
            Trial.Crash(s);
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(running.LeftToSeq().Head()));
        }

        var before = running.RightToSeq().Flatten().Filter(c => c.State == "running").Map(c => $"container {c.Name}");
        var asked = t.Now;
        s.Client.Request(ControlMessage.AbortRequest);
        var facts = await t.Finish(s, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var took = facts.ExitCode.Map(_ => t.Now - asked - 0.3);
        var containers = await t.Engine.Containers(t.Mark, t.Slot.DataDir).ConfigureAwait(false);
        var images = await t.Engine.Images(t.Mark).ConfigureAwait(false);
        if (containers.IsLeft || images.IsLeft)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(string.Join("; ", containers.LeftToSeq().Then(images.LeftToSeq()))));
        var left = containers.RightToSeq().Flatten().Map(c => $"container {c.Name} ({c.State})")
            .Then(images.RightToSeq().Flatten().Map(i => "image " + i));
        return ScenarioOutcome.Of(("G09", Judge.Abort(before, took, left)));
    }

    /// <summary>
    /// G16: the client dies once the job runs: a stand-in client process (its pid in init_data.xml, as the real
    /// client writes it) is killed and the heartbeats stop; the container is watched for 45 s.
    /// </summary>
    private static async Task<ScenarioOutcome> NoHeartbeat(Seq<string> ids, TrialSetup setup, string mark)
    {
        using var standIn = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "900") { UseShellExecute = false });
        if (standIn is null)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun("cannot start the stand-in client process (sleep)"));
        try
        {
            return await LostClient(ids, setup, mark, standIn).ConfigureAwait(false);
        }
        finally
        {
            if (!standIn.HasExited)
                standIn.Kill();
        }
    }

    private static async Task<ScenarioOutcome> LostClient(Seq<string> ids, TrialSetup setup, string mark, System.Diagnostics.Process standIn)
    {
        await using var t = Trial.Create(setup, mark, WorkParams.Default with { Steps = 400 }, clientPid: standIn.Id);
        var started = t.Start();
        if (started.IsLeft)
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(started.LeftToSeq().Head()));
        var s = started.RightToSeq().Head();
        if (!await Trial.WaitUntil(() => t.Progress() >= 2, s, t.Patience).ConfigureAwait(false))
        {
            standIn.Kill();
            return NotReached(ids, "the job never made progress", await t.Finish(s, GiveUp).ConfigureAwait(false));
        }

        // The job's container must be running when the client dies, or there is nothing for the wrapper to stop.
        var atDeath = await t.Engine.State(t.Mark, t.Slot.DataDir).ConfigureAwait(false);
        if (atDeath.IsLeft)
        {
            Trial.Crash(s);
            return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(atDeath.LeftToSeq().Head()));
        }

        var whenDied = atDeath.RightToSeq().Head();

        // The client dies: no more heartbeats, and its process is gone (reaped, so kill(pid, 0) fails).
        s.Client.Heartbeats = false;
        standIn.Kill();
        await standIn.WaitForExitAsync().ConfigureAwait(false);
        await Task.Delay(1100).ConfigureAwait(false);
        var lastBeat = s.Client.LastHeartbeatSeconds;
        var state = "running";
        Option<double> stoppedAfter = None;
        while (t.Now < lastBeat + 45)
        {
            var seen = await t.Engine.State(t.Mark, t.Slot.DataDir).ConfigureAwait(false);
            if (seen.IsLeft)
            {
                Trial.Crash(s);
                return ScenarioOutcome.All(ids, new TrialOutcome.NotRun(seen.LeftToSeq().Head()));
            }

            state = seen.RightToSeq().Head();
            if (state != "running")
            {
                stoppedAfter = t.Now - lastBeat;
                break;
            }

            await Task.Delay(500).ConfigureAwait(false);
        }

        Trial.Crash(s);
        return ScenarioOutcome.Of(("G16", Judge.LostHeartbeat(whenDied, stoppedAfter, state, LostClientLimit)));
    }

    /// <summary>
    /// Starts the job and waits until a checkpoint at a random step (4..16) is on disk, then lets it stay there
    /// for <see cref="CommitAllowance"/> plus a random 0..1 s: the fault lands at a random point of the run's
    /// first half. The job must run with <see cref="WorkParams.Paced"/>, or a fast host finishes it first.
    /// Returns the running wrapper and the step that counts as committed.
    /// </summary>
    private static async Task<Either<string, (Started, int)>> ReachCheckpoint(Trial t, Random random)
    {
        var target = random.Next(4, 17);
        var jitter = TimeSpan.FromMilliseconds(random.Next(0, 1000));
        var started = t.Start();
        if (started.IsLeft)
            return started.LeftToSeq().Head();
        var s = started.RightToSeq().Head();
        if (!await Trial.WaitUntil(() => t.DiskStep() >= target, s, t.Patience).ConfigureAwait(false))
        {
            var facts = await t.Finish(s, GiveUp).ConfigureAwait(false);
            return $"could not run: no checkpoint at step {target} within {t.Patience.TotalSeconds:0} s ({t.WorkFacts().Describe()}); {facts.WithTail()}";
        }

        var committed = t.DiskStep();
        await Task.Delay(CommitAllowance + jitter).ConfigureAwait(false);
        if (s.Wrapper.HasExited)
        {
            var facts = await t.Finish(s, GiveUp).ConfigureAwait(false);
            return $"could not run: the job ended before the fault ({t.WorkFacts().Describe()}); {facts.WithTail()}";
        }

        return (s, committed);
    }

    /// <summary>G16's bound: BOINC's 35 s plus the 3 s stop_grace of the suite's job.toml.</summary>
    private const double LostClientLimit = 38;

    private static Option<double> None => Option<double>.None;

    /// <summary>
    /// How long a trial that gave up on the wrapper (its patience ran out) still waits for it to exit on its own
    /// before killing it: it is not waited for anything, only given a moment to leave its files.
    /// </summary>
    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(1);
}
