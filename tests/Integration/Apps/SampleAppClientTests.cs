using System;
using System.IO;
using System.Threading.Tasks;
using Boinc.Persist.Integration.BoincClient;
using Boinc.Persist.Integration.Engine;
using Xunit;

namespace Boinc.Persist.Integration.Apps;

/// <summary>
/// BOINC's sample docker_wrapper app run by the REAL client (7.20.5) with boinc-persist as the app version's main
/// program: the client writes the slot (job.toml, Dockerfile and the input `in` as link files; main.sh and the
/// worker as executable copies; the output `out` a &lt;copy_file/&gt; it moves into the project directory after the
/// finish), main.sh resolves `in` with sed to /project, and the result is uploaded (sticky) with the right bytes.
/// </summary>
[Collection(ClientCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SampleAppClientTests(EngineFixture engine) : IClassFixture<BoincInstallation>
{
    private const string Text = "A screaming comes across the sky.\n";

    /// <summary>A hang guard only (an image build on a loaded 2-core host); nothing asserts a duration.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task BOINCs_sample_app_finishes_under_the_real_client_with_the_right_output()
    {
        // Given the sample app as an app version, one workunit with the input `in`, the output `out`
        await AppSlot.TagDebianStandIn(engine);
        const string app = "docker_wrapper_app";
        var wu = "wu" + Guid.NewGuid().ToString("N")[..8];
        var job = WrapperJobs.ForBoincPersist(
            AppSlot.Sample(app, "job.toml"),
            AppSlot.SampleDockerfile(app),
            new[]
            {
                new JobFile("main_2.sh", "main.sh", new FileContent.Text(AppSlot.Sample(app, "main.sh")), Copy: true, Executable: true),
                new JobFile("worker_2", "worker", new FileContent.Text(AppSlot.Sample(app, "worker")), Copy: true, Executable: true),
            },
            new[] { new JobFile("infile_" + wu, "in", new FileContent.Text(Text)) }) with
        {
            WorkunitName = wu,
            ResultName = wu + "_0",
            Output = new OutputFile(wu + "_0_0", "out", 1_000_000, Copy: true),
        };
        await using var scenario = BoincScenario.Create(job, WrapperJobs.OptionsFor(engine.Endpoint), engine.RunId);

        // When the client runs it
        await scenario.Client.Start();
        var done = await scenario.WaitForTask(t => t.ReadyToReport, "result ready to report", HangGuard);

        // Then it finished (exit 0, boinc_finish_called 0: no compute error) and the output holds the worker's result
        Assert.True(done.ExitStatus == 0, $"exit status {done.ExitStatus}; client log:\n{Tail(Path.Combine(scenario.Root, "client.log"))}");
        Assert.Equal(Text.ToUpperInvariant(), await File.ReadAllTextAsync(scenario.Data.OutputFile!));
    }

    private static string Tail(string path) =>
        File.Exists(path) ? File.ReadAllText(path) is var t && t.Length > 6000 ? t[^6000..] : File.ReadAllText(path) : "(no log)";
}
