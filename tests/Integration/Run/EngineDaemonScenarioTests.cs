using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Integration.Engine;
using Xunit;

namespace Boinc.Persist.Integration.Run;

/// <summary>
/// The wrapper under an engine daemon that dies (RunScenarioTests' slot and workload), on an engine of the test's
/// own (<see cref="PrivateEngine"/>). Alone: a private Podman service beside the shared one's busiest minutes was
/// seen not to answer within a minute of its relaunch.
/// </summary>
[Collection(EngineAloneCollection.Name)]
public sealed class EngineDaemonScenarioTests(EngineFixture engine) : IDisposable
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

    private const int Work = 20000;

    private readonly TempRoot temp = engine.NewTempRoot();

    private readonly System.Collections.Generic.List<JobSlot> slots = new();

    /// <summary>Removes what the wrapper left for the test's slots, and fails the test if it left anything running.</summary>
    public void Dispose()
    {
        var leaked = JobSlot.RemoveLeftovers(engine, slots);
        temp.Dispose();
        Assert.True(leaked.Count == 0, "the wrapper left containers behind: " + string.Join(", ", leaked));
    }

    [Fact]
    public async Task After_the_engine_daemon_is_killed_and_restarted_the_job_resumes_from_its_last_generation()
    {
        // Given a job with committed work on a private engine (never the shared one)
        using var cts = new System.Threading.CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var priv = await PrivateEngine.Start(engine.BaseImage, cts.Token);
        var env = new System.Collections.Generic.Dictionary<string, string> { ["DOCKER_HOST"] = priv.Endpoint.Uri.ToString() };
        var slot = NewSlot(Checkpointed);
        int committed;
        using (var first = WrapperProcess.Start(slot.SlotDir, env, Args(steps: 60)))
        {
            await WaitFor(() => Committed(slot) >= 10, first);
            committed = Committed(slot);

            // When the engine daemon dies under it
            await priv.KillDaemon();

            // Then the wrapper asks BOINC to retry later: a temporary exit, not a compute error
            Assert.Equal(0, await first.WaitForExit(TimeSpan.FromSeconds(90)));
            Assert.Contains("engine", slot.ReadSlotFile("boinc_temporary_exit"));
            Assert.False(File.Exists(slot.SlotFile("boinc_finish_called")));
        }

        // When the engine is back and BOINC starts the wrapper again
        await priv.Launch(cts.Token);
        using var second = WrapperProcess.Start(slot.SlotDir, env, Args(steps: 60));
        var code = await second.WaitForExit(JobTimeout);

        // Then the job resumed from a committed step (Docker: its containers die with the daemon), or, where the
        // container outlived the engine's service (Podman: conmon keeps it running), it was re-attached or, finished
        // on its own meanwhile, reported finished and never run again; either way no committed work is lost and the answer is right
        Assert.True(code == 0, second.StderrTail());
        var resumes = slot.ResumePoints();
        Assert.True(resumes.Count == 1 || (resumes.Count == 2 && resumes[1] >= committed),
            $"resumes {string.Join(",", resumes)}, committed {committed}; stderr.txt:\n{second.StderrTail()}");
        if (resumes.Count == 1)
            Assert.Matches("re-attaching to it|exited on its own while no wrapper watched", second.StderrTail(60000));
        Assert.Equal(JobSlot.ExpectedAnswer(60 * Work).ToString(), slot.ReadSlotFile("result.txt").Trim());
        Assert.False(File.Exists(slot.SlotFile("boinc_temporary_exit")), "the stale temporary-exit file is gone");
    }

    private JobSlot NewSlot(string jobToml)
    {
        var slot = JobSlot.Create(temp, engine, jobToml, null);
        slots.Add(slot);
        return slot;
    }

    private static string[] Args(int steps) =>
        new[] { "--steps", steps.ToString(), "--work", Work.ToString(), "--ckpt-every", "5" };

    private static int Committed(JobSlot slot) => CommittedStep.Of(slot.SlotDir);

    private static async Task WaitFor(Func<bool> condition, WrapperProcess wrapper)
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
}
