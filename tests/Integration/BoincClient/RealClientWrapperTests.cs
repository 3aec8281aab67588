using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Integration.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;
using Xunit;
using Xunit.Abstractions;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// boinc-persist as the main program of the real BOINC client (7.20.5), running the demo workload in a
/// container: completion, suspend/resume, quit and restart, abort, and a client killed with SIGKILL.
/// </summary>
[Collection(ClientCollection.Name)]
public sealed class RealClientWrapperTests(EngineFixture engine, BoincInstallation installation, ITestOutputHelper output)
    : IClassFixture<BoincInstallation>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Whatever a failed test left: the task's container, found by its name.</summary>
    public async Task DisposeAsync()
    {
        foreach (var s in cleanups)
        {
            try
            {
                await engine.Call((docker, ct) => docker.Containers.RemoveContainerAsync(
                    ContainerName(s), new ContainerRemoveParameters { Force = true }, ct));
                output.WriteLine($"removed leftover container {ContainerName(s)}");
            }
            catch (DockerContainerNotFoundException)
            {
                // Nothing left: the normal case.
            }
        }
    }

    private const int Work = 20000;

    private const string Checkpointed = """
        project_dir_mount = "/project"

        [checkpoint]
        files = ["state.txt"]
        done_marker = "checkpoint.done"

        [lifecycle]
        stop_grace = "5s"
        """;

    [Fact]
    public async Task The_job_runs_to_completion_with_CPU_time_matching_the_containers_own()
    {
        await using var s = Scenario(Checkpointed, steps: 80);

        // When
        await s.Client.Start();
        var started = Stopwatch.StartNew();
        await s.WaitForTask(t => t.ActiveTaskState == BoincTask.Executing, "executing", TimeSpan.FromSeconds(60));
        await WaitForContainer(s, "running", TimeSpan.FromSeconds(60));
        output.WriteLine($"FIGURE client start -> container running: {started.Elapsed.TotalSeconds:0.00} s (image cached: {installation.Version})");
        var done = await s.WaitForTask(t => t.ReadyToReport, "ready to report", TimeSpan.FromSeconds(120));

        // Then
        Assert.Equal(0, done.ExitStatus);
        var answer = File.ReadAllText(s.Data.OutputFile!).Trim();
        Assert.Equal(Expected(80), answer);
        var reported = done.FinalCpuTime ?? 0;
        var own = ContainerCpu(s);
        output.WriteLine($"FIGURE final CPU time reported {reported:0.000} s, the job's own `times` {own:0.000} s");
        Assert.True(reported > 0, "CPU time > 0");
        // The container's counter at its end covers everything `times` counts (and `times` truncates each of its
        // four figures to a 10 ms tick, so it never overstates): the report may not fall below it (1 ms for the
        // client's decimal rounding). Above it: what `times` does not see (the runtime's start, tr after it).
        Assert.InRange(reported, own - 0.001, own * 1.1 + 0.1);
        await NoContainer(s);
    }

    [Fact]
    public async Task Suspend_pauses_the_container_and_resume_unpauses_it()
    {
        await using var s = Scenario(Checkpointed, steps: 150);
        await s.Client.Start();
        await WaitForContainer(s, "running", TimeSpan.FromSeconds(60));
        await s.WaitForTask(t => (t.CurrentCpuTime ?? 0) > 0.5, "some CPU time", TimeSpan.FromSeconds(60));

        // When
        await s.Suspend();
        var asked = Stopwatch.StartNew();
        await WaitForContainer(s, "paused", TimeSpan.FromSeconds(60));
        var toPaused = asked.Elapsed;
        output.WriteLine($"FIGURE boinccmd suspend -> container paused: {toPaused.TotalSeconds:0.00} s (a figure: bench/, not an assertion)");

        // Then (paused: waited for above; how fast is a figure, not an assertion on a loaded host) the CPU time the
        // client shows settles (the status that carries the last ticks before the pause may arrive late on a loaded
        // host: wait until two looks 1.5 s apart agree, not a fixed time), and then stays where it is
        var before = (await s.Task()).CurrentCpuTime ?? 0;
        var settling = Stopwatch.StartNew();
        while (true)
        {
            await Task.Delay(1500);
            var now = (await s.Task()).CurrentCpuTime ?? 0;
            if (Math.Abs(now - before) <= 0.001)
                break;
            Assert.True(settling.Elapsed < TimeSpan.FromSeconds(60),
                $"the client's CPU time still grows 60 s after the container was paused ({before:0.000} -> {now:0.000} s)");
            before = now;
        }

        await Task.Delay(4000);
        var after = (await s.Task()).CurrentCpuTime ?? 0;
        Assert.InRange(after - before, 0, 0.05);

        await s.Resume();
        asked.Restart();
        await WaitForContainer(s, "running", TimeSpan.FromSeconds(60));
        output.WriteLine($"FIGURE boinccmd resume -> container running: {asked.Elapsed.TotalSeconds:0.00} s");
        await s.Abort();
        await NoContainer(s, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Quit_and_a_client_restart_continue_from_the_last_committed_generation()
    {
        await using var s = Scenario(Checkpointed, steps: 100);
        await s.Client.Start();
        var checkpointed = await s.WaitForTask(t => (t.CheckpointCpuTime ?? 0) > 1, "a checkpoint", TimeSpan.FromSeconds(90));

        // When the client quits, and starts again
        Assert.True(await s.Client.Stop(TimeSpan.FromSeconds(60)), "the client exited by itself after --quit");
        var carried = checkpointed.CheckpointCpuTime ?? 0;
        await s.Client.Start();
        var resumed = await s.WaitForTask(t => t.ActiveTaskState == BoincTask.Executing, "executing again", TimeSpan.FromSeconds(60));

        // Then the checkpoint CPU time is carried over, not reset, and the job resumes from a committed step
        Assert.True((resumed.CheckpointCpuTime ?? 0) >= carried, $"checkpoint CPU {resumed.CheckpointCpuTime} < {carried}");
        var done = await s.WaitForTask(t => t.ReadyToReport, "ready to report", TimeSpan.FromSeconds(180));
        Assert.Equal(0, done.ExitStatus);
        Assert.Equal(Expected(100), File.ReadAllText(s.Data.OutputFile!).Trim());
        var resumes = ResumePoints(s);
        Assert.True(resumes.Count == 2 && resumes[1] > 0, "resume points " + string.Join(",", resumes));
        Assert.True(done.FinalCpuTime >= carried, $"final CPU {done.FinalCpuTime} below the carried {carried}");
    }

    [Fact]
    public async Task Abort_removes_the_container_and_leaves_nothing_of_ours()
    {
        // (an image of its own: the demo image is also used by scenarios that run beside this collection, and the
        // wrapper rightly keeps an image another container or wrapper uses)
        await using var s = Scenario(Checkpointed, steps: 400, ownImage: true);
        await s.Client.Start();
        await WaitForContainer(s, "running", TimeSpan.FromSeconds(60));

        // When
        await s.Abort();
        var asked = Stopwatch.StartNew();
        // (a liveness limit only: how fast is a figure, printed below and measured by bench/reaction.sh)
        await NoContainer(s, TimeSpan.FromSeconds(90));
        output.WriteLine($"FIGURE boinccmd abort -> container gone: {asked.Elapsed.TotalSeconds:0.00} s");

        // Then
        // (the client marks the result aborted at once; the wrapper's process is done when ABORT_PENDING ends)
        var task = await s.WaitForTask(
            t => t.State.Contains("abort", StringComparison.OrdinalIgnoreCase) && t.ActiveTaskState != "ABORT_PENDING",
            "aborted, the wrapper's process gone",
            TimeSpan.FromSeconds(30));
        output.WriteLine($"task after abort: {task}");
        // The task's image (its tag from the wrapper's log) is removed unless another container uses it
        var stderr = Path.Combine(Slot(s), "stderr.txt");
        var log = (File.Exists(stderr) ? await File.ReadAllTextAsync(stderr) : "") + await File.ReadAllTextAsync(s.Data.ClientStateFile);
        var tag = System.Text.RegularExpressions.Regex.Match(log, @"image (boinc-persist/job:[0-9a-f]+)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(tag), "the wrapper logged its image");
        var images = await engine.ListImages(new ImagesListParameters { All = true });
        var containers = await engine.Call((docker, ct) => docker.Containers.ListContainersAsync(new ContainersListParameters { All = true }, ct));
        var unusedOurs = images.Where(i => (i.RepoTags ?? new List<string>()).Contains(tag)
                                           && !containers.Any(c => c.ImageID == i.ID || c.Image == tag)).ToList();
        var said = string.Join("\n", log.Split('\n').Where(l => l.Contains("image", StringComparison.Ordinal)));
        Assert.True(unusedOurs.Count == 0,
            "unused images of ours: " + string.Join(", ", unusedOurs.SelectMany(i => i.RepoTags)) + "\nthe wrapper said:\n" + said +
            "\ncontainers now: " + string.Join(", ", containers.Select(c => $"{c.Names.FirstOrDefault()} {c.Image} {c.State}")));
    }

    [Fact]
    public async Task A_client_killed_with_SIGKILL_makes_the_wrapper_follow_its_quit_policy()
    {
        await using var s = Scenario(Checkpointed, steps: 400);
        await s.Client.Start();
        await WaitForContainer(s, "running", TimeSpan.FromSeconds(60));
        await s.WaitForTask(t => (t.CheckpointCpuTime ?? 0) > 0, "a checkpoint", TimeSpan.FromSeconds(60));

        // When
        await s.Client.Kill();
        var killed = Stopwatch.StartNew();
        await WaitForContainer(s, "exited", TimeSpan.FromSeconds(60));
        output.WriteLine($"FIGURE client SIGKILL -> container stopped (checkpoint-and-stop): {killed.Elapsed.TotalSeconds:0.00} s");

        // Then it stopped (waited for above, the client being dead); how fast is a figure, not an assertion on a
        // loaded host: the 30 s heartbeat limit itself is checked on a fake clock in tests/Properties
        await s.Client.Start();
        await WaitForContainer(s, "running", TimeSpan.FromSeconds(60));
        await s.Abort();
        await NoContainer(s, TimeSpan.FromSeconds(15));
    }

    private BoincScenario Scenario(string jobToml, int steps, bool ownImage = false)
    {
        var wu = "wu" + Guid.NewGuid().ToString("N")[..8];
        var dockerfile = Run.JobSlot.DemoFile("Dockerfile").Replace("boinc-persist/busybox:1", engine.BaseImage, StringComparison.Ordinal);
        if (ownImage) dockerfile = dockerfile.TrimEnd() + $"\nLABEL test.image={wu}\n";
        var job = WrapperJobs.ForBoincPersist(
            jobToml,
            dockerfile,
            new[] { new JobFile("lcg.sh", "lcg.sh", new FileContent.Text(Run.JobSlot.DemoFile("lcg.sh"))) },
            commandLine: $"--steps {steps} --work {Work} --ckpt-every 5 --out output") with
        {
            WorkunitName = wu,
            ResultName = wu + "_0",
            // The job writes its result by logical name, so the output is a <copy_file/> (as BUDA apps declare
            // theirs): a link file stays as the client wrote it (issue 16), and writing over it would lose the result.
            Output = new OutputFile(wu + "_0_0", "output", 100_000_000, Copy: true),
        };
        var scenario = BoincScenario.Create(job, WrapperJobs.OptionsFor(engine.Endpoint), engine.RunId);
        cleanups.Add(scenario);
        return scenario;
    }

    private readonly List<BoincScenario> cleanups = new();

    private static string Expected(int steps) => Run.JobSlot.ExpectedAnswer((long)steps * Work).ToString(CultureInfo.InvariantCulture);

    private static string Slot(BoincScenario s) => s.Data.SlotDir(s.LastSlot);

    private string ContainerName(BoincScenario s) =>
        $"boinc__{BoincXml.ProjectDirName(s.Data.Job.ProjectUrl)}__{s.Data.Job.ResultName}".ToLowerInvariant();

    private async Task<string?> ContainerState(BoincScenario s)
    {
        try
        {
            var c = await engine.Call((docker, ct) => docker.Containers.InspectContainerAsync(ContainerName(s), ct));
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

    private async Task WaitForContainer(BoincScenario s, string status, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        string? now;
        while ((now = await ContainerState(s)) != status)
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"container {ContainerName(s)} is {now ?? "absent"}, not {status}, after {timeout}\n{s.Diagnostics()}");
            await Task.Delay(100);
        }
    }

    private async Task NoContainer(BoincScenario s, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (await ContainerState(s) is { } status)
        {
            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(10)))
                throw new TimeoutException($"container {ContainerName(s)} still {status}\n{s.Diagnostics()}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The CPU time the workload's shell measured itself (`times`: user + sys of the shell and its children),
    /// from the line it writes to stderr, which reaches the result's stderr_out in client_state.xml (the slot is
    /// cleaned out once the task is done).
    /// </summary>
    private double ContainerCpu(BoincScenario s)
    {
        var state = File.ReadAllText(s.Data.ClientStateFile);
        const string tag = "lcg.sh: cpu_times ";
        var at = state.LastIndexOf(tag, StringComparison.Ordinal);
        Assert.True(at >= 0, "the workload's cpu_times line is in the result's stderr_out");
        var line = state[(at + tag.Length)..].Split('\n')[0];
        output.WriteLine($"the workload's times: {line}");
        return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Sum(Seconds);

        static double Seconds(string t)
        {
            var m = t.IndexOf('m');
            return double.Parse(t[..m], CultureInfo.InvariantCulture) * 60 +
                   double.Parse(t[(m + 1)..].TrimEnd('s'), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Where each start of the workload began ("lcg.sh: starting at step N"), from the result's stderr_out.</summary>
    private static IReadOnlyList<int> ResumePoints(BoincScenario s) =>
        System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(s.Data.ClientStateFile), @"lcg\.sh: starting at step (\d+)")
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToList();
}
