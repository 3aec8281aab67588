using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Integration.Engine;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Verification.Fakes;
using Docker.DotNet;
using Docker.DotNet.Models;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Run;

/// <summary>
/// The wrapper driven through BOINC's shared memory by the fake client: suspend, resume, quit, abort, a lost
/// client. What the engine shows and what the client records are checked from the outside.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ClientScenarioTests(EngineFixture engine) : IDisposable
{
    private const int Work = 20000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private readonly TempRoot temp = engine.NewTempRoot();
    private readonly List<JobSlot> slots = new();

    public void Dispose()
    {
        var leaked = JobSlot.RemoveLeftovers(engine, slots);
        temp.Dispose();
        Assert.True(leaked.Count == 0, "containers left behind: " + string.Join(", ", leaked));
    }

    [Fact]
    public async Task Suspend_pauses_the_container_counts_no_CPU_and_resume_continues()
    {
        // Given a running job
        var (slot, client) = NewTask(Toml("checkpoint-and-stop"));
        using var wrapper = WrapperProcess.Start(slot.SlotDir, Args(60));
        await Drive(client, wrapper, () => client.Record.CurrentCpuTime > 0.5);

        // When BOINC suspends it
        client.Request(new ControlMessage.Suspend());
        await Drive(client, wrapper, () => State(slot) == "paused");

        // Then it is paused, and the CPU time reported stays put while it is (how fast: bench/reaction.sh)
        await Drive(client, wrapper, () => false, TimeSpan.FromSeconds(1.5));
        var before = client.Record.CurrentCpuTime;
        await Drive(client, wrapper, () => false, TimeSpan.FromSeconds(3));
        Assert.InRange(client.Record.CurrentCpuTime - before, 0, 0.05);

        // When resumed, it runs again and finishes
        client.Request(new ControlMessage.Resume());
        await Drive(client, wrapper, () => State(slot) == "running");
        await Drive(client, wrapper, () => wrapper.HasExited);
        Assert.Equal(0, await wrapper.WaitForExit(Timeout));
        Assert.Equal(Option<int>.Some(0), client.FinishStatus());
        Assert.Equal(JobSlot.ExpectedAnswer(60L * Work).ToString(), slot.ReadSlotFile("result.txt").Trim());
    }

    [Fact]
    public async Task Quit_stops_the_container_and_a_restart_continues_from_the_checkpoint_CPU_time()
    {
        // Given a job with committed generations
        var (slot, client) = NewTask(Toml("checkpoint-and-stop"));
        var first = WrapperProcess.Start(slot.SlotDir, Args(80));
        await Drive(client, first, () => client.Record.Checkpoints >= 3);

        // When BOINC asks it to quit
        client.Request(new ControlMessage.Quit());
        await Drive(client, first, () => first.HasExited);
        var quitCode = await first.WaitForExit(Timeout);
        first.Dispose();

        // Then it left no result, the container is stopped (its memory freed), and the client kept a checkpoint
        Assert.Equal(0, quitCode);
        Assert.True(client.FinishStatus().IsNone, "quit is not a finish");
        Assert.NotEqual("running", State(slot));
        var checkpointCpu = client.Record.CheckpointCpuTime;
        Assert.True(checkpointCpu > 0, "a checkpoint CPU time was reported");

        // When the client starts the task again with the CPU time it recorded
        client.Dispose();
        var restarted = Restart(slot, checkpointCpu);
        using var second = WrapperProcess.Start(slot.SlotDir, Args(80));
        await Drive(restarted, second, () => restarted.Record.CurrentCpuTime > 0);
        var firstReported = restarted.Record.CurrentCpuTime;
        await Drive(restarted, second, () => second.HasExited);

        // Then CPU time continued from the checkpoint (not from zero), and the job resumed, not restarted
        Assert.True(firstReported >= checkpointCpu * 0.99, $"CPU restarted at {firstReported}, checkpoint was {checkpointCpu}");
        Assert.Equal(0, await second.WaitForExit(Timeout));
        Assert.True(slot.ResumePoints().Count == 2 && slot.ResumePoints()[1] > 0, string.Join(",", slot.ResumePoints()));
        Assert.Equal(JobSlot.ExpectedAnswer(80L * Work).ToString(), slot.ReadSlotFile("result.txt").Trim());
        restarted.Dispose();
    }

    [Fact]
    public async Task Abort_removes_the_container_and_leaves_nothing()
    {
        // Given a running job
        var (slot, client) = NewTask(Toml("checkpoint-and-stop"));
        using var wrapper = WrapperProcess.Start(slot.SlotDir, Args(200));
        await Drive(client, wrapper, () => State(slot) == "running");

        // When BOINC aborts it
        client.Request(new ControlMessage.Abort());
        await Drive(client, wrapper, () => State(slot) is null && wrapper.HasExited);

        // Then the container is gone and the wrapper exited without a result
        await wrapper.WaitForExit(Timeout);
        Assert.True(client.FinishStatus().IsNone);
        Assert.False(File.Exists(slot.SlotFile(SlotLock.FileName)), "the lockfile is removed");
        client.Dispose();
    }

    [Fact]
    public async Task A_lost_client_makes_the_wrapper_follow_its_pause_policy()
    {
        // Given a running job whose quit policy is docker_wrapper's "pause"
        var (slot, client) = NewTask(Toml("pause"));
        using var wrapper = WrapperProcess.Start(slot.SlotDir, Args(5000));
        await Drive(client, wrapper, () => State(slot) == "running");

        // When the client stops sending heartbeats (it was killed)
        // (a liveness limit only, far beyond the client's 30 s heartbeat timeout; how fast: bench/reaction.sh)
        await wrapper.WaitForExit(TimeSpan.FromSeconds(180));

        // Then the wrapper paused the container and exited
        Assert.True(wrapper.HasExited, "the wrapper noticed the lost client");
        Assert.True(client.FinishStatus().IsNone, "the job did not simply finish: " + wrapper.StderrTail());
        Assert.Equal("paused", State(slot));

        // And a new client's wrapper resumes the same container rather than starting over
        client.Dispose();
        var restarted = Restart(slot, 0);
        using var second = WrapperProcess.Start(slot.SlotDir, Args(5000));
        await Drive(restarted, second, () => State(slot) == "running");
        Assert.Equal(new[] { 0 }, slot.ResumePoints());
        restarted.Request(new ControlMessage.Abort());
        await Drive(restarted, second, () => second.HasExited);
        restarted.Dispose();
    }

    private static string Toml(string quitPolicy) => $"""
        project_dir_mount = "/project"

        [checkpoint]
        files = ["state.txt"]
        done_marker = "checkpoint.done"

        [lifecycle]
        quit_policy = "{quitPolicy}"
        stop_grace = "5s"
        """;

    private static string[] Args(int steps) =>
        new[] { "--steps", steps.ToString(), "--work", Work.ToString(), "--ckpt-every", "5" };

    private (JobSlot Slot, FakeClient Client) NewTask(string toml)
    {
        var slot = JobSlot.Create(temp, engine, toml);
        slots.Add(slot);
        return (slot, Restart(slot, 0));
    }

    /// <summary>What the client does before each start: a fresh init_data.xml and a zeroed shared memory file.</summary>
    private static FakeClient Restart(JobSlot slot, double wuCpuTime)
    {
        slot.WriteInitData(wuCpuTime);
        File.WriteAllBytes(slot.SlotFile(SharedMemory.FileName), new byte[SharedMemory.Size]);
        return FakeClient.Attach(slot.SlotDir).Match(c => c, e => throw new InvalidOperationException(e.Message));
    }

    /// <summary>Ticks the client (heartbeat, queued request, status) every 250 ms until the condition holds.</summary>
    private static async Task Drive(FakeClient client, WrapperProcess wrapper, Func<bool> until, TimeSpan? span = null)
    {
        var limit = span ?? Timeout;
        var clock = Stopwatch.StartNew();
        while (!until())
        {
            if (clock.Elapsed > limit)
            {
                if (span is not null)
                    return;
                throw new TimeoutException($"condition not met within {limit}; client saw {client.Record}; stderr.txt:\n{wrapper.StderrTail()}");
            }

            if (wrapper.HasExited && !until())
            {
                client.Tick();
                if (until())
                    return;
                throw new InvalidOperationException($"the wrapper exited; client saw {client.Record}; stderr.txt:\n{wrapper.StderrTail()}");
            }

            client.Tick();
            await Task.Delay(250);
        }
    }

    private string? State(JobSlot slot)
    {
        try
        {
            var c = engine.Call((docker, ct) => docker.Containers.InspectContainerAsync(slot.ContainerName, ct)).GetAwaiter().GetResult();
            return c.State?.Status;
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
        catch (DockerApiException e) when (e.ResponseBody?.Contains("no such container", StringComparison.Ordinal) == true)
        {
            // Podman, inspected while it removes the container: 500 "does not exist in database: no such container".
            return null;
        }
    }
}
