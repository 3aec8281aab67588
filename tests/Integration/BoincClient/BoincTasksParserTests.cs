using System.Linq;
using Xunit;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>The pure pieces of the harness: --get_tasks parsing and data-directory names (no client needed).</summary>
public sealed class BoincTasksParserTests
{
    // Captured from boinccmd 7.20.5: one running task, one aborted one.
    private const string TwoTasks = """

        ======== Tasks ========
        1) -----------
           name: wu1_0
           WU name: wu1
           project URL: http://127.0.0.1:1/test/
           received: Sun Nov 29 08:45:37 2026
           report deadline: Sun Dec  6 08:45:37 2026
           ready to report: no
           state: downloaded
           scheduler state: scheduled
           active_task_state: EXECUTING
           app version num: 100
           resources: 1 CPU
           estimated CPU time remaining: 900.000000
           elapsed task time: 3.008332
           slot: 0
           PID: 1815
           CPU time at last checkpoint: 10.000000
           current CPU time: 12.500000
           fraction done: 0.100000
           swap size: 0 MB
           working set size: 0 MB
        2) -----------
           name: wu2_0
           WU name: wu2
           project URL: http://127.0.0.1:1/test/
           received: Sun Nov 29 08:45:37 2026
           report deadline: Sun Dec  6 08:45:37 2026
           ready to report: yes
           state: aborted
           scheduler state: uninitialized
           active_task_state: UNINITIALIZED
           app version num: 100
           resources: 1 CPU
           final CPU time: 34.000000
           final elapsed time: 4.009243
           exit_status: 203
           signal: 0
        """;

    [Fact]
    public void Running_and_finished_tasks_are_parsed_into_typed_fields()
    {
        // When
        var tasks = BoincTasks.Parse(TwoTasks);

        // Then
        Assert.Equal(2, tasks.Count);
        var running = tasks[0];
        Assert.Equal(("wu1_0", "wu1", "http://127.0.0.1:1/test/"), (running.Name, running.WorkunitName, running.ProjectUrl));
        Assert.False(running.ReadyToReport);
        Assert.Equal(("downloaded", "scheduled", BoincTask.Executing), (running.State, running.SchedulerState, running.ActiveTaskState));
        Assert.Equal((0, 1815), (running.Slot, running.Pid));
        Assert.Equal((10.0, 12.5, 0.1), (running.CheckpointCpuTime, running.CurrentCpuTime, running.FractionDone));
        Assert.Null(running.ExitStatus);
        Assert.Null(running.FinalCpuTime);
        Assert.Equal("1 CPU", running.Fields["resources"]);

        var aborted = tasks[1];
        Assert.True(aborted.ReadyToReport);
        Assert.Equal(("aborted", 203, 0, 34.0), (aborted.State, aborted.ExitStatus, aborted.Signal, aborted.FinalCpuTime));
        Assert.Null(aborted.Slot);
        Assert.Null(aborted.CurrentCpuTime);
    }

    [Fact]
    public void No_tasks_is_an_empty_list_and_a_malformed_number_is_an_error_naming_the_line()
    {
        Assert.Empty(BoincTasks.Parse("\n======== Tasks ========\n"));
        var broken = TwoTasks.Replace("current CPU time: 12.500000", "current CPU time: twelve");
        var error = Assert.Throws<System.FormatException>(() => BoincTasks.Parse(broken));
        Assert.Contains("current CPU time: twelve", error.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1/test/", "127.0.0.1_1_test")]
    [InlineData("http://localhost/a b/", "localhost_a_b")]
    [InlineData("https://[::1]:8080/x", "___1__8080_x")]
    public void The_project_directory_name_follows_the_clients_escaping(string url, string expected) =>
        Assert.Equal(expected, BoincXml.ProjectDirName(url));

    [Fact]
    public void Client_state_has_every_file_ref_and_boincs_empty_tag_form()
    {
        // Given a job with an app-version file, a copied input and an output
        var job = TestApp.Job("--work 1") with
        {
            AppVersionFiles = [new JobFile("job_1.toml", "job.toml", new FileContent.Text("verbose = 2\n"))],
        };

        // When
        var xml = BoincXml.ClientState(job, receivedTime: 1_700_000_000);

        // Then: the client's parser wants <tag/>, and each file appears once as <file> and once as <file_ref>
        Assert.DoesNotContain(" />", xml);
        Assert.Contains("<copy_file/>", xml);
        Assert.Contains("<main_program/>", xml);
        Assert.Contains("<report_deadline>1700604800</report_deadline>", xml);
        foreach (var name in new[] { "shm_test_app_1.00", "job_1.toml", "in_copy.txt", "in_link.txt", "wu1_0_out" })
        {
            Assert.Equal(2, xml.Split($"<file_name>{name}</file_name>").Length - 1 + xml.Split($"<name>{name}</name>").Length - 1);
        }

        var parsed = System.Xml.Linq.XDocument.Parse(xml);
        Assert.Equal("job.toml", parsed.Descendants("app_version").Single().Elements("file_ref")
            .Single(f => (string?)f.Element("file_name") == "job_1.toml").Element("open_name")?.Value);
    }
}
