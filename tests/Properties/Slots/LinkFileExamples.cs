using Boinc.Persist.Properties.Diagnostics;
using Boinc.Persist.Core.Diagnostics;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Shell.Slots;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Slots;

public class LinkFileExamples
{
    private static readonly SlotContext Context =
        SlotContexts.Parse("init_data.xml", InitDataExamples.Client720).Value.IfNone(() => throw new System.Exception());

    private static readonly ContainerMounts Mounted = new("/app", Option<string>.Some("/project"));

    private static SlotEntry File(string name, string head) => new(name, new SlotEntryKind.RegularFile(head));

    private static SlotListing Listing(params SlotEntry[] entries) => new(entries.ToSeq());

    [Fact]
    public void A_typical_slot_resolves_links_to_the_project_mount_and_copies_to_workdir()
    {
        var slot = Listing(
            File("init_data.xml", "<app_init_data>"),
            File("boinc_mmap_file", ""),
            File("boinc_lockfile", ""),
            File("stderr.txt", ""),
            File("job.toml", "<soft_link>../../projects/127.0.0.1_1_test/job_1.toml</soft_link>\n"),
            File("Dockerfile", "<soft_link>../../projects/127.0.0.1_1_test/Dockerfile_1</soft_link>\n"),
            File("in", "<soft_link>../../projects/127.0.0.1_1_test/wu_docker_1_in</soft_link>\n"),
            File("params.txt", "n=10\n"),
            new SlotEntry("data", new SlotEntryKind.Symlink("../../projects/127.0.0.1_1_test/sub/data_1")),
            new SlotEntry("cache", new SlotEntryKind.Directory()));
        var r = LinkFiles.Resolve(slot, Context, Mounted);
        Assert.True(r.IsOk, string.Join("; ", r.Findings));
        Assert.Equal(
            new ResolvedInput[]
            {
                new ResolvedInput.Linked("in", "wu_docker_1_in", LinkStyle.LinkFile, "/project/wu_docker_1_in"),
                new ResolvedInput.Copied("params.txt", "/app/params.txt"),
                new ResolvedInput.Linked("data", "sub/data_1", LinkStyle.Symlink, "/project/sub/data_1"),
            },
            r.Value.IfNone(Seq<ResolvedInput>.Empty).ToArray());
    }

    [Fact]
    public void Wrapper_files_that_are_links_resolve_on_the_host_side()
    {
        var slot = Listing(File("job.toml", "<soft_link>../../projects/127.0.0.1_1_test/job_1.toml</soft_link>\n"));
        Assert.Equal(Option<string>.Some("../../projects/127.0.0.1_1_test/job_1.toml"),
            LinkFiles.ResolveHostPath(slot, "job.toml", Context).Value);
        Assert.Equal(Option<string>.Some("Dockerfile"),
            LinkFiles.ResolveHostPath(File("Dockerfile", "FROM scratch\n"), Context).Value);
        Assert.Equal(Option<string>.Some("/var/lib/boinc-client/projects/127.0.0.1_1_test/job_1.toml"),
            LinkFiles.ResolveHostPath(File("job.toml",
                "<soft_link>/var/lib/boinc-client/projects/127.0.0.1_1_test/job_1.toml</soft_link>"), Context).Value);
        Assert.Contains(LinkFiles.ResolveHostPath(slot, "Dockerfile", Context).Errors, e => e.Code == DiagnosticCodes.EntryNotReadable);
        Assert.Contains(LinkFiles.ResolveHostPath(File("job.toml", "<soft_link>/etc/passwd</soft_link>"), Context).Errors,
            e => e.Code == DiagnosticCodes.LinkEscapesProject && e.Where.File == "job.toml");
    }

    private static readonly SlotListing WithWrapperLinks = Listing(
        File("job.toml", "<soft_link>../../projects/127.0.0.1_1_test/job_1.toml</soft_link>\n"),
        File("boinc-persist", "<soft_link>../../projects/127.0.0.1_1_test/boinc-persist_1.0_x86_64</soft_link>\n"),
        File("in", "<soft_link>../../projects/127.0.0.1_1_test/in_1</soft_link>\n"),
        File("copied", "x"));

    private static readonly WrapperFiles Wrapper = WrapperFiles.Default.WithProgram("../../projects/127.0.0.1_1_test/boinc-persist_1.0_x86_64");

    [Fact]
    public void As_written_without_a_project_mount_an_input_is_reached_by_its_relative_path_with_one_warning()
    {
        var r = LinkFiles.Resolve(WithWrapperLinks, Context, new ContainerMounts("/app", Option<string>.None), Wrapper);
        Assert.True(r.IsOk);
        var w = Assert.Single(r.Findings);
        Assert.Equal(Boinc.Persist.Core.Diagnostics.Severity.Warning, w.Severity);
        Assert.Equal(DiagnosticCodes.ProjectDirNotMounted, w.Code);
        Assert.Equal("in", w.Where.File);
        Assert.Contains("project_dir_mount", w.Message);
        Assert.Contains(new ResolvedInput.Linked("in", "in_1", LinkStyle.LinkFile, "/projects/127.0.0.1_1_test/in_1"),
            r.Value.IfNone(Seq<ResolvedInput>.Empty));
    }

    [Fact]
    public void Under_resolve_a_link_file_is_read_at_its_logical_name_with_no_project_mount_needed()
    {
        var r = LinkFiles.Resolve(WithWrapperLinks, Context,
            new ContainerMounts("/app", Option<string>.None) { LinkFiles = Boinc.Persist.Core.Config.LinkFileMode.Resolve }, Wrapper);
        Assert.True(r.Findings.IsEmpty, string.Join("; ", r.Findings));
        Assert.Contains(new ResolvedInput.Linked("in", "in_1", LinkStyle.LinkFile, "/app/in"), r.Value.IfNone(Seq<ResolvedInput>.Empty));
    }

