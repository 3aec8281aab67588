using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Slots;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Planning;

public class InputMountExamples
{
    private static readonly SlotContext Context = new(
        "/var/lib/boinc-client/projects/example.org_proj", "example.org_proj", Option<string>.None, "app", "wu1", "wu1_0", 3,
        Option<int>.None, Option<int>.Some(-1), 1, 0, 0, 0, 0, 0, 60, 0, 1, Option<GpuAssignment>.None, HostInfo.Empty,
        Option<ProxyInfo>.None);

    private static SlotEntry LinkFile(string name, string target) =>
        new(name, new SlotEntryKind.RegularFile($"<soft_link>{target}</soft_link>\n"));

    [Fact]
    public void Link_files_copies_symlinks_and_boinc_files_are_told_apart()
    {
        var listing = new SlotListing(new[]
        {
            LinkFile("in.txt", "../../projects/example.org_proj/in_v2.txt"),
            LinkFile("job.toml", "../../projects/example.org_proj/job_1.toml"),
            new SlotEntry("copy.txt", new SlotEntryKind.RegularFile("plain data")),
            new SlotEntry("sym.dat", new SlotEntryKind.Symlink("../../projects/example.org_proj/sym_v1.dat")),
            new SlotEntry("init_data.xml", new SlotEntryKind.RegularFile("<app_init_data/>")),
            new SlotEntry("boinc_mmap_file", new SlotEntryKind.RegularFile("\0\0")),
        }.ToSeq());

        var links = InputMounts.Links(listing, Context, WrapperFiles.Default);

        Assert.True(links.Findings.IsEmpty);
        Assert.Equal(
            new[] { new SlotLink("in.txt", "in_v2.txt", LinkStyle.LinkFile), new SlotLink("sym.dat", "sym_v1.dat", LinkStyle.Symlink) },
            links.Value.IfNone(Seq<SlotLink>.Empty).ToArray());
    }

