using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Integration.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;
using Xunit;

namespace Boinc.Persist.Integration.Run;

/// <summary>
/// The wrapper run as BOINC runs it (a process in the slot, no client channel), under the faults of the
/// run issue. Each scenario checks the workload's answer and its own log of resume points: committed work is
/// never redone, a finished job is never re-run.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class RunScenarioTests(EngineFixture engine) : IDisposable
{
    private const string Checkpointed = """
        project_dir_mount = "/project"

        [checkpoint]
        files = ["state.txt"]
        done_marker = "checkpoint.done"

        [lifecycle]
        stop_grace = "5s"
        """;

    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(120);

    private readonly TempRoot temp = engine.NewTempRoot();

    private readonly System.Collections.Generic.List<JobSlot> slots = new();

    /// <summary>Removes what the wrapper left for the test's slots, and fails the test if it left anything running.</summary>
    public void Dispose()
    {
        var leaked = JobSlot.RemoveLeftovers(engine, slots);
        temp.Dispose();
        Assert.True(leaked.Count == 0, "the wrapper left containers behind: " + string.Join(", ", leaked));
    }

    private JobSlot NewSlot(string jobToml, string? dockerfile = null)
    {
        var slot = JobSlot.Create(temp, engine, jobToml, dockerfile);
        slots.Add(slot);
        return slot;
    }

    [Fact]
    public async Task A_job_runs_to_completion_and_reports_finish_once()
    {
        // Given
        var slot = NewSlot(Checkpointed);

        // When
        using var wrapper = WrapperProcess.Start(slot.SlotDir, Args(steps: 10));
        var code = await wrapper.WaitForExit(JobTimeout);

        // Then
        Assert.True(code == 0, wrapper.StderrTail());
        Assert.Equal("0", slot.ReadSlotFile("boinc_finish_called").Trim());
        Assert.Equal(JobSlot.ExpectedAnswer(10 * Work).ToString(), slot.ReadSlotFile("result.txt").Trim());
        Assert.Equal(new[] { 0 }, slot.ResumePoints());
        Assert.False(File.Exists(slot.SlotFile("boinc_lockfile")), "the lockfile is removed on finish");
        Assert.Null(await FindContainer(slot));
    }

    [Fact]
    public async Task A_killed_wrapper_reattaches_to_the_running_container_instead_of_restarting_it()
    {
        // Given a job that has committed a generation
        var slot = NewSlot(Checkpointed);
        using (var first = WrapperProcess.Start(slot.SlotDir, Args(steps: 60)))
        {
            await WaitFor(() => Committed(slot) >= 5, first);

            // When the wrapper dies with SIGKILL
            first.Kill();
        }

        var running = await FindContainer(slot);
        Assert.NotNull(running);
        Assert.Equal("running", running!.State);

        using var second = WrapperProcess.Start(slot.SlotDir, Args(steps: 60));
        var code = await second.WaitForExit(JobTimeout);

        // Then the same container ran to the end: the workload started once
        Assert.True(code == 0, second.StderrTail());
        Assert.True(slot.ResumePoints().SequenceEqual(new[] { 0 }), $"starts [{string.Join(", ", slot.ResumePoints())}]\n{second.StderrTail(20000)}");
        Assert.Equal(JobSlot.ExpectedAnswer(60 * Work).ToString(), slot.ReadSlotFile("result.txt").Trim());
    }

    [Fact]
    public async Task After_a_lost_container_the_job_resumes_from_its_last_committed_generation()
    {
        // Given a job with committed work whose wrapper and container are both gone (a host reboot)
        var slot = NewSlot(Checkpointed);
        int committed;
        using (var first = WrapperProcess.Start(slot.SlotDir, Args(steps: 60)))
        {
            await WaitFor(() => Committed(slot) >= 10, first);
            first.Kill();
            committed = Committed(slot);
        }

        await RemoveContainer(slot);

        // When BOINC starts the wrapper again
        using var second = WrapperProcess.Start(slot.SlotDir, Args(steps: 60));
        var code = await second.WaitForExit(JobTimeout);

        // Then it resumed from a committed step, not from zero, and the answer is right
        Assert.True(code == 0, second.StderrTail());
        var resumes = slot.ResumePoints();
        Assert.Equal(2, resumes.Count);
        Assert.True(resumes[1] >= committed, $"resumed from {resumes[1]}, but step {committed} was committed");
        Assert.Equal(JobSlot.ExpectedAnswer(60 * Work).ToString(), slot.ReadSlotFile("result.txt").Trim());
    }

    [Fact]
    public async Task A_torn_checkpoint_file_is_restored_from_the_generation_not_resumed_from()
    {
        // Given a committed generation, then a crash that leaves state.txt torn
        var slot = NewSlot(Checkpointed);
        using (var first = WrapperProcess.Start(slot.SlotDir, Args(steps: 60)))
        {
            await WaitFor(() => Committed(slot) >= 10, first);
            first.Kill();
        }

        await RemoveContainer(slot);
        File.WriteAllText(slot.SlotFile("state.txt"), "4");

        // When
        using var second = WrapperProcess.Start(slot.SlotDir, Args(steps: 60));
        var code = await second.WaitForExit(JobTimeout);

        // Then the workload never saw the torn file (it would have failed or resumed from step 4)
        Assert.True(code == 0, second.StderrTail());
        Assert.True(File.Exists(slot.SlotFile("boinc_finish_called")), "a finish, not a temporary exit (exit 0 too): " + second.StderrTail());
        // And the log says which app file recovery replaced, and why
        Assert.True(second.StderrTail(60000).Contains("discarded the app's state.txt", StringComparison.Ordinal), second.StderrTail(60000));
        Assert.True(slot.ResumePoints()[1] >= 10, string.Join(",", slot.ResumePoints()));
        Assert.Equal(JobSlot.ExpectedAnswer(60 * Work).ToString(), slot.ReadSlotFile("result.txt").Trim());
    }

    [Fact]
    public async Task No_engine_at_all_is_a_temporary_exit_with_the_reason_not_a_compute_error()
    {
        // Given a slot, and an engine endpoint where nothing listens
        var slot = NewSlot(Checkpointed);
        var env = new System.Collections.Generic.Dictionary<string, string>
        {
            ["DOCKER_HOST"] = "unix://" + System.IO.Path.Combine(temp.Path, "no-engine.sock"),
        };

        // When
        using var wrapper = WrapperProcess.Start(slot.SlotDir, env, Args(steps: 10));
        var code = await wrapper.WaitForExit(TimeSpan.FromSeconds(90));

        // Then BOINC is asked to retry later, with the reason, and nothing else happened
        Assert.Equal(0, code);
        var exitFile = slot.ReadSlotFile("boinc_temporary_exit");
        Assert.Matches(@"^\d+\n.*engine.*\n", exitFile);
        Assert.False(File.Exists(slot.SlotFile("boinc_finish_called")));
        Assert.False(File.Exists(slot.SlotFile("boinc_lockfile")), "the lock is released");
        Assert.Empty(slot.ResumePoints());
    }

    [Fact]
    public async Task A_program_the_engine_cannot_start_is_one_compute_error_not_an_endless_retry()
    {
        // Given a Dockerfile whose command does not exist in the image
        var slot = NewSlot("", $"FROM {engine.BaseImage}\nWORKDIR /app\nCMD [\"/no/such/program\"]\n");

        // When
        using var wrapper = WrapperProcess.Start(slot.SlotDir);
        var code = await wrapper.WaitForExit(JobTimeout);

        // Then one compute error (the engine refuses the program, or the container's init reports that it cannot
        // run it, exit 127), reported once, not a temporary exit
        Assert.True(code != 0, wrapper.StderrTail());
        Assert.False(File.Exists(slot.SlotFile("boinc_temporary_exit")), "not a temporary exit");
        Assert.Equal(code.ToString(), slot.ReadSlotFile("boinc_finish_called").Trim());
        using var again = WrapperProcess.Start(slot.SlotDir);
        Assert.Equal(code, await again.WaitForExit(JobTimeout));
        Assert.Contains("already finished", again.StderrTail());
    }

    [Fact]
    public async Task A_container_killed_while_the_wrapper_quits_is_a_quit_not_the_jobs_result()
    {
        // Given a job with committed work
        var slot = NewSlot(Checkpointed);
        using (var first = WrapperProcess.Start(slot.SlotDir, Args(steps: 200)))
        {
            await WaitFor(() => Committed(slot) >= 5, first);

            // When a host shutdown sends SIGTERM to the wrapper and the engine kills the container meanwhile
            first.Signal(15);
            await Task.Delay(300);
            try
            {
                await engine.Call((docker, ct) => docker.Containers.KillContainerAsync(slot.ContainerName, new ContainerKillParameters(), ct));
            }
            catch (Exception e) when (e is DockerApiException || e.InnerException is DockerApiException)
            {
                // The wrapper's own stop was faster (the init forwards SIGTERM at once): the container has ended.
            }

            // Then the wrapper quits (exit 0, no result) instead of reporting the kill as the job's exit code
            Assert.Equal(0, await first.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.False(File.Exists(slot.SlotFile("boinc_finish_called")), first.StderrTail());
        }

        // And the next start resumes from a committed generation
        using var second = WrapperProcess.Start(slot.SlotDir, Args(steps: 40));
        await WaitFor(() => slot.ResumePoints().Count >= 2, second);
        Assert.True(slot.ResumePoints()[1] >= 5, string.Join(",", slot.ResumePoints()));
        second.Kill();
        await RemoveContainer(slot);
    }

    [Fact]
    public async Task A_failed_job_is_reported_once_and_never_rerun()
    {
        // Given a job that exits 3
        var slot = NewSlot("",
            $"FROM {engine.BaseImage}\nWORKDIR /app\nCMD [\"/bin/sh\", \"-c\", \"echo ran >> runs.log; exit 3\"]\n");

        // When it runs, and BOINC starts the wrapper again in the same slot
        using var first = WrapperProcess.Start(slot.SlotDir);
        var firstCode = await first.WaitForExit(JobTimeout);
        using var second = WrapperProcess.Start(slot.SlotDir);
        var secondCode = await second.WaitForExit(JobTimeout);

        // Then both report the job's exit status and the job ran once
        Assert.Equal(3, firstCode);
        Assert.Equal(3, secondCode);
        Assert.Equal(new[] { "ran" }, File.ReadAllLines(slot.SlotFile("runs.log")));
        Assert.Null(await FindContainer(slot));
    }

    [Fact]
    public async Task A_Dockerfile_with_COPY_is_refused_and_nothing_is_created()
    {
        // Given
        var slot = NewSlot("", $"FROM {engine.BaseImage}\nCOPY . /app\n");

        // When
        using var wrapper = WrapperProcess.Start(slot.SlotDir);
        var code = await wrapper.WaitForExit(JobTimeout);

        // Then
        Assert.NotEqual(0, code);
        var stderr = wrapper.StderrTail();
        Assert.Contains("COPY", stderr);
        Assert.Contains("Dockerfile", stderr);
        Assert.False(File.Exists(slot.SlotFile("boinc_finish_called")));
        Assert.Null(await FindContainer(slot));
    }

    [Fact]
    public async Task A_write_outside_WORKDIR_or_into_the_wrapper_state_fails_inside_the_container()
    {
        // Given a job that writes to /opt, then reports how that went
        var slot = NewSlot("",
            $"FROM {engine.BaseImage}\nWORKDIR /app\n" +
            "CMD [\"/bin/sh\", \"-c\", \"if echo x > /opt/result; then echo written; else echo refused; fi > outcome.txt; " +
            "if echo x > .boinc-persist/journal; then echo written; else echo refused; fi > state.txt; ls -A .boinc-persist > seen.txt\"]\n");

        // When
        using var wrapper = WrapperProcess.Start(slot.SlotDir);
        var code = await wrapper.WaitForExit(JobTimeout);

        // Then
        Assert.True(code == 0, wrapper.StderrTail());
        Assert.Equal("refused", slot.ReadSlotFile("outcome.txt").Trim());

        // And the wrapper's state directory is invisible and read-only to the job, though it exists on the host
        Assert.Equal("refused", slot.ReadSlotFile("state.txt").Trim());
        Assert.Equal("", slot.ReadSlotFile("seen.txt").Trim());
        Assert.True(File.Exists(slot.SlotFile(".boinc-persist/journal")), "the journal is on the host");
    }

    private const int Work = 20000;

    private static string[] Args(int steps) =>
        new[] { "--steps", steps.ToString(), "--work", Work.ToString(), "--ckpt-every", "5" };

    /// <summary>The step of the newest committed generation, read the way a user would: `checkpoints --json`-free, from state in WORKDIR is not enough, so from the store.</summary>
    private static int Committed(JobSlot slot) => CommittedStep.Of(slot.SlotDir);

    private async Task WaitFor(Func<bool> condition, WrapperProcess wrapper)
    {
        var deadline = DateTime.UtcNow + JobTimeout;
        while (!condition())
        {
            if (wrapper.HasExited)
                throw new InvalidOperationException($"the wrapper exited early; stderr.txt:\n{wrapper.StderrTail()}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"condition not met within {JobTimeout}; stderr.txt:\n{wrapper.StderrTail()}");
            await Task.Delay(100);
        }
    }

    private async Task<ContainerListResponse?> FindContainer(JobSlot slot)
    {
        var all = await engine.Call((docker, ct) => docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true }, ct));
        return all.FirstOrDefault(c => c.Names.Any(n => n.TrimStart('/') == slot.ContainerName));
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
            // Already gone: fine, that is the state we want.
        }
    }
}
