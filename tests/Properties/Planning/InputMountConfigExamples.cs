using Boinc.Persist.Core.Config;
using Xunit;

namespace Boinc.Persist.Properties.Planning;

/// <summary>job.toml's [inputs] link_files: the default is BOINC's contract, the other mode is said explicitly.</summary>
public class InputMountConfigExamples
{
    private static JobConfig Read(string text) =>
        JobConfigReader.Parse("job.toml", text).Value.Map(f => f.Config).IfNone(() => throw new System.InvalidOperationException(text));

    [Fact]
    public void Link_files_stay_as_written_unless_job_toml_asks_to_resolve_them()
    {
        Assert.Equal(LinkFileMode.AsWritten, JobConfig.Default.Inputs.LinkFiles);
        Assert.Equal(LinkFileMode.AsWritten, Read("project_dir_mount = \"/project\"\n").Inputs.LinkFiles);
        Assert.Equal(LinkFileMode.AsWritten, Read("[inputs]\nlink_files = \"as-written\"\n").Inputs.LinkFiles);
        Assert.Equal(LinkFileMode.Resolve, Read("[inputs]\nlink_files = \"resolve\"\n").Inputs.LinkFiles);
        Assert.Equal("[inputs]\nlink_files = \"resolve\"\n",
            JobConfigWriter.Print(JobConfig.Default with { Inputs = new InputsConfig(LinkFileMode.Resolve) }).TrimStart('\n'));
    }

    [Theory]
    [InlineData("[inputs]\nlink_files = \"copy\"\n", "inputs.link_files", 2)]
    [InlineData("[inputs]\nlink_files = true\n", "inputs.link_files", 2)]
    public void A_bad_mode_is_an_error_naming_file_line_and_key(string text, string key, int line)
    {
        var r = JobConfigReader.Parse("job.toml", text);
        var e = Assert.Single(r.Errors);
        Assert.Equal("job.toml", e.Where.File);
        Assert.Equal(key, e.Where.Key.IfNone(""));
        Assert.Equal(line, e.Where.Line.IfNone(0));
    }

    [Fact]
    public void An_unknown_key_in_inputs_is_a_warning_naming_it()
    {
        var r = JobConfigReader.Parse("job.toml", "[inputs]\nlinkfiles = \"resolve\"\n");
        Assert.True(r.IsOk);
        Assert.Contains(r.Findings, d => d.Message.Contains("linkfiles") || d.Where.Key.Exists(k => k.Contains("linkfiles")));
    }
}