    [Theory]
    [InlineData("../../projects/other_proj/x")]
    [InlineData("../../projects/example.org_proj/../../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("../../projects/example.org_proj/%2e%2e/x")]
    [InlineData("../../projects/example.org_proj/a%2Fb")]
    [InlineData("../../projects/example.org_proj/&#46;&#46;/x")]
    [InlineData("/var/lib/boinc-client/projects/example.org_proj/../x")]
    [InlineData("../../projects/example.org_proj")]
    public void A_hostile_link_is_an_error_naming_the_slot_entry(string target)
    {
        var links = InputMounts.Links(new SlotListing(new[] { LinkFile("in.txt", target) }.ToSeq()), Context, WrapperFiles.Default);

        var error = Assert.Single(links.Findings);
        Assert.Equal("in.txt", error.Where.File);
        Assert.True(links.Value.IfNone(Seq<SlotLink>.Empty).IsEmpty);
    }

    private static readonly Seq<SlotLink> InOutNew = new[]
    {
        new SlotLink("in.txt", "in_v2.txt", LinkStyle.LinkFile),
        new SlotLink("out.txt", "wu1_0_0", LinkStyle.LinkFile),
        new SlotLink("new.txt", "fresh.txt", LinkStyle.LinkFile),
    }.ToSeq();

    private static readonly LanguageExt.HashSet<string> InAndOutExist = new(new[] { "in_v2.txt", "wu1_0_0" });

    [Fact]
    public void Under_resolve_inputs_are_read_only_binds_over_the_link_files_and_outputs_writable_ones()
    {
        var mounts = InputMounts.Plan(InOutNew, InAndOutExist, "/app", "/p", "example.org_proj", "wu1_0",
            Option<string>.None, Option<string>.None, LinkFileMode.Resolve);

        Assert.Equal(new[]
        {
            ("/p/in_v2.txt", "/app/in.txt", true, MountRole.LinkedInput),
            ("/p/wu1_0_0", "/app/out.txt", false, MountRole.LinkedOutput),
            ("/p/fresh.txt", "/app/new.txt", false, MountRole.LinkedOutput),
        }, mounts.Map(m => (m.Source, m.Target, m.ReadOnly, m.Role)).ToArray());
        Assert.Contains("in.txt", mounts[0].Why);
    }

    [Fact]
    public void As_written_leaves_every_link_file_visible_and_makes_only_the_outputs_writable_where_the_app_resolves_them()
    {
        // BOINC's sample app: project_dir_mount = "/project", the link file rewritten to /project/<physical>.
        var mounts = InputMounts.Plan(InOutNew, InAndOutExist, "/app", "/p", "example.org_proj", "wu1_0",
            Option<string>.Some("/project"), Option<string>.Some("/project"), LinkFileMode.AsWritten);

        Assert.Equal(new[]
        {
            ("/p", "/projects/example.org_proj", true, MountRole.SymlinkTarget),
            ("/p/wu1_0_0", "/projects/example.org_proj/wu1_0_0", false, MountRole.LinkedOutput),
            ("/p/wu1_0_0", "/project/wu1_0_0", false, MountRole.LinkedOutput),
            ("/p/fresh.txt", "/projects/example.org_proj/fresh.txt", false, MountRole.LinkedOutput),
            ("/p/fresh.txt", "/project/fresh.txt", false, MountRole.LinkedOutput),
        }, mounts.Map(m => (m.Source, m.Target, m.ReadOnly, m.Role)).ToArray());
        Assert.DoesNotContain(mounts, m => m.Target.StartsWith("/app", System.StringComparison.Ordinal));
    }

    [Fact]
    public void As_written_with_a_writable_project_dir_adds_no_output_mounts_under_it()
    {
        var mounts = InputMounts.Plan(InOutNew, InAndOutExist, "/app", "/p", "proj", "wu1_0",
            Option<string>.None, Option<string>.Some("/project"), LinkFileMode.AsWritten);

        Assert.DoesNotContain(mounts, m => m.Target.StartsWith("/project/", System.StringComparison.Ordinal));
        Assert.Contains(mounts, m => m.Target == "/projects/proj/wu1_0_0" && !m.ReadOnly);
    }

    [Theory]
    [InlineData("/projects")]
    [InlineData("/projects/proj")]
    [InlineData("/projects/proj/x/y")]
    public void The_relative_root_is_never_mounted_over_or_inside_WORKDIR(string workdir)
    {
        var mounts = InputMounts.Plan(InOutNew, InAndOutExist, workdir, "/p", "proj", "wu1_0",
            Option<string>.Some("/project"), Option<string>.Some("/project"), LinkFileMode.AsWritten);

        Assert.All(mounts, m => Assert.False(
            Boinc.Persist.Core.Paths.IsAtOrUnder(m.Target, workdir) || Boinc.Persist.Core.Paths.IsAtOrUnder(workdir, m.Target), m.Target));
        Assert.Contains(mounts, m => m.Target == "/project/wu1_0_0" && !m.ReadOnly);
    }

    [Theory]
    [InlineData("/app", "/projects/p")]
    [InlineData("/srv/job/work", "/srv/projects/p")]
    [InlineData("/", "/projects/p")]
    public void Symlinks_resolve_where_BOINC_points_them(string workdir, string root) =>
        Assert.Equal(root, InputMounts.SymlinkRoot(workdir, "p"));

    [Theory]
    [InlineData(LinkFileMode.AsWritten)]
    [InlineData(LinkFileMode.Resolve)]
    public void A_project_mount_already_at_the_symlink_root_is_not_mounted_twice(LinkFileMode mode)
    {
        var links = new[] { new SlotLink("s", "s1", LinkStyle.Symlink) }.ToSeq();
        var mounts = InputMounts.Plan(links, new LanguageExt.HashSet<string>(new[] { "s1" }), "/app", "/p", "proj", "wu1_0",
            Option<string>.Some("/projects/proj"), Option<string>.Some("/projects/proj"), mode);
        Assert.True(mounts.IsEmpty);
    }

    [Theory]
    [InlineData("wu1_0_0", true)]
    [InlineData("wu1_0_12", true)]
    [InlineData("wu1_0_", false)]
    [InlineData("wu1_0_x", false)]
    [InlineData("wu1_01", false)]
    [InlineData("input.dat", false)]
    public void Output_names_follow_the_result_template(string physical, bool output) =>
        Assert.Equal(output, InputMounts.IsOutputName(physical, "wu1_0"));
}
