using System;
using System.IO;
using System.Threading.Tasks;
using Boinc.Persist.Integration.Engine;
using Xunit;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>What a failing real-client test leaves behind and tells: nothing, and enough to debug it.</summary>
[Collection(ClientCollection.Name)]
public sealed class BoincScenarioCleanupTests(EngineFixture engine) : IClassFixture<BoincInstallation>
{
    [Fact]
    public async Task A_failed_wait_shows_the_client_log_and_slot_stderr_and_dispose_kills_orphaned_apps_and_removes_everything()
    {
        // Given an app that ignores the protocol entirely (it would outlive its client) and writes to stderr
        var job = TestApp.Job("") with
        {
            MainProgram = new MainProgram("deaf_1.00", new FileContent.Text("#!/bin/sh\necho deaf app started >&2\nexec sleep 600\n")),
        };
        var scenario = BoincScenario.Create(job, runId: engine.RunId);
        int appPid;
        try
        {
            await scenario.Client.Start();
            var running = await scenario.WaitForTask(t => t.Pid > 0 && t.ActiveTaskState == BoincTask.Executing, "app running");
            appPid = running.Pid!.Value;

            // When a wait fails
            var error = await Assert.ThrowsAsync<TimeoutException>(() =>
                scenario.WaitForTask(_ => false, "a condition that never holds", TimeSpan.FromSeconds(0.5)));

            // Then its message names the wait, the last task snapshot, the client's log and the slot's stderr.txt
            Assert.Contains("a condition that never holds", error.Message);
            Assert.Contains("Last seen: wu1_0: state=downloaded active=EXECUTING", error.Message);
            Assert.Contains(scenario.Client.LogFile, error.Message);
            Assert.Contains("Starting task wu1_0", error.Message);
            Assert.Contains("deaf app started", error.Message);

            // When the client dies without telling the app, the app is orphaned but alive
            await scenario.Client.Kill();
            Assert.True(IsAlive(appPid), $"app {appPid} should outlive a SIGKILLed client");
        }
        finally
        {
            await scenario.DisposeAsync();
        }

        // Then dispose killed it and removed the whole test root
        Assert.False(IsAlive(appPid), $"app {appPid} still runs after dispose");
        Assert.False(Directory.Exists(scenario.Root), $"{scenario.Root} still exists after dispose");
    }

    /// <summary>Running, not a zombie: a killed orphan stays a zombie until init reaps it, and holds nothing.</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{pid}/status");
            return !Array.Exists(status, line => line.StartsWith("State:", StringComparison.Ordinal) && line.Contains("zombie", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
