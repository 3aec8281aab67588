using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Integration.Engine;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Verification.Fakes;
using Docker.DotNet;
using Docker.DotNet.Models;
using Xunit;

namespace Boinc.Persist.Integration.Run;

/// <summary>
/// The crash scenarios of the decider issue, with a real engine (Docker, or Podman with
/// BOINC_PERSIST_TEST_ENGINE=podman). The jobs are gated by files the test creates in the slot, so each
/// interleaving of job, wrapper and kill is the one the test names, not a race it hopes to win.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class CrashScenarioTests(EngineFixture engine) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private readonly TempRoot temp = engine.NewTempRoot();
    private readonly List<JobSlot> slots = new();

    public void Dispose()
    {
        var leaked = JobSlot.RemoveLeftovers(engine, slots);
        temp.Dispose();
        Assert.True(leaked.Count == 0, "the wrapper left containers behind: " + string.Join(", ", leaked));
    }

    /// <summary>Logs its start, runs until the file <c>go</c> appears, writes its answer and exits 0.</summary>
    private const string GatedJob = """
        echo start >> runs.log
        while [ ! -f go ]; do sleep 0.05; done
        echo 42 > result.txt
        echo done >> runs.log
        """;

    /// <summary>
    /// A step counter that checkpoints like a careful app: each <c>next</c> file the test creates makes it write
    /// step N+1 to state.tmp and rename it over <c>state</c>; <c>stop</c> ends it with exit 0.
    /// </summary>
    private const string SteppingJob = """
        n=0
        if [ -f state ]; then read -r n < state; fi
        echo "start $n" >> runs.log
        while [ ! -f stop ]; do
          if [ -f next ]; then
            rm next
            n=$((n + 1))
            echo "$n" > state.tmp
            mv state.tmp state
            echo "wrote $n" >> runs.log
          fi
          sleep 0.02
        done
        echo "$n" > result.txt
        """;

    [Fact]
    public async Task A_job_that_finished_while_the_wrapper_was_dead_is_reported_finished_and_never_rerun()
    {
        // Given a running job whose wrapper is killed (SIGKILL) before the job ends
        var slot = NewSlot(GatedJob, "files = [\"state\"]");
        using (var first = WrapperProcess.Start(slot.SlotDir))
        {
            await WaitFor(() => Lines(slot, "runs.log").Length == 1, first);
            first.Kill();
        }

        // When the job writes its output and exits 0 while no wrapper watches
        File.WriteAllText(slot.SlotFile("go"), "");
        await WaitFor(async () => await State(slot) == "exited");

        // Then the next start reports the finish once and does not run the job again
        using var second = WrapperProcess.Start(slot.SlotDir);
        Assert.Equal(0, await second.WaitForExit(Timeout));
        Assert.Equal("0", slot.ReadSlotFile(BoincExit.FinishFileName).Trim());
        Assert.Contains("exited on its own while no wrapper watched", second.StderrTail());
        Assert.Equal(new[] { "start", "done" }, Lines(slot, "runs.log"));
        Assert.Equal("42", slot.ReadSlotFile("result.txt").Trim());
        Assert.Null(await State(slot));

        // And so does every later start
        using var third = WrapperProcess.Start(slot.SlotDir);
        Assert.Equal(0, await third.WaitForExit(Timeout));
        Assert.Equal(new[] { "start", "done" }, Lines(slot, "runs.log"));
    }

    [Fact]
    public async Task A_killed_wrapper_reattaches_to_the_running_container_and_the_job_runs_once()
    {
        // Given a running job with a committed generation, whose wrapper is killed
        var slot = NewSlot(SteppingJob, "files = [\"state\"]");
        using (var first = WrapperProcess.Start(slot.SlotDir))
        {
            await WaitFor(() => Lines(slot, "runs.log").Length == 1, first);
            File.WriteAllText(slot.SlotFile("next"), "");
            await WaitFor(() => CommittedStep.Of(slot.SlotDir) == 1, first);
            first.Kill();
        }

        Assert.Equal("running", await State(slot));

        // When BOINC starts the wrapper again while the job still runs (it cannot end before the test says so)
        using var second = WrapperProcess.Start(slot.SlotDir);
        await WaitFor(() => second.StderrTail().Contains("re-attaching", StringComparison.Ordinal), second);
        File.WriteAllText(slot.SlotFile("stop"), "");

        // Then the same container ran to the end: one start, the answer, a finish
        Assert.True(await second.WaitForExit(Timeout) == 0, second.StderrTail());
        Assert.Equal(new[] { "start 0", "wrote 1" }, Lines(slot, "runs.log"));
        Assert.Equal("1", slot.ReadSlotFile("result.txt").Trim());
        Assert.Equal("0", slot.ReadSlotFile(BoincExit.FinishFileName).Trim());
    }

    [Fact]
    public async Task A_checkpoint_renamed_into_place_is_committed_without_quiescence_and_survives_a_kill_and_container_removal()
    {
        // Given a job with committed generations 1..4 and a quiescence window far longer than the test's gaps
        var slot = NewSlot(SteppingJob, "files = [\"state\"]\nquiescence = \"30s\"");
        using (var first = WrapperProcess.Start(slot.SlotDir))
        {
            await WaitFor(() => Lines(slot, "runs.log").Length == 1, first);
            for (var step = 1; step <= 4; step++)
            {
                File.WriteAllText(slot.SlotFile("next"), "");
                var expected = step;
                await WaitFor(() => CommittedStep.Of(slot.SlotDir) == expected, first);
            }

            // When the app renames step 5 into place (a one-file checkpoint: committed at once, not after the 30 s
            // quiescence; how soon is bench/reaction.sh's figure, not a bound here), and as soon as that commit is
            // on disk the wrapper is killed and the container removed
            File.WriteAllText(slot.SlotFile("next"), "");
            await WaitFor(() => Lines(slot, "runs.log").Contains("wrote 5"), first);
            var renamed = System.Diagnostics.Stopwatch.StartNew();
            await WaitFor(() => CommittedStep.Of(slot.SlotDir) == 5, first);
            // (the bound is the test's own 30 s quiescence: a commit after it would be the quiescence's, not the rename's)
            Assert.True(renamed.Elapsed < TimeSpan.FromSeconds(30), $"step 5 committed {renamed.Elapsed.TotalSeconds:0.0} s after the rename");
            first.Kill();
        }

        await RemoveContainer(slot);
        Assert.Equal("5", slot.ReadSlotFile("state").Trim());

        // Then the restart resumes from the app's step 5, not from an older generation
        using var second = WrapperProcess.Start(slot.SlotDir);
        await WaitFor(() => Lines(slot, "runs.log").Count(l => l.StartsWith("start", StringComparison.Ordinal)) == 2, second);
        File.WriteAllText(slot.SlotFile("stop"), "");
        Assert.True(await second.WaitForExit(Timeout) == 0, second.StderrTail());
        Assert.Equal("start 5", Lines(slot, "runs.log").Last(l => l.StartsWith("start", StringComparison.Ordinal)));
        Assert.DoesNotContain("discarded", second.StderrTail());
    }

    [Fact]
    public async Task When_heartbeats_stop_without_a_client_pid_the_wrapper_ends_within_stop_grace_and_the_stop_signal_reaches_the_job()
    {
        // Given a running shell-script job (sh ignores SIGTERM as PID 1) with stop_grace 30 s: 20 s of checkpoint
        // wait, 10 s for the engine's stop; init_data.xml names no client pid, so only the heartbeats tell
        var toml = """
            project_dir_mount = "/project"

            [checkpoint]
            files = ["state.txt"]
            done_marker = "checkpoint.done"

            [lifecycle]
            stop_grace = "30s"
            """;
        var slot = JobSlot.Create(temp, engine, toml);
        slots.Add(slot);
        File.WriteAllBytes(slot.SlotFile(SharedMemory.FileName), new byte[SharedMemory.Size]);
        using var client = FakeClient.Attach(slot.SlotDir).Match(c => c, e => throw new InvalidOperationException(e.Message));
        using var wrapper = WrapperProcess.Start(slot.SlotDir, "--steps", "100000", "--work", "20000", "--ckpt-every", "5");
        var started = DateTime.UtcNow;
        while (client.Record.Checkpoints < 2)
        {
            if (wrapper.HasExited || DateTime.UtcNow - started > Timeout)
                throw new InvalidOperationException($"no checkpoints; stderr.txt:\n{wrapper.StderrTail()}");
            client.Tick();
            await Task.Delay(250);
        }

        // When the client stops sending heartbeats (it died)
        var code = await wrapper.WaitForExit(TimeSpan.FromSeconds(120));

        // Then the wrapper quit without a result: client gone, a checkpoint committed, container stopped, quit
        Assert.Equal(0, code);
        Assert.False(File.Exists(slot.SlotFile(BoincExit.FinishFileName)), wrapper.StderrTail());
        var log = LogLines(wrapper.StderrTail(60000));
        var gone = log.FindIndex(l => l.Text.Contains("the BOINC client is gone", StringComparison.Ordinal));
        var quit = log.FindIndex(l => l.Text.Contains("quitting:", StringComparison.Ordinal));
        Assert.True(gone >= 0 && quit > gone, wrapper.StderrTail());
        Assert.Contains(log.Skip(gone).Take(quit - gone), l => l.Text.Contains("committed checkpoint generation", StringComparison.Ordinal));

        // And all of it within stop_grace (the log's clock has whole seconds: one more for the rounding)
        Assert.True(log[quit].At - log[gone].At <= TimeSpan.FromSeconds(31), $"{log[gone].At:T} -> {log[quit].At:T}");

        // And the container's init passed SIGTERM on to the script (143), rather than the stop waiting out its
        // 10 s for SIGKILL (137)
        var exitCode = await ExitCode(slot);
        Assert.Equal(143, exitCode);
        await RemoveContainer(slot);
    }

    private JobSlot NewSlot(string script, string checkpoint)
    {
        var toml = $"""
            project_dir_mount = "/project"

            [checkpoint]
            {checkpoint}

            [lifecycle]
            stop_grace = "5s"
            """;
        var dockerfile = $"FROM {engine.BaseImage}\nWORKDIR /app\nCMD [\"/bin/sh\", \"/project/job.sh\"]\n";
        var slot = JobSlot.Create(temp, engine, toml, dockerfile, projectFiles: new Dictionary<string, string> { ["job.sh"] = script });
        slots.Add(slot);
        return slot;
    }

    private static string[] Lines(JobSlot slot, string name)
    {
        var path = slot.SlotFile(name);
        return File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToArray() : Array.Empty<string>();
    }

    /// <summary>The wrapper's timestamped lines of stderr.txt ("yyyy-MM-dd HH:mm:ss boinc-persist: ...").</summary>
    private static List<(DateTime At, string Text)> LogLines(string stderr) =>
        stderr.Split('\n')
            .Where(l => l.Length > 20 && l[19] == ' ' && l[20..].StartsWith("boinc-persist:", StringComparison.Ordinal))
            .Select(l => (DateTime.ParseExact(l[..19], "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), l[20..]))
            .ToList();

    private static async Task WaitFor(Func<bool> condition, WrapperProcess wrapper)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (wrapper.HasExited && !condition())
                throw new InvalidOperationException($"the wrapper exited early; stderr.txt:\n{wrapper.StderrTail()}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"condition not met within {Timeout}; stderr.txt:\n{wrapper.StderrTail()}");
            await Task.Delay(50);
        }
    }

    private static async Task WaitFor(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"condition not met within {Timeout}");
            await Task.Delay(100);
        }
    }

    private async Task<string?> State(JobSlot slot) => (await Inspect(slot))?.State?.Status;

    private async Task<long?> ExitCode(JobSlot slot) => (await Inspect(slot))?.State?.ExitCode;

    private async Task<ContainerInspectResponse?> Inspect(JobSlot slot)
    {
        try
        {
            return await engine.Call((docker, ct) => docker.Containers.InspectContainerAsync(slot.ContainerName, ct));
        }
        catch (Exception e) when (e is DockerContainerNotFoundException
                                  || (e is DockerApiException d && d.ResponseBody?.Contains("no such container", StringComparison.Ordinal) == true))
        {
            return null;
        }
    }

    private async Task RemoveContainer(JobSlot slot)
    {
        try
        {
            await engine.Call((docker, ct) => docker.Containers.RemoveContainerAsync(
                slot.ContainerName, new ContainerRemoveParameters { Force = true }, ct));
        }
        catch (DockerContainerNotFoundException)
        {
            // Already gone.
        }
    }
}
