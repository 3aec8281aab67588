using Boinc.Persist.Core.Diagnostics;
using System;
using System.IO;
using Boinc.Persist.Shell;
using Xunit;

namespace Boinc.Persist.Properties.DiskBudget;

/// <summary>
/// <c>check</c> and <c>plan</c> on a slot whose checkpoint files exist (a slot after a first run, or a sample
/// slot): a warning when the checkpoint cannot be in the slot twice beside the job's files within rsc_disk_bound,
/// none when it can, none when the workunit sets no bound.
/// </summary>
public sealed class CheckDiskFitTests : IDisposable
{
    private const int MiB = 1 << 20;
    private readonly string root = Directory.CreateTempSubdirectory("bp-diskfit-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Slot(double bound)
    {
        var project = Path.Combine(root, "projects", "p_test");
        var slot = Path.Combine(root, "slots", bound.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(project);
        Directory.CreateDirectory(slot);
        File.WriteAllText(Path.Combine(slot, "init_data.xml"),
            $"<app_init_data><project_dir>{project}</project_dir><wu_name>wu</wu_name><result_name>wu_0</result_name>" +
            $"<rsc_disk_bound>{bound.ToString(System.Globalization.CultureInfo.InvariantCulture)}</rsc_disk_bound></app_init_data>\n");
        File.WriteAllText(Path.Combine(slot, "job.toml"), "[checkpoint]\nfiles = [\"ckpt.bin\"]\n");
        File.WriteAllText(Path.Combine(slot, "Dockerfile"), "FROM busybox\nWORKDIR /app\nCMD [\"/bin/true\"]\n");
        File.WriteAllBytes(Path.Combine(slot, "ckpt.bin"), new byte[MiB]);
        return slot;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = Program.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Theory]
    [InlineData("check")]
    [InlineData("plan")]
    public void A_checkpoint_that_cannot_fit_twice_under_rsc_disk_bound_is_warned_about(string command)
    {
        // Given a slot with a 1 MiB checkpoint and a 2.5 MiB bound (the file plus two generations is 3 MiB)
        var slot = Slot(2.5 * MiB);

        // When it is checked
        var (_, output, error) = Run(command, slot);

        // Then the warning names job.toml's checkpoint files, the bound and what the wrapper will do
        var text = output + error;
        Assert.Contains(DiagnosticCodes.DiskCheckpointsDoNotFit.Id, text);
        Assert.Contains("rsc_disk_bound is 2.50 MB", text);
        Assert.Contains("keep one generation and skip commits", text);
    }

    [Theory]
    [InlineData(8.0 * MiB)]
    [InlineData(0)]
    public void A_checkpoint_that_fits_twice_or_no_bound_gives_no_warning(double bound)
    {
        var (_, output, error) = Run("check", Slot(bound));
        Assert.DoesNotContain("BP-DISK", output + error);
    }

    [Fact]
    public void Output_files_in_the_project_directory_count_as_the_client_counts_them()
    {
        // Given a slot whose 1 MiB checkpoint fits twice under a 3.5 MiB bound
        var slot = Slot(3.5 * MiB);
        Assert.DoesNotContain("BP-DISK", string.Concat(Run("check", slot).Out, Run("check", slot).Err));

        // When the job has written 1 MiB of output through its output link file into the project directory
        File.WriteAllText(Path.Combine(slot, "out"), "<soft_link>../../projects/p_test/wu_0_0</soft_link>\n");
        File.WriteAllBytes(Path.Combine(root, "projects", "p_test", "wu_0_0"), new byte[MiB]);

        // Then the checkpoint no longer fits twice: the client adds the result's output files to the slot's size
        var (_, output, error) = Run("check", slot);
        Assert.Contains(DiagnosticCodes.DiskCheckpointsDoNotFit.Id, output + error);
    }

    [Fact]
    public void An_output_file_is_sized_without_following_a_symlink_or_leaving_the_project_directory()
    {
        var project = Directory.CreateDirectory(Path.Combine(root, "proj")).FullName;
        File.WriteAllBytes(Path.Combine(project, "r_0_0"), new byte[1000]);
        File.WriteAllBytes(Path.Combine(root, "outside"), new byte[5000]);
        File.CreateSymbolicLink(Path.Combine(project, "r_0_1"), Path.Combine(root, "outside"));

        var names = LanguageExt.Seq.create("r_0_0", "r_0_1", "r_0_2");
        var (bytes, problem) = Boinc.Persist.Shell.Checkpoints.OutputUsageMeter.Measure(project, names);
        Assert.Equal(1000, bytes);
        Assert.True(problem.IsNone);

        var (escaped, why) = Boinc.Persist.Shell.Checkpoints.OutputUsageMeter.Measure(project, LanguageExt.Seq.create("../outside"));
        Assert.Equal(0, escaped);
        Assert.True(why.IsSome);
    }
}
