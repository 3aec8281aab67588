using System.Linq;
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
    public void A_hostile_link_is_an_error_naming_the_slot_entry(string target)
    {
        var links = InputMounts.Links(new SlotListing(new[] { LinkFile("in.txt", target) }.ToSeq()), Context, WrapperFiles.Default);

        var error = Assert.Single(links.Findings);
        Assert.Equal("in.txt", error.Where.File);
        Assert.True(links.Value.IfNone(Seq<SlotLink>.Empty).IsEmpty);
    }

    [Fact]
    public void Inputs_are_read_only_binds_and_outputs_writable_ones()
    {
        var links = new[]
        {
            new SlotLink("in.txt", "in_v2.txt", LinkStyle.LinkFile),
            new SlotLink("out.txt", "wu1_0_0", LinkStyle.LinkFile),
            new SlotLink("new.txt", "fresh.txt", LinkStyle.LinkFile),
        }.ToSeq();
        var existing = new LanguageExt.HashSet<string>(new[] { "in_v2.txt", "wu1_0_0" });

        var mounts = InputMounts.Plan(links, existing, "/app", "/p", "example.org_proj", "wu1_0", Option<string>.None);

        Assert.Equal(new[]
        {
            ("/p/in_v2.txt", "/app/in.txt", true, MountRole.LinkedInput),
            ("/p/wu1_0_0", "/app/out.txt", false, MountRole.LinkedOutput),
            ("/p/fresh.txt", "/app/new.txt", false, MountRole.LinkedOutput),
        }, mounts.Map(m => (m.Source, m.Target, m.ReadOnly, m.Role)).ToArray());
        Assert.Contains("in.txt", mounts[0].Why);
    }

    [Theory]
    [InlineData("/app", "/projects/p")]
    [InlineData("/srv/job/work", "/srv/projects/p")]
    [InlineData("/", "/projects/p")]
    public void Symlinks_resolve_where_BOINC_points_them(string workdir, string root) =>
        Assert.Equal(root, InputMounts.SymlinkRoot(workdir, "p"));

    [Fact]
    public void A_project_mount_already_at_the_symlink_root_is_not_mounted_twice()
    {
        var links = new[] { new SlotLink("s", "s1", LinkStyle.Symlink) }.ToSeq();
        var mounts = InputMounts.Plan(links, new LanguageExt.HashSet<string>(new[] { "s1" }), "/app", "/p", "proj", "wu1_0",
            Option<string>.Some("/projects/proj"));
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
