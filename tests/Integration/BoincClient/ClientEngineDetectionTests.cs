using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Boinc.Persist.Integration.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;
using Xunit;
using Xunit.Abstractions;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// What client 8.2 adds around a Docker app, with boinc-persist as the app (plan class "docker", as projects
/// deploy Docker apps): engine detection reaching init_data.xml, and the start-up `cleanup_docker`, which
/// removes every <c>boinc__*</c> container that is not an ACTIVE docker task's (client/cs_apps.cpp; our
/// container name is exactly the client's docker_container_name, so an active task's container is spared).
/// Runs with either client (BOINC_PERSIST_TEST_CLIENT): 7.20 detects nothing and cleans nothing up, and each
/// test asserts what the client under test does.
/// </summary>
[Collection(ClientCollection.Name)]
public sealed class ClientEngineDetectionTests(EngineFixture engine, BoincInstallation installation, ITestOutputHelper output)
    : IClassFixture<BoincInstallation>, IAsyncLifetime
{
    private const int Work = 20000;

    private const string Checkpointed = """
        project_dir_mount = "/project"

        [checkpoint]
        files = ["state.txt"]
        done_marker = "checkpoint.done"

        [lifecycle]
        stop_grace = "5s"
        """;

    private readonly List<string> names = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var name in names)
        {
            await RemoveContainer(name);
        }
    }

    [Fact]
    public async Task Startup_cleanup_spares_the_active_tasks_container_across_a_client_restart_and_the_job_finishes_once()
    {
        await using var s = Scenario(steps: 100);
        var stale1 = await PlantStaleContainer(s, "1");

        // When the client starts with a stale boinc__ container of ours next to the task's
        await s.Client.Start();
        await WaitForContainer(s, "running", TimeSpan.FromSeconds(90));

        // Then 8.2 detected the engine under test and told the app; 7.20 says nothing about engines
        var initData = await File.ReadAllTextAsync(Path.Combine(s.Data.SlotDir(0), "init_data.xml"));
        var dockerType = Regex.Match(initData, @"<docker_type>(\d+)</docker_type>");
        var dockerVersion = Regex.Match(initData, @"<docker_version>([^<]*)</docker_version>");
        output.WriteLine($"client {installation.Version}: init_data.xml docker_type '{dockerType.Groups[1].Value}', docker_version '{dockerVersion.Groups[1].Value}'");
        if (ClientUnderTest.DetectsEngines)
        {
            Assert.Equal(TestEngine.IsPodman ? "2" : "1", dockerType.Groups[1].Value);
            Assert.False(string.IsNullOrWhiteSpace(dockerVersion.Groups[1].Value), "docker_version is set");
            // ...and the stale container went at start-up, ours did not
            Assert.Null(await ContainerState(stale1));
            Assert.Contains($"Removed unused Docker container: {stale1}", ClientLog(s), StringComparison.Ordinal);
        }
        else
        {
            Assert.True(!dockerType.Success || dockerType.Groups[1].Value == "0", $"7.20 detects no engine: {dockerType.Value}");
            Assert.Equal("created", await ContainerState(stale1));
        }

        await s.WaitForTask(t => (t.CheckpointCpuTime ?? 0) > 0, "a checkpoint", TimeSpan.FromSeconds(90));

        // When the client dies with the job running, the wrapper stops the container (checkpoint-and-stop after the
        // lost heartbeat), and the client starts again with that container still there
        await s.Client.Kill();
        await WaitForContainer(s, "exited", TimeSpan.FromSeconds(90));
        var stale2 = await PlantStaleContainer(s, "2");
        await s.Client.Start();

        // Then the restart's clean-up removed the new stale one (so it ran), never ours; the job resumes and
        // finishes once, from a committed step, with the right answer
        var done = await s.WaitForTask(t => t.ReadyToReport, "ready to report", TimeSpan.FromSeconds(240));
        Assert.Equal(0, done.ExitStatus);
        Assert.Equal(Expected(100), File.ReadAllText(s.Data.OutputFile!).Trim());
        var resumes = ResumePoints(s);
        Assert.True(resumes.Count == 2 && resumes[1] > 0, "resume points " + string.Join(",", resumes));
        var log = ClientLog(s);
        Assert.DoesNotContain($"Removed unused Docker container: {ContainerName(s)}", log, StringComparison.Ordinal);
        if (ClientUnderTest.DetectsEngines)
        {
            Assert.Contains($"Removed unused Docker container: {stale2}", log, StringComparison.Ordinal);
            Assert.Null(await ContainerState(stale2));
        }
        else
        {
            Assert.Equal("created", await ContainerState(stale2));
        }

        await NoContainer(s, TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// The wrapper takes its engine from init_data.xml's docker_type when DOCKER_HOST is not set: with 8.2 that is
    /// the engine the client detected (and proved with hello-world). Only where the engine under test is on its
    /// standard socket (the one docker_type names), which is the case on this machine and in CI.
    /// </summary>
    [Fact]
    public async Task Without_DOCKER_HOST_the_wrapper_uses_the_engine_the_client_reports_in_init_data()
    {
        var standard = TestEngine.IsPodman ? TestEngine.PodmanSocket : "unix:///var/run/docker.sock";
        Assert.True(engine.Endpoint.ToString().TrimEnd('/') == standard,
            $"this test needs the engine under test on its standard socket {standard}, not {engine.Endpoint}");
        await using var s = Scenario(steps: 20, dockerHost: false);

        await s.Client.Start();
        var done = await s.WaitForTask(t => t.ReadyToReport, "ready to report", TimeSpan.FromSeconds(180));

        Assert.Equal(0, done.ExitStatus);
        Assert.Equal(Expected(20), File.ReadAllText(s.Data.OutputFile!).Trim());
        // The wrapper's own account of its choice, from the result's stderr_out
        var state = await File.ReadAllTextAsync(s.Data.ClientStateFile);
        var said = Regex.Match(state, @"engine \S+ \(API [^)]*\) at \S+ \(.*\)").Value;
        output.WriteLine($"client {installation.Version}, the wrapper: {said}");
        Assert.False(string.IsNullOrEmpty(said), "the wrapper logged its engine and why");
        if (ClientUnderTest.DetectsEngines)
        {
            // 8.2 detected the engine under test (docker_type), and the wrapper took that engine's socket for it,
            // although both engines answer on this machine (without docker_type, Docker's socket comes first)
            var expected = TestEngine.IsPodman ? "Podman" : "Docker";
            Assert.Contains($"at {standard} ", said, StringComparison.Ordinal);
            Assert.Contains($"(init_data.xml says {expected})", said, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("init_data.xml says", said, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The hazard of a project that deploys the wrapper under a plan class without "docker": 8.2's start-up
    /// clean-up does not count the task as a Docker one and removes its container (our name is the client's
    /// docker_container_name). The job must still finish once, from its last committed generation.
    /// </summary>
    [Fact]
    public async Task Without_a_docker_plan_class_a_restart_of_8_2_removes_the_tasks_container_and_the_job_still_finishes_once()
    {
        await using var s = Scenario(steps: 100, planClass: null);
        await s.Client.Start();
        await WaitForContainer(s, "running", TimeSpan.FromSeconds(90));
        await s.WaitForTask(t => (t.CheckpointCpuTime ?? 0) > 0, "a checkpoint", TimeSpan.FromSeconds(90));

        // When the client dies, the wrapper stops the container, and the client starts again
        await s.Client.Kill();
        await WaitForContainer(s, "exited", TimeSpan.FromSeconds(90));
        await s.Client.Start();

        // Then
        var done = await s.WaitForTask(t => t.ReadyToReport, "ready to report", TimeSpan.FromSeconds(240));
        Assert.Equal(0, done.ExitStatus);
        Assert.Equal(Expected(100), File.ReadAllText(s.Data.OutputFile!).Trim());
        var resumes = ResumePoints(s);
        Assert.True(resumes.Count == 2 && resumes[1] > 0, "resume points " + string.Join(",", resumes));
        var removed = ClientLog(s).Contains($"Removed unused Docker container: {ContainerName(s)}", StringComparison.Ordinal);
        output.WriteLine($"client {installation.Version} removed the task's container at restart: {removed}");
        Assert.Equal(ClientUnderTest.DetectsEngines, removed);
    }

    private BoincScenario Scenario(int steps, bool dockerHost = true, string? planClass = "docker")
    {
        var wu = "wu" + Guid.NewGuid().ToString("N")[..8];
        var job = WrapperJobs.ForBoincPersist(
            Checkpointed,
            Run.JobSlot.DemoFile("Dockerfile").Replace("boinc-persist/busybox:1", engine.BaseImage, StringComparison.Ordinal),
            new[] { new JobFile("lcg.sh", "lcg.sh", new FileContent.Text(Run.JobSlot.DemoFile("lcg.sh"))) },
            commandLine: $"--steps {steps} --work {Work} --ckpt-every 5 --out output") with
        {
            WorkunitName = wu,
            ResultName = wu + "_0",
            Output = new OutputFile(wu + "_0_0", "output", 100_000_000, Copy: true),
            PlanClass = planClass,
        };
        var options = WrapperJobs.OptionsFor(engine.Endpoint);
        if (!dockerHost)
        {
            // (TestEngine puts DOCKER_HOST into this process's environment for Podman: the client must not inherit it)
            options = options with { Environment = options.Environment.Remove("DOCKER_HOST"), Unset = ["DOCKER_HOST"] };
        }

        var scenario = BoincScenario.Create(job, options, engine.RunId);
        names.Add(ContainerName(scenario));
        return scenario;
    }

    /// <summary>A container named as the client names another (inactive) result of this workunit, never started.</summary>
    private async Task<string> PlantStaleContainer(BoincScenario s, string suffix)
    {
        var name = $"boinc__{BoincXml.ProjectDirName(s.Data.Job.ProjectUrl)}__{s.Data.Job.WorkunitName}_stale{suffix}".ToLowerInvariant();
        names.Add(name);
        await engine.Call((docker, ct) => docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = name,
            Image = engine.BaseImage,
            Cmd = ["true"],
            Labels = engine.TestLabels.ToDictionary(kv => kv.Key, kv => kv.Value),
        }, ct));
        return name;
    }

    private static string ClientLog(BoincScenario s) => File.ReadAllText(s.Client.LogFile);

    private static string Expected(int steps) => Run.JobSlot.ExpectedAnswer((long)steps * Work).ToString(CultureInfo.InvariantCulture);

    private static string ContainerName(BoincScenario s) =>
        $"boinc__{BoincXml.ProjectDirName(s.Data.Job.ProjectUrl)}__{s.Data.Job.ResultName}".ToLowerInvariant();

    private async Task<string?> ContainerState(string name)
    {
        try
        {
            var c = await engine.Call((docker, ct) => docker.Containers.InspectContainerAsync(name, ct));
            return c.State?.Status;
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
        catch (DockerApiException e) when (e.ResponseBody?.Contains("no such container", StringComparison.Ordinal) == true)
        {
            return null; // Podman, inspected while it removes the container
        }
    }

    private async Task RemoveContainer(string name)
    {
        try
        {
            await engine.Call((docker, ct) => docker.Containers.RemoveContainerAsync(name, new ContainerRemoveParameters { Force = true }, ct));
            output.WriteLine($"removed leftover container {name}");
        }
        catch (DockerContainerNotFoundException)
        {
            // Nothing left: the normal case.
        }
        catch (DockerApiException e) when (e.ResponseBody?.Contains("no such container", StringComparison.Ordinal) == true)
        {
            // Podman's words for the same.
        }
    }

    private async Task WaitForContainer(BoincScenario s, string status, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        string? now;
        while ((now = await ContainerState(ContainerName(s))) != status)
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"container {ContainerName(s)} is {now ?? "absent"}, not {status}, after {timeout}\n{s.Diagnostics()}");
            await Task.Delay(100);
        }
    }

    private async Task NoContainer(BoincScenario s, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (await ContainerState(ContainerName(s)) is { } status)
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"container {ContainerName(s)} still {status}\n{s.Diagnostics()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Where each start of the workload began ("lcg.sh: starting at step N"), from the result's stderr_out.</summary>
    private static IReadOnlyList<int> ResumePoints(BoincScenario s) =>
        Regex.Matches(File.ReadAllText(s.Data.ClientStateFile), @"lcg\.sh: starting at step (\d+)")
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToList();
}
