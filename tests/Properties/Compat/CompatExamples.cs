using System;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Compat;
using Boinc.Persist.Core.Config;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Compat;

public class CompatExamples
{
    private static string Repo() => RepoRoot.Path;

    private static CompatReport Analyze(string? jobToml, string dockerfile) =>
        Boinc.Persist.Core.Compat.Compat.Analyze(new CompatInput(
            "job.toml", jobToml is null ? Option<string>.None : Option<string>.Some(jobToml), "Dockerfile", Option<string>.Some(dockerfile)));

    private static string Sample(string app, string file) => File.ReadAllText(Path.Combine(Repo(), "samples", app, file));

    [Fact]
    public void BOINCs_sample_app_runs_as_it_is_and_the_report_names_every_default_that_differs()
    {
        var r = Analyze(Sample("docker_wrapper_app", "job.toml"), Sample("docker_wrapper_app", "Dockerfile"));

        Assert.False(r.Blocks);
        Assert.Equal(LinkFileMode.AsWritten, r.LinkFiles);
        Assert.Equal(
            new[] { "network", "project directory", "root file system", "/tmp", "user", "privileges", "memory", "processes", "cpus", "quit", "checkpoint reports", "crash and restart", "image" },
            r.Items.Map(i => i.Topic).ToArray());
        string Restores(string topic) => string.Join(" | ", r.Items.Find(i => i.Topic == topic)
            .Map(i => i.Restore is Restore.Settings s ? Boinc.Persist.Core.Compat.Compat.Display(s.Lines).ToArray() : Array.Empty<string>()).IfNone(Array.Empty<string>()));
        Assert.Equal("[confinement] network = \"bridge\"", Restores("network"));
        Assert.Equal("[confinement] project_dir_writable = true", Restores("project directory"));
        Assert.Equal("[confinement] read_only_rootfs = false", Restores("root file system"));
        Assert.Equal("[confinement] user = \"image\"", Restores("user"));
        Assert.Equal("[lifecycle] quit_policy = \"pause\"", Restores("quit"));
        Assert.Contains("restarts it from the beginning", r.Items.Find(i => i.Topic == "quit").Map(i => i.BoincPersist).IfNone(""));
        Assert.True(r.Items.Find(i => i.Topic == "memory").Exists(i => i.Restore is Restore.Closest));
        Assert.True(r.Items.Find(i => i.Topic == "image").Exists(i => i.Restore is Restore.Cannot));
        Assert.Contains("project_dir_mount = \"/project\"", r.Suggested.IfNone(""));
    }

    [Fact]
    public void A_BUDA_style_app_without_job_toml_has_no_project_directory_item_and_gets_a_job_toml()
    {
        var r = Analyze(null, Sample("buda_app", "Dockerfile"));

        Assert.False(r.Blocks);
        Assert.False(r.HasJobFile);
        Assert.DoesNotContain(r.Items, i => i.Topic == "project directory");
        Assert.Contains(r.Items, i => i.Topic == "network");
        var suggested = r.Suggested.IfNone("");
        Assert.Contains("[confinement]", suggested);
        Assert.True(JobConfigReader.Parse("job.toml", suggested).Errors.IsEmpty, suggested);
    }

    [Fact]
    public void Link_files_resolve_is_a_difference_with_the_line_that_restores_BOINCs_contract()
    {
        var r = Analyze("project_dir_mount = \"/project\"\n[inputs]\nlink_files = \"resolve\"\n", "FROM debian\nWORKDIR /app\n");

        Assert.Equal(LinkFileMode.Resolve, r.LinkFiles);
        var item = Assert.Single(r.Items, i => i.Topic == "link files");
        Assert.Equal(CompatKind.Differs, item.Kind);
        Assert.Equal(3, item.Where.Bind(w => w.Line).IfNone(0));
        var restore = Assert.IsType<Restore.Settings>(item.Restore);
        Assert.Equal("[inputs] link_files = \"as-written\"", Assert.Single(restore.Lines).Text);
    }

