using System.Linq;
using Boinc.Persist.Core.Slots;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

/// <summary>A slot with only copied files and well-formed links, and what each entry should resolve to.</summary>
public sealed record WellFormedSlot(
    SlotContext Context, ContainerMounts Mounts, SlotListing Listing, Seq<(string Logical, Option<string> Physical)> Expected);

/// <summary>A hostile link target and whether it is hostile also as a raw symlink target (XML escapes are
/// only decoded in link files).</summary>
public sealed record HostileLink(SlotContext Context, string Target, bool HostileAsSymlink);

/// <summary>A link target stitched from path tokens (<c>..</c>, <c>/</c>, project names, escapes): anything.</summary>
public sealed record FuzzedLink(SlotContext Context, string Target);

public static partial class Generators
{
    private const string NameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";

    /// <summary>A BOINC-like file or directory name: never empty, <c>.</c>, <c>..</c> or a BOINC/wrapper file.</summary>
    public static Gen<string> SlotName =>
        Gen.Elements(NameChars.ToCharArray()).ArrayOf().Where(a => a.Length is > 0 and < 24)
            .Select(a => new string(a))
            .Where(s => s != "." && s != ".." && !LinkFiles.IsBoincFile(s)
                        && !WrapperFiles.Default.LogicalNames.Exists(n => n == s));

    /// <summary>Text for strings the client escapes: any printable text, no surrounding whitespace.</summary>
    public static Gen<string> EscapedText =>
        Gen.Elements("a", "Z", "9", " ", "<", ">", "&", "]]>", "\"", "'", "é", "Ã", "©", "ß", "€", "日本", "😀", "x86_64",
                "&amp;", "&#65;", "\u00a0x")
            .ArrayOf().Select(parts => string.Concat(parts).Trim())
            .Select(s => s.Length > 0 && char.IsWhiteSpace(s[^1]) ? s.TrimEnd() : s);

    private static Gen<double> Decimal3(int max) => Gen.Choose(0, max).Select(k => k / 1000.0);

    private static Gen<double> WholeBig => Gen.Choose(0, int.MaxValue).Select(k => k * 4.0);

    private static Gen<Option<T>> OptionOf<T>(Gen<T> gen) =>
        Gen.Frequency((1, Gen.Constant(Option<T>.None)), (3, gen.Select(Option<T>.Some)));

    public static Gen<HostInfo> HostInfoGen =>
        from host in SlotName
        from ncpus in Gen.Choose(1, 256)
        from mem in WholeBig
        from osName in EscapedText
        from osVersion in EscapedText
        from vendor in EscapedText
        from model in EscapedText
        from docker in OptionOf(from t in Gen.Choose(1, 2) from v in SlotName select (t, v))
        select new HostInfo(host, ncpus, mem, osName, osVersion, vendor, model,
            docker.Map(d => d.t), docker.Map(d => d.v));

    public static Gen<SlotContext> SlotContextGen =>
        from boincDir in Gen.Elements("/var/lib/boinc-client", "/var/lib/boinc", "/home/u/BOINC Data", "/b")
        from dirName in SlotName
        from url in OptionOf(SlotName.Select(n => $"https://{n}.example.org/"))
        from app in SlotName
        from wu in SlotName
        from result in SlotName
        from slot in Gen.Choose(0, 64)
        from pid in OptionOf(Gen.Choose(1, 4_000_000))
        from shm in OptionOf(Gen.Elements(-1, 0, 123456))
        from ncpus in Decimal3(64_000)
        from memBound in WholeBig
        from diskBound in WholeBig
        from fpops in WholeBig
        from cpu in Decimal3(int.MaxValue)
        from elapsed in Decimal3(int.MaxValue)
        from period in Decimal3(3_600_000)
        from fdStart in Decimal3(1000)
        from fdEnd in Decimal3(1000)
        from gpu in OptionOf(from t in Gen.Elements("NVIDIA", "ATI", "intel_gpu", "apple_gpu")
                              from d in Gen.Choose(0, 7)
                              from o in Gen.Choose(-1, 7)
                              from u in Decimal3(1000)
                              select new GpuAssignment(t, d, o, u))
        from host in HostInfoGen
        from proxy in OptionOf(from h in Gen.Elements(true, false)
                                from hn in SlotName
                                from hp in Gen.Choose(0, 65535)
                                from s in Gen.Elements(true, false)
                                from sn in SlotName
                                from sp in Gen.Choose(0, 65535)
                                from np in Gen.Elements("", "localhost", "localhost,127.0.0.1,.example.org")
                                select new ProxyInfo(h, hn, hp, s, sn, sp, np))
        from version in Gen.Elements(new ClientVersion(7, 20, 5), new ClientVersion(8, 0, 4), new ClientVersion(8, 2, 15))
        from planClass in Gen.Elements("", "docker", "mt", "nvidia_docker")
        select new SlotContext(
            $"{boincDir}/projects/{dirName}", dirName, url, app, wu, result, slot, pid, shm, ncpus, memBound,
            diskBound, fpops, cpu, elapsed, period, fdStart, fdEnd, gpu, host, proxy)
        { ClientVersion = Option<ClientVersion>.Some(version), PlanClass = planClass };

