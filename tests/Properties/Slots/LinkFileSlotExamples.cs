using System.IO;
using System.Linq;
using Boinc.Persist.Shell.Cli;
using Boinc.Persist.Shell.Jobs;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Slots;

/// <summary>
/// A hostile link file in a real slot directory, read the way check, plan and the run read it
/// (<see cref="JobDirectory.Load"/>): an error naming the slot file and no plan, in both link-file modes.
/// </summary>
public sealed class LinkFileSlotExamples : System.IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("linkslot-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Theory]
    [InlineData("as-written", "../../projects/other_proj/in_1")]
    [InlineData("resolve", "../../projects/other_proj/in_1")]
    [InlineData("as-written", "../../projects/p_test/../../../etc/passwd")]
    [InlineData("resolve", "../../projects/p_test/../../../etc/passwd")]
    [InlineData("as-written", "/etc/passwd")]
    [InlineData("resolve", "/etc/passwd")]
    [InlineData("as-written", "../../projects/p_test/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("resolve", "../../projects/p_test/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("as-written", "../../projects/p_test/&#46;&#46;/x")]
    [InlineData("resolve", "../../projects/p_test/&#46;&#46;/x")]
    public void A_hostile_link_file_is_an_error_naming_it_and_no_plan_is_made(string mode, string target)
    {
        var project = Path.Combine(root, "projects", "p_test");
        var slot = Path.Combine(root, "slots", "0");
        Directory.CreateDirectory(project);
        Directory.CreateDirectory(slot);
        File.WriteAllText(Path.Combine(slot, "init_data.xml"),
            $"<app_init_data><project_dir>{project}</project_dir><wu_name>wu</wu_name><result_name>wu_0</result_name></app_init_data>\n");
        File.WriteAllText(Path.Combine(slot, "job.toml"), $"project_dir_mount = \"/project\"\n[inputs]\nlink_files = \"{mode}\"\n");
        File.WriteAllText(Path.Combine(slot, "Dockerfile"), "FROM busybox\nWORKDIR /app\n");
        File.WriteAllText(Path.Combine(slot, "in"), $"<soft_link>{target}</soft_link>\n");

        var report = JobDirectory.Load(new JobDirectoryOptions(slot, "job.toml", "Dockerfile", Seq<string>.Empty));

        Assert.True(report.HasErrors, string.Join("; ", report.Findings));
        Assert.Contains(report.Findings, d => d.IsError && d.Where.File == "in");
        Assert.True(report.Plan.IsNone);
    }
}
