using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Integration.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;
using Xunit;
using Xunit.Abstractions;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// Issue 16 points 1 and 3 with the real client: what the wrapper reports reaches it. The job holds 64 MiB in a
/// shell variable and publishes web graphics; the client's own log (<c>app_msg_receive</c>) shows the working set
/// it received, and its GUI RPC gives back the web graphics URL the Manager would open.
/// <para>
/// Client 7.20.5 parses no <c>&lt;wss&gt;</c> (it came with 8.2, BOINC PR #5870): its <c>--get_tasks</c> "working
/// set size" is its own measurement of the wrapper's process tree, which this test prints and does not assert;
/// with a client that parses it, the test asserts that figure too.
/// </para>
/// </summary>
[Collection(ClientCollection.Name)]
public sealed class RealClientReportsTests(EngineFixture engine, BoincInstallation installation, ITestOutputHelper output)
    : IClassFixture<BoincInstallation>, IAsyncLifetime
{
    private const long Held = 192L * 1024 * 1024; // well above the wrapper's own RSS (60-90 MB), which is what a client that ignores <wss> shows
    private const long MemoryBound = 512L * 1024 * 1024;
    private const int GuestPort = 8080;

    private readonly List<BoincScenario> cleanups = new();

    public Task InitializeAsync() => Task.CompletedTask;

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

    [Fact]
    public async Task The_client_receives_the_containers_working_set()
    {
        // Given a job that holds 64 MiB, with the client logging what apps send it
        await using var s = Scenario(webGraphics: false);
        var config = Path.Combine(s.Data.Path, "cc_config.xml");
        File.WriteAllText(config, BoincXml.CcConfig().Replace("<log_flags>", "<log_flags>\n    <app_msg_receive />", StringComparison.Ordinal));
        Assert.Contains("<app_msg_receive />", File.ReadAllText(config), StringComparison.Ordinal);

        // When it runs and has allocated the memory
        await s.Client.Start();
        await s.WaitForTask(t => t.ActiveTaskState == BoincTask.Executing, "executing", TimeSpan.FromSeconds(90));
        var slot = s.Data.SlotDir(s.LastSlot);
        await Eventually(() => File.Exists(Path.Combine(slot, "held.txt")), "the job holds its memory", s);
        var heldAt = Received(s).Count;
        await Eventually(() => Received(s).Count >= heldAt + 2, "two statuses after the allocation", s);

        // Then the client received a working set of at least what the job holds (and at most its memory bound)
        var last = Received(s)[^1];
        var reading = ClientStatusReading.Parse(last);
        var wss = reading.WorkingSetBytes.IfNone(() => throw new Xunit.Sdk.XunitException($"the client got no <wss>: {last}"));
        Assert.InRange(wss, Held, MemoryBound);
        Assert.True(reading.MaxWorkingSetBytes.Exists(m => m >= wss), $"<max_wss> below <wss> or missing: {last}");
        var shown = await Shown(s);
        if (ParsesWss(installation.Version))
        {
            // A client that parses <wss> smooths it into what it shows (client/app.cpp: half the old figure plus
            // half the app's, at each memory poll): wait for the figure to reach the job's, event by event.
            var threshold = Held / 1048576.0 * 0.95;
            await EventuallyAsync(async () => MegaBytes(shown = await Shown(s)) >= threshold,
                $"boinccmd --get_tasks to show a working set of at least {threshold:0.0} MB (client {installation.Version} parses <wss>)", s);
        }

        output.WriteLine($"FIGURE client {installation.Version}: received <wss> {wss / 1048576:0.0} MiB for a job holding {Held / 1048576} MiB; boinccmd --get_tasks working set size: {shown}");

        // And released, the job finishes
        File.WriteAllText(Path.Combine(slot, "release"), "");
        var done = await s.WaitForTask(t => t.ReadyToReport, "ready to report", TimeSpan.FromSeconds(120));
        Assert.Equal(0, done.ExitStatus);
        Assert.Equal(Held.ToString(CultureInfo.InvariantCulture), File.ReadAllText(s.Data.OutputFile!).Trim());
    }

    [Fact]
    public async Task The_client_gets_the_web_graphics_URL_of_the_published_loopback_port()
    {
        // Given a job that publishes web graphics
        await using var s = Scenario(webGraphics: true);
        var bridge = await EngineHasBridge();

        // When it runs
        await s.Client.Start();
        await s.WaitForTask(t => t.ActiveTaskState == BoincTask.Executing, "executing", TimeSpan.FromSeconds(90));
        var slot = s.Data.SlotDir(s.LastSlot);
        await Eventually(() => File.Exists(Path.Combine(slot, "held.txt")), "the job runs", s);

        if (bridge)
        {
            // Then the client's GUI RPC gives the task's web graphics URL: the loopback port the engine published
            var url = await WebGraphicsUrl(s);
            var published = await engine.Call((docker, ct) => docker.Containers.InspectContainerAsync(ContainerName(s), ct));
            var binding = (published.NetworkSettings?.Ports?[$"{GuestPort}/tcp"] ?? throw new Xunit.Sdk.XunitException("no binding for the guest port")).Single();
            Assert.Equal("127.0.0.1", binding.HostIP);
            Assert.Equal($"http://127.0.0.1:{binding.HostPort}", url);
            output.WriteLine($"FIGURE web graphics URL from the client's get_results: {url}");
        }
        else
        {
            // Then (an engine without a bridge network, as the Docker daemon of this test machine: dockerd
            // --bridge=none publishes no port) the wrapper says in stderr.txt that there is nothing to open, and
            // the client has no URL
            await Eventually(() => Stderr(s).Contains("shows no loopback host port for the web graphics port", StringComparison.Ordinal), "the wrapper says no port was published", s);
            var reply = await GuiRpc.Call(s.Data.Path, "<get_results/>", TimeSpan.FromSeconds(15));
            Assert.Contains("<result>", reply, StringComparison.Ordinal);
            Assert.DoesNotContain("<web_graphics_url>", reply, StringComparison.Ordinal);
            output.WriteLine("FIGURE the engine has no bridge network: no port published, no URL sent (said in stderr.txt)");
        }

        // And released, the job finishes
        File.WriteAllText(Path.Combine(slot, "release"), "");
        var done = await s.WaitForTask(t => t.ReadyToReport, "ready to report", TimeSpan.FromSeconds(120));
        Assert.Equal(0, done.ExitStatus);
    }

    private async Task<bool> EngineHasBridge()
    {
        var networks = await engine.Call((docker, ct) => docker.Networks.ListNetworksAsync(new NetworksListParameters(), ct));
        return networks.Any(n => n.Driver == "bridge");
    }

    private static string Stderr(BoincScenario s)
    {
        var path = s.Data.SlotStderr(s.LastSlot);
        if (!File.Exists(path))
            return "";
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var r = new StreamReader(f);
        return r.ReadToEnd();
    }

    /// <summary>The status texts the client logged receiving (app_msg_receive), in order.</summary>
    private static IReadOnlyList<string> Received(BoincScenario s)
    {
        if (!File.Exists(s.Client.LogFile))
            return Array.Empty<string>();
        string log;
        using (var f = new FileStream(s.Client.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var r = new StreamReader(f))
            log = r.ReadToEnd();
        // One message spans lines: from "got msg from slot N:" to the next dated log line.
        return Regex.Matches(log, @"\[app_msg_receive\] got msg from slot \d+: (?<m>.*?)(?=\n\d\d-\w\w\w-\d{4} |\z)", RegexOptions.Singleline)
            .Select(m => m.Groups["m"].Value)
            .Where(m => m.Contains("<current_cpu_time>", StringComparison.Ordinal))
            .ToList();
    }

    private static async Task<string> WebGraphicsUrl(BoincScenario s)
    {
        string? url = null;
        await Eventually(() =>
        {
            var reply = GuiRpc.Call(s.Data.Path, "<get_results/>", TimeSpan.FromSeconds(15)).GetAwaiter().GetResult();
            var m = Regex.Match(reply, "<web_graphics_url>([^<]*)</web_graphics_url>");
            url = m.Success ? m.Groups[1].Value : null;
            return url is not null;
        }, "the client knows the web graphics URL", s);
        return url!;
    }

    private static async Task Eventually(Func<bool> condition, string what, BoincScenario s)
    {
        var limit = TimeSpan.FromSeconds(120);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
                throw new TimeoutException($"{what}: not within {limit}\n{s.Diagnostics()}");
            await Task.Delay(250);
        }
    }

    /// <summary>Clients from 8.2 on take the app's &lt;wss&gt; (BOINC PR #5870).</summary>
    private static async Task<string> Shown(BoincScenario s)
    {
        var task = await s.Task();
        return task.Fields.TryGetValue("working set size", out var text) ? text : "(not shown)";
    }

    /// <summary>A liveness limit (120 s), not a timing assertion: the condition is polled every second.</summary>
    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what, BoincScenario s)
    {
        var limit = TimeSpan.FromSeconds(120);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
                throw new TimeoutException($"{what}: not within {limit}\n{s.Diagnostics()}");
            await Task.Delay(1000);
        }
    }

    private static bool ParsesWss(string version)
    {
        var m = Regex.Match(version, @"^(\d+)\.(\d+)");
        return m.Success && (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)) is var (major, minor)
            && (major > 8 || (major == 8 && minor >= 2));
    }

    private static double MegaBytes(string shown)
    {
        var m = Regex.Match(shown, @"([\d.]+)\s*MB");
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private BoincScenario Scenario(bool webGraphics)
    {
        var wu = "wu" + Guid.NewGuid().ToString("N")[..8];
        var dockerfile = $$"""
            FROM {{engine.BaseImage}}
            WORKDIR /app
            CMD ["/bin/sh", "-c", "head -c {{Held}} /dev/zero > /dev/shm/held; echo held > held.txt; while [ ! -e release ]; do sleep 0.2; done; wc -c < /dev/shm/held > output"]
            """;
        var job = WrapperJobs.ForBoincPersist(
            // The job holds its memory in /dev/shm: shared memory is charged to the container's memory cgroup.
            "create_args = \"--shm-size 256m\"\n" + (webGraphics ? $"web_graphics_guest_port = {GuestPort}\n\n[confinement]\nnetwork = \"bridge\"\n" : ""),
            dockerfile,
            Array.Empty<JobFile>(),
            commandLine: "") with
        {
            WorkunitName = wu,
            ResultName = wu + "_0",
            Output = new OutputFile(wu + "_0_0", "output", 100_000_000, Copy: true),
            RscMemoryBound = MemoryBound,
        };
        var scenario = BoincScenario.Create(job, WrapperJobs.OptionsFor(engine.Endpoint), engine.RunId);
        cleanups.Add(scenario);
        return scenario;
    }

    private static string ContainerName(BoincScenario s) =>
        $"boinc__{BoincXml.ProjectDirName(s.Data.Job.ProjectUrl)}__{s.Data.Job.ResultName}".ToLowerInvariant();
}