    [Fact]
    public void Without_a_project_mount_and_no_room_for_the_relative_path_a_link_is_an_error_naming_it()
    {
        var r = LinkFiles.Resolve(WithWrapperLinks, Context, new ContainerMounts("/projects", Option<string>.None), Wrapper);
        var e = Assert.Single(r.Errors);
        Assert.Equal(DiagnosticCodes.ProjectDirNotMounted, e.Code);
        Assert.Equal("in", e.Where.File);
        Assert.Contains("project_dir_mount", e.Message);
    }

    [Theory]
    [InlineData("<soft_link>../../projects/127.0.0.1_1_test/in_1", nameof(DiagnosticCodes.LinkMalformed))]
    [InlineData("<soft_link>../../projects/127.0.0.1_1_test/in_1\n</soft_link>", nameof(DiagnosticCodes.LinkMalformed))]
    [InlineData("<soft_link>../../projects/127.0.0.1_1_test/in<x></soft_link>", nameof(DiagnosticCodes.LinkMalformed))]
    [InlineData("<soft_link></soft_link>", nameof(DiagnosticCodes.LinkBadPhysicalName))]
    [InlineData("<soft_link>../../projects/127.0.0.1_2_other/in_1</soft_link>", nameof(DiagnosticCodes.LinkEscapesProject))]
    [InlineData("<soft_link>../../projects/127.0.0.1_1_test/../../../etc/shadow</soft_link>", nameof(DiagnosticCodes.LinkEscapesProject))]
    [InlineData("<soft_link>../../projects/127.0.0.1_1_test/&#46;&#46;/x</soft_link>", nameof(DiagnosticCodes.LinkEscapesProject))]
    [InlineData("<soft_link>/etc/passwd</soft_link>", nameof(DiagnosticCodes.LinkEscapesProject))]
    [InlineData("<soft_link>../../projects/127.0.0.1_1_test/%2e%2e/x</soft_link>", nameof(DiagnosticCodes.LinkBadPhysicalName))]
    public void Broken_and_hostile_link_files_are_refused(string head, string code)
    {
        var r = LinkFiles.Resolve(Listing(File("in", head)), Context, Mounted);
        var e = Assert.Single(r.Errors);
        Assert.Equal(TestCodes.Named(code), e.Code);
        Assert.Equal("in", e.Where.File);
    }

    [Fact]
    public void Special_files_are_skipped_with_a_warning_and_bad_mounts_are_errors()
    {
        var r = LinkFiles.Resolve(Listing(new SlotEntry("fifo", new SlotEntryKind.Other())), Context, Mounted);
        Assert.True(r.IsOk);
        Assert.Equal(DiagnosticCodes.SpecialEntrySkipped, Assert.Single(r.Warnings).Code);
        var bad = LinkFiles.Resolve(Listing(), Context, new ContainerMounts("app/../x", Option<string>.Some("/p/..")));
        Assert.Equal(2, bad.Errors.Count(e => e.Code == DiagnosticCodes.BadMountPoint));
    }
}

public class SlotReaderExamples : System.IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("bp-slot-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_reader_does_not_follow_symlinks_and_reads_bounded_heads()
    {
        // Given a slot with a link file, a big copied file, a symlink out of the project and a directory
        var slot = Directory.CreateDirectory(Path.Combine(_root, "slots", "0")).FullName;
        System.IO.File.WriteAllText(Path.Combine(slot, "in"), "<soft_link>../../projects/x/in_1</soft_link>\n");
        System.IO.File.WriteAllText(Path.Combine(slot, "big"), new string('a', 10_000));
        System.IO.File.CreateSymbolicLink(Path.Combine(slot, "evil"), "/etc/passwd");
        Directory.CreateDirectory(Path.Combine(slot, "sub"));

        // When it is read
        var r = SlotReader.Read(slot);

        // Then each entry has its lstat kind and the heads are bounded
        Assert.True(r.IsOk, string.Join("; ", r.Findings));
        var entries = r.Value.Map(l => l.Entries).IfNone(Seq<SlotEntry>.Empty).ToDictionary(e => e.Name, e => e.Kind);
        Assert.Equal(new SlotEntryKind.RegularFile("<soft_link>../../projects/x/in_1</soft_link>\n"), entries["in"]);
        Assert.Equal(SlotReader.HeadBytes, Assert.IsType<SlotEntryKind.RegularFile>(entries["big"]).Head.Length);
        Assert.Equal(new SlotEntryKind.Symlink("/etc/passwd"), entries["evil"]);
        Assert.IsType<SlotEntryKind.Directory>(entries["sub"]);
    }

    [Fact]
    public void A_missing_init_data_xml_is_a_diagnostic()
    {
        var r = InitDataReader.Read(_root);
        Assert.Equal(DiagnosticCodes.InitDataNotFound, Assert.Single(r.Errors).Code);
        System.IO.File.WriteAllText(Path.Combine(_root, "init_data.xml"), InitDataExamples.Client720);
        Assert.Equal(Option<string>.Some("127.0.0.1_1_test"), InitDataReader.Read(_root).Value.Map(c => c.ProjectDirName));
    }

    [Fact]
    public void A_missing_slot_is_a_diagnostic()
    {
        Assert.Equal(DiagnosticCodes.SlotUnreadable, Assert.Single(SlotReader.Read(Path.Combine(_root, "nope")).Errors).Code);
    }
}
