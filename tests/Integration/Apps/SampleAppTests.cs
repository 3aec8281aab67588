using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using Boinc.Persist.Integration.Engine;
using Boinc.Persist.Integration.Run;
using Xunit;

namespace Boinc.Persist.Integration.Apps;

/// <summary>
/// Existing docker_wrapper apps run unchanged under boinc-persist (issue 16, points 0 and 6): BOINC's own
/// sample app (job.toml with project_dir_mount, a main.sh that turns the link file `in` into a /project path
/// with sed) and a BUDA-style app (no job.toml, <c>CMD ./main.sh ${ARGS}</c>), each laid out as the client
/// lays out a slot, with only <c>FROM debian</c> pointed at a local image. The wrapper is the real binary,
/// started as the client starts it; the engine is Docker, or Podman with BOINC_PERSIST_TEST_ENGINE=podman.
/// </summary>
[Collection(ClientCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SampleAppTests(EngineFixture engine) : IDisposable
{
    /// <summary>A hang guard only (an image build on a loaded 2-core host); no test asserts a duration.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(5);

    private const string Text = "A screaming comes across the sky.\n";

    private readonly TempRoot temp = engine.NewTempRoot();

    private readonly List<AppSlot> slots = new();

    public void Dispose()
    {
        var leaked = AppSlot.RemoveLeftovers(engine, slots);
        temp.Dispose();
        Assert.True(leaked.Count == 0, "the wrapper left containers behind: " + string.Join(", ", leaked));
    }

    private async Task<AppSlot> NewSlot()
    {
        await AppSlot.TagDebianStandIn(engine);
        var slot = AppSlot.Create(temp);
        slots.Add(slot);
        return slot;
    }

    /// <summary>BOINC's sample: job.toml and Dockerfile as app-version link files, main.sh and the worker copied, `in` a link file.</summary>
    private async Task<(AppSlot Slot, string InLink)> DockerWrapperSample(string? mainSh = null)
    {
        var slot = await NewSlot();
        const string app = "docker_wrapper_app";
        slot.Linked("job.toml", "job_v3.toml", AppSlot.Sample(app, "job.toml"));
        slot.Linked("Dockerfile", "Dockerfile_v3", AppSlot.SampleDockerfile(app));
        slot.Copied("main.sh", "main_v3.sh", mainSh ?? AppSlot.Sample(app, "main.sh"), executable: true);
        slot.Copied("worker", "worker_v3", AppSlot.Sample(app, "worker"), executable: true);
        var inLink = slot.Linked("in", "infile_" + slot.WuName, Text);
        return (slot, inLink);
    }

    [Fact]
    public async Task BOINCs_sample_app_parses_its_link_file_and_finishes_with_the_right_output()
    {
        // Given BOINC's sample app, its output `out` a <copy_file/> (the app writes it in WORKDIR)
        var (slot, inLink) = await DockerWrapperSample();

        // When the client starts the wrapper in the slot
        using var wrapper = WrapperProcess.Start(slot.SlotDir);
        var code = await wrapper.WaitForExit(HangGuard);

        // Then it finishes as under docker_wrapper, and the link file is still as the client wrote it
        Assert.True(code == 0, wrapper.StderrTail());
        Assert.Equal("0", File.ReadAllText(slot.SlotFile("boinc_finish_called")).Trim());
        Assert.Equal(Text.ToUpperInvariant(), File.ReadAllText(slot.SlotFile("out")));
        Assert.Equal(inLink, File.ReadAllText(slot.SlotFile("in")));
        Assert.Equal(Text, File.ReadAllText(slot.ProjectFile("infile_" + slot.WuName)));
    }

    [Fact]
    public async Task An_output_named_by_a_link_file_is_written_through_the_resolved_path_and_nothing_else_of_the_project_is_writable()
    {
        // Given the sample app whose output `out` is a link file to the result's output <result>_0 (no <copy_file/>),
        // and a main.sh that resolves it as it resolves `in`, and then tries to write elsewhere in /project
        var mainSh = """
            #!/bin/sh
            link_target() {
                sed -e 's#^[[:space:]]*<soft_link>\.\./\.\./projects/[^/]*/#/project/#' -e 's#</soft_link>.*$##' "$1" | tr -d '\r\n'
            }
            if echo stray > /project/stray 2>/dev/null; then echo written > project_write; else echo refused > project_write; fi
            if echo stray >> "$(link_target in)" 2>/dev/null; then echo written > input_write; else echo refused > input_write; fi
            exec ./worker "$(link_target in)" "$(link_target out)"
            """;
        var (slot, inLink) = await DockerWrapperSample(mainSh.Replace("\r", "", StringComparison.Ordinal));
        var output = slot.ResultName + "_0";
        var outLink = slot.LinkOnly("out", output);

        // When
        using var wrapper = WrapperProcess.Start(slot.SlotDir);
        var code = await wrapper.WaitForExit(HangGuard);

        // Then the project's output file holds the result, the link files are untouched, the rest of /project is read-only
        Assert.True(code == 0, wrapper.StderrTail());
        Assert.Equal("0", File.ReadAllText(slot.SlotFile("boinc_finish_called")).Trim());
        Assert.Equal(Text.ToUpperInvariant(), File.ReadAllText(slot.ProjectFile(output)));
        Assert.Equal(outLink, File.ReadAllText(slot.SlotFile("out")));
        Assert.Equal(inLink, File.ReadAllText(slot.SlotFile("in")));
        Assert.Equal("refused", File.ReadAllText(slot.SlotFile("project_write")).Trim());
        Assert.Equal("refused", File.ReadAllText(slot.SlotFile("input_write")).Trim());
        Assert.False(File.Exists(slot.ProjectFile("stray")));
        Assert.Equal(Text, File.ReadAllText(slot.ProjectFile("infile_" + slot.WuName)));
    }

    [Fact]
    public async Task With_link_files_resolve_the_app_opens_its_input_by_logical_name()
    {
        // Given an app that opens `in` by name, and job.toml choosing link_files = "resolve"
        var slot = await NewSlot();
        slot.Linked("job.toml", "job_r1.toml", "[inputs]\nlink_files = \"resolve\"\n");
        slot.Linked("Dockerfile", "Dockerfile_r1", AppSlot.SampleDockerfile("docker_wrapper_app"));
        slot.Copied("main.sh", "main_r1.sh", "#!/bin/sh\nexec ./worker in out\n", executable: true);
        slot.Copied("worker", "worker_r1", AppSlot.Sample("docker_wrapper_app", "worker"), executable: true);
        var inLink = slot.Linked("in", "infile_" + slot.WuName, Text);

        // When
        using var wrapper = WrapperProcess.Start(slot.SlotDir);
        var code = await wrapper.WaitForExit(HangGuard);

        // Then it read the project file's bytes under the logical name; on the host the link file is as written
        Assert.True(code == 0, wrapper.StderrTail());
        Assert.Equal("0", File.ReadAllText(slot.SlotFile("boinc_finish_called")).Trim());
        Assert.Equal(Text.ToUpperInvariant(), File.ReadAllText(slot.SlotFile("out")));
        Assert.Equal(inLink, File.ReadAllText(slot.SlotFile("in")));
    }

    [Fact]
    public async Task A_BUDA_style_app_without_job_toml_gets_its_command_line_as_ARGS_and_finishes()
    {
        // Given a BUDA-style app: no job.toml, every file a <copy_file/>, the client's command line for the app
        var slot = await NewSlot();
        slot.Linked("Dockerfile", "Dockerfile_b2", AppSlot.SampleDockerfile("buda_app"));
        slot.Copied("main.sh", "main_b2.sh", AppSlot.Sample("buda_app", "main.sh"), executable: true);
        slot.Copied("worker", "worker_b2", AppSlot.Sample("docker_wrapper_app", "worker"), executable: true);
        slot.Copied("in", "in_" + slot.WuName, Text);

        // When the client starts the wrapper with the app's arguments
        using var wrapper = WrapperProcess.Start(slot.SlotDir, "--nsecs", "1");
        var code = await wrapper.WaitForExit(HangGuard);

        // Then
        Assert.True(code == 0, wrapper.StderrTail());
        Assert.Equal("0", File.ReadAllText(slot.SlotFile("boinc_finish_called")).Trim());
        Assert.Equal(Text.ToUpperInvariant(), File.ReadAllText(slot.SlotFile("out")));
    }
}