    public static Arbitrary<SlotContext> SlotContextArb() => Arb.From(SlotContextGen);

    private static Gen<ContainerMounts> MountsGen =>
        from workdir in Gen.Elements("/app", "/", "/work/dir", "/app/")
        from project in OptionOf(Gen.Elements("/project", "/mnt/p", "/project/"))
        select new ContainerMounts(workdir, project);

    /// <summary>A physical name in the project dir: one segment, sometimes a few (BOINC allows subdirs).</summary>
    private static Gen<string> PhysicalGen =>
        Gen.Frequency((4, SlotName), (1, SlotName.ArrayOf().Where(a => a.Length is > 0 and < 4).Select(a => string.Join("/", a))));

    private static Gen<SlotEntry> CopiedEntry(string name) =>
        Gen.Elements("", "plain text\n", "  <not_a_link/>", "soft_link>x", "\u0000\u0001binary", "#!/bin/sh\n")
            .Select(h => new SlotEntry(name, new SlotEntryKind.RegularFile(h)));

    private static Gen<string> LinkText(SlotContext c, string physical) =>
        Gen.Elements(
            $"<soft_link>../../projects/{c.ProjectDirName}/{physical}</soft_link>\n",
            $"<soft_link>../../projects/{c.ProjectDirName}/{physical}</soft_link>",
            $"  \n\t<soft_link> ../../projects/{c.ProjectDirName}/{physical}\t</soft_link>\nignored",
            $"<soft_link>{c.ProjectDir}/{physical}</soft_link>\n",
            $"<soft_link>../../projects/{c.ProjectDirName}/{physical.Replace("-", "&#45;")}</soft_link>\n");

    private static Gen<SlotEntry> LinkEntry(SlotContext c, string name, string physical) =>
        Gen.OneOf(
            LinkText(c, physical).Select(t => new SlotEntry(name, new SlotEntryKind.RegularFile(t))),
            Gen.Elements($"../../projects/{c.ProjectDirName}/{physical}", $"{c.ProjectDir}/{physical}")
                .Select(t => new SlotEntry(name, new SlotEntryKind.Symlink(t))));

    public static Gen<WellFormedSlot> WellFormedSlotGen =>
        from c in SlotContextGen
        from mounts in MountsGen
        from names in SlotName.ArrayOf().Select(a => a.Distinct().ToArray())
        from plan in Gen.CollectToArray(names, n =>
            mounts.ProjectMount.IsSome
                ? Gen.OneOf(
                    CopiedEntry(n).Select(e => (e, Option<string>.None)),
                    PhysicalGen.SelectMany(p => LinkEntry(c, n, p), (p, e) => (e, Option<string>.Some(p))))
                : CopiedEntry(n).Select(e => (e, Option<string>.None)))
        from boinc in Gen.SubListOf(new[]
        {
            new SlotEntry("init_data.xml", new SlotEntryKind.RegularFile("<app_init_data>")),
            new SlotEntry("boinc_mmap_file", new SlotEntryKind.RegularFile("\0\0\0")),
            new SlotEntry("boinc_lockfile", new SlotEntryKind.RegularFile("")),
            new SlotEntry("stderr.txt", new SlotEntryKind.RegularFile("log")),
            new SlotEntry("job.toml", new SlotEntryKind.RegularFile($"<soft_link>../../projects/{c.ProjectDirName}/job_1.toml</soft_link>\n")),
            new SlotEntry("Dockerfile", new SlotEntryKind.RegularFile("FROM scratch\n")),
            new SlotEntry("subdir", new SlotEntryKind.Directory()),
        })
        from order in Gen.Shuffle(plan.Select(p => p.e).Concat(boinc).ToArray())
        select new WellFormedSlot(c, mounts, new SlotListing(order.ToSeq()),
            plan.Select(p => (p.e.Name, p.Item2)).ToSeq());

    public static Arbitrary<WellFormedSlot> WellFormedSlotArb() => Arb.From(WellFormedSlotGen);

    public static Gen<HostileLink> HostileLinkGen =>
        from c in SlotContextGen
        from other in SlotName.Where(n => n != c.ProjectDirName)
        from file in SlotName
        from dotdotAt in Gen.Choose(0, 6)
        from hostile in Gen.OneOf(HostileForBoth(c, other, file, dotdotAt), HostileInLinkFiles(c, other, file))
        select new HostileLink(c, hostile.Item1, hostile.Item2);

    private static Gen<(string, bool)> HostileForBoth(SlotContext c, string other, string file, int dotdotAt) =>
        Gen.OneOf(
            // ".." inserted anywhere into an otherwise good path (positions 0..2 break the prefix too).
            Gen.Constant(InsertDotDot(new[] { "..", "..", "projects", c.ProjectDirName, "sub", file }, dotdotAt)),
            Gen.Elements(
                "", "/", "/etc/passwd", "/proc/self/root/etc/shadow", file, "./" + file, "../" + file,
                "../../" + file, "../../projects", "../../projects/", $"../../projects/{c.ProjectDirName}",
                $"../../projects/{c.ProjectDirName}/", $"../../projects/{c.ProjectDirName}//{file}",
                $"../../projects/{c.ProjectDirName}/./{file}", $"../../projects/{other}/{file}",
                $"../../projects/../slots/0/{file}", $"../../projects/./{file}",
                $"{c.ProjectDir}/../{other}/{file}", $"{c.ProjectDir}/../../../etc/passwd", $"{c.ProjectDir}",
                $"{c.ProjectDir}/", $"{c.ProjectDir}x/{file}", $"/var/lib/boinc-client/projects/{other}/{file}",
                $"../../projects/{c.ProjectDirName}/%2e%2e/%2E%2E/etc", $"../../projects/{c.ProjectDirName}/..%2f..%2fetc",
                $"../../projects/{c.ProjectDirName}/..\\..\\etc", $"../../projects/{c.ProjectDirName}/{file}%00.png",
                $"../../projects/{c.ProjectDirName}/ ../{file}", $"../../projects/{c.ProjectDirName}/.. /{file}",
                $"../../projects/{c.ProjectDirName}/\t../{file}", $"../../projects/{c.ProjectDirName}/{file}\u0000x",
                $"../../projects/{c.ProjectDirName}/a\nb",
                $" ../../projects/{other}/{file}", $"../../projects/ {c.ProjectDirName}/{file}"))
            .Select(t => (t, true));

    /// <summary>XML escapes decode to a traversal only in link files.</summary>
    private static Gen<(string, bool)> HostileInLinkFiles(SlotContext c, string other, string file) =>
            Gen.Elements(
                $"../../projects/{c.ProjectDirName}/&#46;&#46;/&#46;&#46;/etc/passwd",
                $"../../projects/{c.ProjectDirName}/..&#47;..&#47;etc",
                $"&#46;&#46;/&#46;&#46;/projects/{other}/{file}",
                $"../../projects/{c.ProjectDirName}/&#10;{file}",
                $"../../projects/{c.ProjectDirName}/{file}&#0;",
                $"../../projects/{c.ProjectDirName}/&#255;&#254;",
                $"../../projects/{c.ProjectDirName}/&#xA;x").Select(t => (t, false));

    public static Arbitrary<HostileLink> HostileLinkArb() => Arb.From(HostileLinkGen);

    public static Gen<FuzzedLink> FuzzedLinkGen =>
        from c in SlotContextGen
        from tokens in Gen.Elements("..", ".", "/", "/", "/", "projects", c.ProjectDirName, c.ProjectDir, "other", "a",
                "&#46;", "&#47;", "%2e", " ", "\\", "\t", "&amp;", "..", "x.y").ArrayOf()
        from prefix in Gen.Elements("", $"../../projects/{c.ProjectDirName}/", $"{c.ProjectDir}/")
        select new FuzzedLink(c, prefix + string.Concat(tokens));

    public static Arbitrary<FuzzedLink> FuzzedLinkArb() => Arb.From(FuzzedLinkGen);

    private static string InsertDotDot(string[] segments, int at)
    {
        var list = segments.ToList();
        list.Insert(System.Math.Min(at, list.Count), "..");
        return string.Join("/", list);
    }
}

/// <summary>What the wrapper knows at start about client 8.2's cleanup: the client's version, the plan class, whether an engine was detected.</summary>
public sealed record CleanupCase(Option<Boinc.Persist.Core.Slots.ClientVersion> Client, string PlanClass, bool EngineDetected);

public static partial class Generators
{
    private static readonly string[] PlanClassParts = { "docker", "Docker", "DOCKER", "mt", "cuda", "_", "vbox", "dock", "er", "", "nvidia", "\t", "é" };

    public static Arbitrary<CleanupCase> CleanupCaseArb() => Arb.From(
        from client in Gen.Frequency(
            (1, Gen.Constant(Option<Boinc.Persist.Core.Slots.ClientVersion>.None)),
            (6, from major in Gen.Choose(6, 9)
                from minor in Gen.Choose(0, 4)
                from release in Gen.Choose(0, 20)
                select Option<Boinc.Persist.Core.Slots.ClientVersion>.Some(new Boinc.Persist.Core.Slots.ClientVersion(major, minor, release))))
        from parts in Gen.Elements(PlanClassParts).ListOf()
        from engine in ArbMap.Default.GeneratorFor<bool>()
        select new CleanupCase(client, string.Concat(parts.Take(4)), engine));
}
