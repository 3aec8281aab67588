using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Integration.Engine;
using Xunit;
using Xunit.Abstractions;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// Proves the real-client harness with <see cref="TestApp"/> (no wrapper): the client runs the job to "ready to
/// report", GUI suspend/resume/abort/quit reach both the client's task state and the app, and a killed or quit
/// client restarts the app in the same slot from its checkpoint. In the engine collection so these timing-
/// sensitive runs never share the 2 cores with other integration tests. Figures go to the test output.
/// </summary>
[Collection(ClientCollection.Name)]
public sealed class BoincClientHarnessTests(EngineFixture engine, BoincInstallation boinc, ITestOutputHelper output)
    : IClassFixture<BoincInstallation>
{
    private BoincScenario Scenario(string commandLine, BoincClientOptions? options = null, [System.Runtime.CompilerServices.CallerMemberName] string test = "") =>
        BoincScenario.Create(TestApp.Job(commandLine), options, engine.RunId, test);

    private void Figure(string what, double seconds) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FIGURE {what}: {seconds:0.000} s (client {boinc.Version})"));

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    [Fact]
    public async Task A_finishing_app_runs_in_a_prepared_slot_and_its_result_becomes_ready_to_report()
    {
        // Given a data directory whose job works for 2 s
        await using var scenario = Scenario("--work 2");

        // When the client starts
        await scenario.Client.Start();
        var started = await scenario.WaitForEvent("START");
        Figure("client launch -> app process running", started.UnixTime - scenario.Client.StartedAt.ToUnixTimeMilliseconds() / 1000.0);
        output.WriteLine($"client in a private network namespace: {scenario.Client.InPrivateNetwork}");

        // Then the app runs in slots/0, with init_data.xml, the shared-memory file, a real copy of the
        // <copy_file/> input and a <soft_link> link file for the other, and it reads both inputs
        var slot = scenario.Data.SlotDir(0);
        Assert.Equal($"cwd={slot}", started.Detail.Split(' ')[0]);
        Assert.True(File.Exists(Path.Combine(slot, "init_data.xml")));
        Assert.Equal(8192, new FileInfo(Path.Combine(slot, "boinc_mmap_file")).Length);
        Assert.Equal("copied input content\n", await File.ReadAllTextAsync(Path.Combine(slot, "input_copy")));
        Assert.Contains($"<soft_link>../../projects/{BoincXml.ProjectDirName(scenario.Data.Job.ProjectUrl)}/in_link.txt</soft_link>",
            await File.ReadAllTextAsync(Path.Combine(slot, "input_link")));
        await scenario.WaitForEvent("CHECKPOINT"); // logged after the inputs were read
        var inputs = scenario.Events().Where(e => e.Kind == "INPUT").Select(e => e.Detail).ToList();
        Assert.Contains("input_copy=copied input content", inputs);
        Assert.Contains("input_link=linked input content", inputs);

        // And the result ends ready to report, exit 0, with CPU time and the sticky output file kept
        var done = await scenario.WaitForTask(t => t.ReadyToReport, "result ready to report");
        Assert.Equal(("uploaded", 0), (done.State, done.ExitStatus));
        Assert.InRange(done.FinalCpuTime ?? 0, 1.5, 3.0);
        Assert.StartsWith("result ok", await File.ReadAllTextAsync(scenario.Data.OutputFile!));
        Assert.True(await scenario.Client.Stop(), "the idle client should exit on --quit");
    }

    [Fact]
    public async Task Suspend_resume_and_abort_reach_the_clients_task_state_and_the_app()
    {
        // Given a running task that has checkpointed
        await using var scenario = Scenario("--work 60");
        await scenario.Client.Start();
        await scenario.WaitForTask(t => t.CheckpointCpuTime >= 1, "a first checkpoint reported");

        // When it is suspended
        var skip = scenario.Events().Count;
        var asked = Now();
        await scenario.Suspend();
        var suspended = await scenario.WaitForEvent("SUSPEND", skip, TimeSpan.FromSeconds(10));
        Figure("boinccmd suspend -> app reads <suspend/>", suspended.UnixTime - asked);

        // Then the client shows it suspended and counts no CPU time while it stays so
        await scenario.WaitForTask(t => t.ActiveTaskState == BoincTask.Suspended, "task SUSPENDED");
        await Task.Delay(TimeSpan.FromSeconds(1.2)); // the client reads app status once a second: let the last one in
        var before = await scenario.Task();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var later = await scenario.Task();
        Assert.Equal(BoincTask.Suspended, later.ActiveTaskState);
        Assert.Equal(before.CurrentCpuTime, later.CurrentCpuTime);

        // When it is resumed, then it executes again and its CPU time grows
        skip = scenario.Events().Count;
        asked = Now();
        await scenario.Resume();
        var resumed = await scenario.WaitForEvent("RESUME", skip, TimeSpan.FromSeconds(10));
        Figure("boinccmd resume -> app reads <resume/>", resumed.UnixTime - asked);
        await scenario.WaitForTask(t => t.ActiveTaskState == BoincTask.Executing && t.CurrentCpuTime > later.CurrentCpuTime,
            "task EXECUTING with growing CPU time");

        // When it is aborted, then the app reads <abort/> and the result is reported aborted (203)
        skip = scenario.Events().Count;
        asked = Now();
        await scenario.Abort();
        var aborted = await scenario.WaitForEvent("ABORT", skip, TimeSpan.FromSeconds(10));
        Figure("boinccmd abort -> app reads <abort/>", aborted.UnixTime - asked);
        var done = await scenario.WaitForTask(t => t.ReadyToReport, "aborted result ready to report");
        Assert.Equal(("aborted", 203), (done.State, done.ExitStatus));
    }

    [Fact]
    public async Task Quit_then_restart_reruns_the_app_in_the_same_slot_with_the_checkpoint_cpu_time_carried_over()
    {
        // Given a running task with a checkpoint of at least 2 s
        await using var scenario = Scenario("--work 60");
        await scenario.Client.Start();
        var beforeQuit = await scenario.WaitForTask(t => t.CheckpointCpuTime >= 2, "a checkpoint of >= 2 s CPU");

        // When the client is told to quit
        var skip = scenario.Events().Count;
        var asked = Now();
        Assert.True(await scenario.Client.Stop(), "the client should exit by itself after --quit");
        Figure("boinccmd --quit -> client exited (task running)", Now() - asked);

        // Then the app read <quit/>, and the state file keeps the task in slot 0
        var quit = await scenario.WaitForEvent("QUIT", skip, TimeSpan.FromSeconds(1));
        Figure("boinccmd --quit -> app reads <quit/>", quit.UnixTime - asked);
        Assert.Contains("<slot>0</slot>", await File.ReadAllTextAsync(scenario.Data.ClientStateFile));

        // When it restarts
        skip = scenario.Events().Count;
        await scenario.Client.Start();
        var restarted = await scenario.WaitForEvent("START", skip);
        Figure("client restart -> app process running again", restarted.UnixTime - scenario.Client.StartedAt.ToUnixTimeMilliseconds() / 1000.0);

        // Then the app runs in the same slot from its checkpoint file, init_data.xml carries the checkpoint CPU
        // time, and --get_tasks shows that CPU time carried over, not reset
        Assert.Equal($"cwd={scenario.Data.SlotDir(0)}", restarted.Detail.Split(' ')[0]);
        Assert.True(int.Parse(restarted.Value("ticks")!, CultureInfo.InvariantCulture) >= 10, restarted.Detail);
        Assert.True(double.Parse(restarted.Value("wu_cpu_time")!, CultureInfo.InvariantCulture) >= beforeQuit.CheckpointCpuTime, restarted.Detail);
        var after = await scenario.WaitForTask(t => t.Slot == 0 && t.CurrentCpuTime > 0, "the restarted task reporting");
        Assert.True(after.CheckpointCpuTime >= beforeQuit.CheckpointCpuTime, $"before quit: {beforeQuit}; after restart: {after}");
        await scenario.Abort();
        await scenario.WaitForTask(t => t.ReadyToReport, "aborted result ready to report");
    }

    [Fact]
    public async Task A_client_killed_with_SIGKILL_and_restarted_reruns_the_app_in_the_same_slot()
    {
        // Given a running task that has checkpointed
        await using var scenario = Scenario("--work 60");
        await scenario.Client.Start();
        await scenario.WaitForTask(t => t.CheckpointCpuTime >= 1, "a first checkpoint reported");
        var first = scenario.Events().First(e => e.Kind == "START");

        // When the client is killed, the app notices it is gone (no quit message ever came)
        var skip = scenario.Events().Count;
        await scenario.Client.Kill();
        await scenario.WaitForEvent("CLIENT_GONE", skip, TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(scenario.Events().Skip(skip), e => e.Kind is "QUIT" or "ABORT");

        // Then a restarted client reruns it in the same slot, as a new process, from its checkpoint
        skip = scenario.Events().Count;
        await scenario.Client.Start();
        var again = await scenario.WaitForEvent("START", skip);
        Assert.Equal(first.Detail.Split(' ')[0], again.Detail.Split(' ')[0]);
        Assert.NotEqual(first.Pid, again.Pid);
        Assert.True(int.Parse(again.Value("ticks")!, CultureInfo.InvariantCulture) >= 5, again.Detail);
        await scenario.WaitForTask(t => t.ActiveTaskState == BoincTask.Executing && t.Slot == 0, "task EXECUTING in slot 0");
        await scenario.Abort();
        await scenario.WaitForTask(t => t.ReadyToReport, "aborted result ready to report");
    }

    [Fact]
    public async Task A_non_zero_exit_is_a_compute_error_and_exit_after_finish_ends_the_client()
    {
        // Given a job that finishes after 1 s with exit code 3, and a client told to exit after it
        await using var scenario = Scenario("--work 1 --exit-code 3", new BoincClientOptions { ExitAfterFinish = true });

        // When it runs
        await scenario.Client.Start();
        var finished = await scenario.WaitForEvent("FINISH");

        // Then the client exits by itself, and after a restart reports a compute error with exit status 3
        Assert.True(await scenario.Client.WaitForExit(TimeSpan.FromSeconds(20)), scenario.Diagnostics());
        Figure("app exit -> client exit (--exit_after_finish)", Now() - finished.UnixTime);
        Assert.Contains("exit_after_finish", await File.ReadAllTextAsync(scenario.Client.LogFile));
        await scenario.Client.Start();
        var done = await scenario.WaitForTask(t => t.ReadyToReport, "errored result ready to report");
        Assert.Equal(("compute error", 3), (done.State, done.ExitStatus));
    }
}
