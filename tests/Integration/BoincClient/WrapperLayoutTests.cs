using System.IO;
using System.Threading.Tasks;
using Boinc.Persist.Integration.Engine;
using Xunit;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// The wrapper's job layout in a REAL client's slot: job.toml and the Dockerfile as app-version link files, the
/// workload as a project file, init_data.xml written by the client. Until the run mode exists, a stand-in main
/// program runs <c>boinc-persist check</c> and <c>plan</c> in the slot, which proves what the run mode will read.
/// </summary>
[Collection(ClientCollection.Name)]
public sealed class WrapperLayoutTests(EngineFixture engine) : IClassFixture<BoincInstallation>
{
    private const string JobToml = """
        project_dir_mount = "/project"

        [checkpoint]
        files = ["state.txt"]
        """;

    [Fact]
    public async Task Boinc_persist_resolves_a_real_client_slot_with_job_toml_and_Dockerfile_as_app_version_files()
    {
        // Given a boinc-persist job whose main program, for now, only checks and plans the slot it runs in
        var job = WrapperJobs.ForBoincPersist(
            JobToml,
            $"FROM {engine.BaseImage}\nWORKDIR /app\nCMD [\"/bin/sh\", \"/project/count.sh\"]\n",
            appFiles: [new JobFile("count.sh", "count.sh", new FileContent.Text("echo counting\n"))],
            inputs: [new JobFile("in_1.txt", "in", new FileContent.Text("linked input\n"))],
            commandLine: "--steps 3");
        var probe = $"""
            #!/bin/sh
            bp={MainProgram.ShellQuote(WrapperJobs.BoincPersistExecutable)}
            out=$(dirname "$BOINC_HARNESS_EVENTS")
            "$bp" check "$PWD" >"$out/check.txt" 2>&1; check=$?
            "$bp" plan "$PWD" -- "$@" >"$out/plan.txt" 2>&1; plan=$?
            printf '%s %s CHECKED check=%s plan=%s\n' "$(date +%s.%N)" $$ $check $plan >>"$BOINC_HARNESS_EVENTS"
            # the result's output file is required (not <optional/>): write it through its link file
            echo probed >"$(sed -n 's:.*<soft_link>\(.*\)</soft_link>.*:\1:p' output)"
            echo 0 >boinc_finish_called
            exit 0

            """;
        await using var scenario = BoincScenario.Create(
            job with { MainProgram = new MainProgram("probe_1.00", new FileContent.Text(probe)) }, runId: engine.RunId);

        // When the client runs it
        await scenario.Client.Start();
        var checkedEvent = await scenario.WaitForEvent("CHECKED");
        var done = await scenario.WaitForTask(t => t.ReadyToReport, "result ready to report");

        // Then check and plan accept the slot the client made, and the plan names what the run mode will use
        var check = await File.ReadAllTextAsync(Path.Combine(scenario.Root, "check.txt"));
        var plan = await File.ReadAllTextAsync(Path.Combine(scenario.Root, "plan.txt"));
        Assert.True(checkedEvent.Value("check") == "0", check);
        Assert.True(checkedEvent.Value("plan") == "0", plan);
        Assert.Contains("0 error(s)", check);
        Assert.Contains("Container boinc__127.0.0.1_1_test__wu1_0", plan);
        Assert.Contains($"{scenario.Data.SlotDir(0)} -> /app (rw)", plan);
        Assert.Contains($"{scenario.Data.ProjectDir} -> /project (ro)", plan);
        Assert.Contains("in -> /project/in_1.txt", plan);
        Assert.Contains("ARGS=--steps 3", plan);
        Assert.Equal(("uploaded", 0), (done.State, done.ExitStatus));
        Assert.Equal("probed\n", await File.ReadAllTextAsync(scenario.Data.OutputFile!));
        Assert.Single(scenario.Events(), e => e.Kind == "CHECKED"); // ran once: no premature-exit restart
    }
}
