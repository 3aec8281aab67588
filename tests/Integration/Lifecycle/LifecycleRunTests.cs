using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Integration.Engine;
using Boinc.Persist.Shell.Engine;
using LanguageExt;
using Xunit;
using static Boinc.Persist.Integration.Engine.AdapterSpecs;

namespace Boinc.Persist.Integration.Lifecycle;

/// <summary>
/// The lifecycle decisions run by the effect interpreter against the real engine: a killed wrapper re-attaches
/// instead of restarting, a removed container resumes from the newest generation, a finished job is reported
/// again and never re-run.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class LifecycleRunTests(EngineFixture engine)
{
    // Counts to 40 in WORKDIR/state (replaced atomically, as a checkpointing app does), 0.1 s a step, logging where each run started; writes out when done.
    private const string Job =
        "i=$(cat /slot/state 2>/dev/null || echo 0); echo \"start $i\" >> /slot/runs; " +
        "while [ $i -lt 40 ]; do i=$((i+1)); echo $i > /slot/state.new; mv /slot/state.new /slot/state; sleep 0.1; done; echo $i > /slot/out";

    /// <summary>A checkpoint store reduced to what the test needs: generation n holds a copy of WORKDIR/state.</summary>
    private sealed class TestHost(string slot) : ILifecycleHost
    {
        public List<(long Number, string State)> Generations { get; } = new();

        public StoreState Store => new(Generations.Count == 0
            ? Option<Generation>.None
            : new Generation(Generations[^1].Number, 0));

        public Task Restore(long number, CancellationToken ct)
        {
            File.WriteAllText(Path.Combine(slot, "state"), Generations.Single(g => g.Number == number).State);
            return Task.CompletedTask;
        }

        public Task<Option<Generation>> Commit(CancellationToken ct)
        {
            var n = Generations.Count + 1;
            Generations.Add((n, File.ReadAllText(Path.Combine(slot, "state"))));
            return Task.FromResult(Option<Generation>.Some(new Generation(n, 0)));
        }

        public Task RequestCheckpoint(CancellationToken ct) => Task.CompletedTask;

        public Task<bool> AwaitCheckpoint(TimeSpan grace, CancellationToken ct) => Task.FromResult(true);

        public void ReportStatus(long cpuNanos, string message)
        {
        }
    }

    private sealed record Wrapper(DockerEngine Engine, EffectRunner Runner, TaskFacts Facts, TestHost Host, string Slot);

    private Wrapper NewWrapper(DockerEngine adapter, string slot, string name, TestHost host)
    {
        var spec = Container(engine, name, engine.BaseImage) with
        {
            Mounts = new[] { new PlannedMount(slot, "/slot", false, Relabel.None, MountRole.Slot, "the slot") }.ToSeq(),
        };
        var facts = new TaskFacts(name, engine.BaseImage, "boot", QuitPolicy.CheckpointAndStop, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5));
        var runner = new EffectRunner(adapter, spec, $"FROM {engine.BaseImage}\n", Sh(Job), slot, host, TextWriter.Null);
        return new Wrapper(adapter, runner, facts, host, slot);
    }

    private static async Task<RunOutcome> StartWrapper(Wrapper w, CancellationToken ct)
    {
        var start = await EffectRunner.Begin(w.Engine, w.Facts, w.Slot, w.Host.Store, TextWriter.Null, ct);
        return await w.Runner.Run(start.State, start.Effects, ct);
    }

    [Fact]
    public async Task A_killed_wrapper_reattaches_the_finished_job_is_reported_once_and_never_rerun()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var root = engine.NewTempRoot();
        using var adapter = new DockerEngine(new EngineEndpoint(engine.Endpoint, "test"));
        var slot = root.Directory("slot");
        var name = NewName(engine, "life");
        var w = NewWrapper(adapter, slot, name, new TestHost(slot));
        try
        {
            // Given a wrapper that started the job
            var first = Assert.IsType<RunOutcome.Continue>(await StartWrapper(w, cts.Token));
            var id = Assert.IsType<Observation.Running>(Ok(await adapter.Inspect(name, cts.Token))).Id;

            // When it is killed (its memory is gone) and BOINC starts it again
            var start = await EffectRunner.Begin(adapter, w.Facts, slot, w.Host.Store, TextWriter.Null, cts.Token);
            var second = Assert.IsType<RunOutcome.Continue>(await w.Runner.Run(start.State, start.Effects, cts.Token));

            // Then it re-attached to the same container, which was not restarted
            Assert.Equal(StartCase.ReattachRunning, start.Case);
            Assert.Equal(new Observation.Running(id), Ok(await adapter.Inspect(name, cts.Token)));

            // When the job exits and the wrapper sees it
            var code = Ok(await adapter.WaitForExit(name, TimeSpan.FromSeconds(60), cts.Token));
            var d = JobLifecycle.Decide(second.State, new Command.ExitObserved(code));
            var end = Assert.IsType<RunOutcome.Terminal>(await w.Runner.Run(d.State, d.Effects, cts.Token));

            // Then the result is reported, the container removed, the job ran once from the beginning
            Assert.Equal(new Effect.Finish(0), end.Effect);
            Assert.Equal(new Observation.Absent(), Ok(await adapter.Inspect(name, cts.Token)));
            Assert.Equal(new[] { "start 0" }, File.ReadAllLines(Path.Combine(slot, "runs")));
            Assert.Equal("40", File.ReadAllText(Path.Combine(slot, "out")).Trim());

            // And a later start reports the same result again without running anything
            var again = await EffectRunner.Begin(adapter, w.Facts, slot, w.Host.Store, TextWriter.Null, cts.Token);
            var replay = Assert.IsType<RunOutcome.Terminal>(await w.Runner.Run(again.State, again.Effects, cts.Token));
            Assert.Equal(StartCase.ReportFinishedAgain, again.Case);
            Assert.Equal(new Effect.Finish(0), replay.Effect);
            Assert.Equal(new Observation.Absent(), Ok(await adapter.Inspect(name, cts.Token)));
            Assert.Single(File.ReadAllLines(Path.Combine(slot, "runs")));
        }
        finally
        {
            await adapter.Remove(name, CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_removed_container_resumes_from_the_newest_committed_generation()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var root = engine.NewTempRoot();
        using var adapter = new DockerEngine(new EngineEndpoint(engine.Endpoint, "test"));
        var slot = root.Directory("slot");
        var name = NewName(engine, "reboot");
        var host = new TestHost(slot);
        var w = NewWrapper(adapter, slot, name, host);
        try
        {
            // Given a running job with a committed generation taken midway
            var running = Assert.IsType<RunOutcome.Continue>(await StartWrapper(w, cts.Token));
            while (!File.Exists(Path.Combine(slot, "state")) || int.Parse(File.ReadAllText(Path.Combine(slot, "state")).Trim()) < 10)
                await Task.Delay(50, cts.Token);
            var commit = JobLifecycle.Decide(running.State, new Command.CheckpointDetected());
            Assert.IsType<RunOutcome.Continue>(await w.Runner.Run(commit.State, commit.Effects, cts.Token));
            var committed = int.Parse(host.Generations[^1].State.Trim());

            // When the container is removed (what a reboot or a reset engine does) and the wrapper restarts
            Ok(await adapter.Remove(name, cts.Token));
            var start = await EffectRunner.Begin(adapter, w.Facts, slot, host.Store, TextWriter.Null, cts.Token);
            var resumed = Assert.IsType<RunOutcome.Continue>(await w.Runner.Run(start.State, start.Effects, cts.Token));

            // Then it recreated the container from that generation, and the job finishes correctly
            Assert.Equal(StartCase.CreateFromNewest, start.Case);
            var code = Ok(await adapter.WaitForExit(name, TimeSpan.FromSeconds(60), cts.Token));
            Assert.Equal(0, code);
            var runs = File.ReadAllLines(Path.Combine(slot, "runs"));
            Assert.Equal(new[] { "start 0", $"start {committed}" }, runs);
            Assert.Equal("40", File.ReadAllText(Path.Combine(slot, "out")).Trim());
            Assert.Equal((long)host.Generations.Count, JournalFile.Read(slot).Journal.Bind(j => j.CommittedGeneration).IfNone(-1));
        }
        finally
        {
            await adapter.Remove(name, CancellationToken.None);
        }
    }
}