    [Theory]
    [InlineData("--network host", "[confinement] network = \"host\"")]
    [InlineData("-v /data:/data", "mount = [..., \"/data:/data\"]|[confinement] allow_host_mounts = true")]
    [InlineData("-p 8080:80", "portmap = [..., \"0.0.0.0:8080:80\"]|[confinement] network = \"bridge\"")]
    [InlineData("--cap-add SYS_PTRACE", "[confinement] cap_add = [..., \"SYS_PTRACE\"]")]
    [InlineData("-u 1000:1000", "[confinement] user = \"1000:1000\"")]
    [InlineData("-w /work", "workdir = \"/work\"|[confinement] allow_workdir_mismatch = true")]
    public void A_refused_create_option_blocks_and_names_its_job_toml_equivalent(string option, string lines)
    {
        var r = Analyze($"create_args = \"-e A=1 {option}\"\n", "FROM debian\nWORKDIR /app\n");

        var item = Assert.Single(r.Items, i => i.Topic == "create_args");
        Assert.Equal(CompatKind.Blocks, item.Kind);
        Assert.Equal(1, item.Where.Bind(w => w.Line).IfNone(0));
        Assert.Equal(lines, string.Join("|", Boinc.Persist.Core.Compat.Compat.Display(Assert.IsType<Restore.Settings>(item.Restore).Lines)));
        Assert.Contains("create_args = \"-e A=1\"", r.Suggested.IfNone(""));
    }

    [Theory]
    [InlineData("--privileged")]
    [InlineData("--cap-add ALL")]
    [InlineData("-v named:/cache")]
    [InlineData("--device /dev/fuse")]
    public void A_refused_create_option_with_no_equivalent_says_why(string option)
    {
        var r = Analyze($"create_args = \"{option}\"\n", "FROM debian\n");

        var item = Assert.Single(r.Items, i => i.Topic == "create_args");
        Assert.Equal(CompatKind.Blocks, item.Kind);
        Assert.NotEmpty(Assert.IsType<Restore.Cannot>(item.Restore).Why);
        Assert.DoesNotContain("create_args", r.Suggested.IfNone(""));
    }

    [Fact]
    public void COPY_and_ADD_block_at_their_lines_and_the_rest_of_the_Dockerfile_is_still_read()
    {
        var r = Analyze(null, "FROM debian\nWORKDIR /work\nCOPY a.sh \\\n  /work/\nADD b.tar /b\nUSER app\n");

        Assert.Equal(new[] { 3, 5 }, r.Items.Filter(i => i.Topic == "build context").Map(i => i.Where.Bind(w => w.Line).IfNone(0)).ToArray());
        Assert.Contains(r.Items, i => i.Topic == "workdir" && i.BoincPersist.Contains("/work"));
        Assert.Contains(r.Items, i => i.Topic == "user" && i.DockerWrapper.Contains("USER app"));
    }

    [Fact]
    public void The_CLI_prints_the_sample_apps_report_and_exits_0_when_nothing_blocks()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Boinc.Persist.Shell.Program.Run(new[] { "check", "--compat", Path.Combine(Repo(), "samples", "docker_wrapper_app") }, stdout, stderr);

        Assert.True(code == 0, stdout + "\n" + stderr);
        var text = stdout.ToString();
        Assert.Contains("link files: as-written", text);
        Assert.Contains("restore:        [confinement] network = \"bridge\"", text);
        Assert.Contains("quit_policy = \"pause\"", text);

        var dir = Directory.CreateTempSubdirectory("compat-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Dockerfile"), "FROM debian\nCOPY main.sh /app/\n");
            var json = new StringWriter();
            var blocked = Boinc.Persist.Shell.Program.Run(new[] { "check", "--compat", dir, "--json" }, json, new StringWriter());
            Assert.Equal(1, blocked);
            Assert.Contains("\"blocks\": true", json.ToString());
            Assert.Contains("\"topic\": \"build context\"", json.ToString());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
