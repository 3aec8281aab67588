using Boinc.Persist.Properties.Diagnostics;
using Boinc.Persist.Core.Diagnostics;
using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Boinc.Persist.Shell;
using Xunit;

namespace Boinc.Persist.Properties.Cli;

/// <summary>
/// <c>check</c> and <c>plan</c> on real directories: BOINC's own sample job directory
/// (<c>samples/docker_wrapper/test/</c>: a one-line job.toml and a three-line Dockerfile), a slot laid out
/// like the client does it, and bad inputs. No engine is involved.
/// </summary>
public sealed class CheckAndPlanTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bp-cli-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Dir(string name, params (string File, string Text)[] files)
    {
        var d = Path.Combine(root, name);
        Directory.CreateDirectory(d);
        foreach (var (f, t) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(d, f))!);
            File.WriteAllText(Path.Combine(d, f), t);
        }

        return d;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = Program.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private const string SampleJob = "project_dir_mount = \"/project\"\n";
    private const string SampleDockerfile = "FROM debian\nWORKDIR /app\nCMD ./main.sh\n";

    [Fact]
    public void BOINC_sample_job_directory_passes_check()
    {
        // Given BOINC's sample job directory
        var d = Dir("sample", ("job.toml", SampleJob), ("Dockerfile", SampleDockerfile), ("main.sh", "#!/bin/sh\n"));

        // When it is checked
        var (code, output, _) = Run("check", d);

        // Then there is no error
        Assert.Equal(0, code);
        Assert.Contains("0 error(s)", output);
    }

    [Fact]
    public void BOINC_sample_plans_slot_at_app_and_project_read_only()
    {
        var d = Dir("sample", ("job.toml", SampleJob), ("Dockerfile", SampleDockerfile), ("main.sh", "#!/bin/sh\n"));

        var (code, output, _) = Run("plan", d, "--json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var c = json.RootElement.GetProperty("plan").GetProperty("container");
        Assert.Equal("/app", c.GetProperty("workdir").GetString());
        Assert.Equal("none", c.GetProperty("network").GetString());
        Assert.True(c.GetProperty("readOnlyRootfs").GetBoolean());
        var all = c.GetProperty("mounts").EnumerateArray().ToList();
        // job.toml and the Dockerfile are the wrapper's own files: each read-only over itself (issue 14).
        var guarded = all.Where(m => m.GetProperty("role").GetString() == "protected").ToList();
        Assert.Equal(new[] { "/app/Dockerfile", "/app/job.toml" }, guarded.Select(m => m.GetProperty("target").GetString()).Order(StringComparer.Ordinal));
        Assert.All(guarded, m => Assert.True(m.GetProperty("readOnly").GetBoolean()));
        var mounts = all.Except(guarded).ToList();
        Assert.Equal(2, mounts.Count);
        Assert.Contains(mounts, m => m.GetProperty("target").GetString() == "/app" && m.GetProperty("source").GetString() == d && !m.GetProperty("readOnly").GetBoolean());
        Assert.Contains(mounts, m => m.GetProperty("target").GetString() == "/project" && m.GetProperty("readOnly").GetBoolean());
        Assert.Contains(c.GetProperty("tmpfs").EnumerateArray(), t => t.GetProperty("target").GetString() == "/tmp");
        var tag = json.RootElement.GetProperty("plan").GetProperty("image").GetProperty("tag").GetString()!;
        Assert.StartsWith("boinc-persist/job:", tag);
    }

    [Fact]
    public void A_Dockerfile_with_COPY_fails_with_its_line_number()
    {
        var d = Dir("copy", ("Dockerfile", "FROM debian\nWORKDIR /app\nCOPY in /app\nCMD ./worker in out\n"));

        var (code, output, _) = Run("check", d);

        Assert.Equal(1, code);
        Assert.Contains("Dockerfile:3", output);
        Assert.Contains(DiagnosticCodes.DockerfileCopyFromContext.Id, output);
    }

    [Fact]
    public void A_slot_laid_out_by_the_client_resolves_links_into_the_project_mount()
    {
        // Given a BOINC data directory: projects/<dir>/ holds the physical files, slots/0 link files and a copy
        var project = Dir(Path.Combine("data", "projects", "example.org_proj"),
            ("job_1.toml", SampleJob), ("Dockerfile_1", SampleDockerfile), ("in_1.dat", "input"));
        var slot = Dir(Path.Combine("data", "slots", "0"),
            ("init_data.xml", InitData(project)),
            ("job.toml", "<soft_link>../../projects/example.org_proj/job_1.toml</soft_link>\n"),
            ("Dockerfile", "<soft_link>../../projects/example.org_proj/Dockerfile_1</soft_link>\n"),
            ("in", "<soft_link>../../projects/example.org_proj/in_1.dat</soft_link>\n"),
            ("infile", "copied input"));

        var (code, output, err) = Run("plan", slot, "--json");

        Assert.True(code == 0, output + err);
        using var json = JsonDocument.Parse(output);
        var plan = json.RootElement.GetProperty("plan");
        Assert.Equal("boinc__example.org_proj__wu1_0", plan.GetProperty("container").GetProperty("name").GetString());
        Assert.Equal(2_000_000_000L, plan.GetProperty("container").GetProperty("nanoCpus").GetInt64());
        Assert.Equal(536_870_912L, plan.GetProperty("container").GetProperty("memoryBytes").GetInt64());
        var inputs = plan.GetProperty("inputs").EnumerateArray().ToDictionary(
            i => i.GetProperty("name").GetString()!, i => i.GetProperty("containerPath").GetString()!);
        Assert.Equal("/project/in_1.dat", inputs["in"]);
        Assert.Equal("/app/infile", inputs["infile"]);
        Assert.False(inputs.ContainsKey("job.toml"));
    }

    [Fact]
    public void A_link_escaping_the_project_directory_is_an_error_naming_the_slot_file()
    {
        var project = Dir(Path.Combine("data", "projects", "p"), ("Dockerfile_1", SampleDockerfile));
        var slot = Dir(Path.Combine("data", "slots", "1"),
            ("init_data.xml", InitData(project)),
            ("job.toml", SampleJob),
            ("Dockerfile", "<soft_link>../../projects/p/Dockerfile_1</soft_link>\n"),
            ("evil", "<soft_link>../../projects/p/../../../etc/passwd</soft_link>\n"));

        var (code, output, _) = Run("check", slot);

        Assert.Equal(1, code);
        Assert.Contains("evil", output);
    }

    [Theory]
    [InlineData("workdir = 3\n", "job.toml:1 [workdir]", nameof(DiagnosticCodes.ConfigWrongType))]
    [InlineData("\n\nverbose = \"yes\"\n", "job.toml:3 [verbose]", nameof(DiagnosticCodes.ConfigWrongType))]
    [InlineData("workdir = \"/app\"\nworkdir = \"/x\"\n", "job.toml:2", nameof(DiagnosticCodes.ConfigSyntax))]
    [InlineData("create_args = \"--privileged\"\n", "job.toml:1 [create_args]", "--privileged is refused")]
    [InlineData("create_args = \"-v /:/host\"\n", "job.toml:1 [create_args]", "use the mount key")]
    [InlineData("create_args = \"-e X=$(id)\"\n", "job.toml:1 [create_args]", "shell")]
    [InlineData("mount = [\"../../etc:/etc2\"]\n", "job.toml:1 [mount[0]]", "leaves the slot")]
    [InlineData("mount = [\"data:/\"]\n", "[mount[0]]", nameof(DiagnosticCodes.PlanMountHidesSlot))]
    [InlineData("mount = [\"/etc:/hostetc\"]\n", "[mount[0]]", "allow_host_mounts")]
    [InlineData("workdir = \"/work\"\n", "job.toml:1 [workdir]", "differs from the Dockerfile's WORKDIR /app (Dockerfile:2)")]
    [InlineData("portmap = [\"8080:80\"]\n", "[portmap]", "needs a network")]
    [InlineData("[confinement]\ncap_add = [\"ALL\"]\n", "job.toml:2 [confinement.cap_add[0]]", "refused")]
    [InlineData("[checkpoint]\nfiles = [\"../state\"]\n", "job.toml:2 [checkpoint.files[0]]", "inside")]
    [InlineData("[checkpoint]\nkeep = 1\n", "job.toml:2 [checkpoint.keep]", "at least 2")]
    [InlineData("image_name = \"Bad Name\"\n", "job.toml:1 [image_name]", "not a valid image name")]
    public void Bad_job_toml_is_an_error_naming_file_line_and_key(string jobToml, string where, string what)
    {
        var d = Dir("bad", ("job.toml", jobToml), ("Dockerfile", SampleDockerfile));

        var (code, output, _) = Run("check", d);

        Assert.True(code == 1, output);
        var expected = TestCodes.IdOrText(what);
        Assert.Contains(output.Split('\n'), l => l.Contains(where) && l.Contains(expected) && l.Contains("error"));
    }

    [Fact]
    public void Unknown_keys_are_warnings_with_a_suggestion()
    {
        var d = Dir("typo", ("job.toml", "project_dir_mnt = \"/project\"\n"), ("Dockerfile", SampleDockerfile));

        var (code, output, _) = Run("check", d);

        Assert.Equal(0, code);
        Assert.Contains($"job.toml:1 [project_dir_mnt]: warning {DiagnosticCodes.ConfigKeyIgnored}: unknown key project_dir_mnt is ignored; did you mean project_dir_mount?", output);
    }

    [Fact]
    public void A_missing_Dockerfile_and_a_missing_directory_are_errors()
    {
        var d = Dir("empty");
        Assert.Equal(1, Run("check", d).Code);
        Assert.Contains("Dockerfile is missing", Run("check", d).Out);
        Assert.Equal(1, Run("check", Path.Combine(root, "nope")).Code);
    }

    [Fact]
    public void Malformed_init_data_is_an_error_naming_the_file()
    {
        var d = Dir("slot", ("init_data.xml", "<app_init_data><project_dir>/x</project_dir>"), ("Dockerfile", SampleDockerfile));

        var (code, output, _) = Run("check", d);

        Assert.Equal(1, code);
        Assert.Contains("init_data.xml", output);
    }

    [Fact]
    public void Bad_command_lines_exit_2()
    {
        Assert.Equal(2, Run("check", "--bogus").Code);
        Assert.Equal(2, Run("plan", "a", "b").Code);
        Assert.Equal(2, Run("check", "--config", "../job.toml").Code);
        Assert.Equal(0, Run("--version").Code);
    }

    private static string InitData(string projectDir) => $"""
        <app_init_data>
        <major_version>7</major_version>
        <minor_version>20</minor_version>
        <release>5</release>
        <app_version>100</app_version>
        <app_name>testapp</app_name>
        <project_dir>{projectDir}</project_dir>
        <boinc_dir>{Path.GetDirectoryName(Path.GetDirectoryName(projectDir))}</boinc_dir>
        <wu_name>wu1</wu_name>
        <result_name>wu1_0</result_name>
        <slot>0</slot>
        <client_pid>4242</client_pid>
        <wu_cpu_time>0.000000</wu_cpu_time>
        <ncpus>2.000000</ncpus>
        <rsc_memory_bound>536870912.000000</rsc_memory_bound>
        <rsc_disk_bound>1000000000.000000</rsc_disk_bound>
        <checkpoint_period>60.000000</checkpoint_period>
        <fraction_done_start>0.000000</fraction_done_start>
        <fraction_done_end>1.000000</fraction_done_end>
        <shm_key>-1</shm_key>
        </app_init_data>
        """;
}
