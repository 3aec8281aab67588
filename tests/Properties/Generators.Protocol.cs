using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

/// <summary>A status built from any doubles, including NaN, infinities, negatives and huge values.</summary>
public sealed record WildStatus(double Current, double Checkpoint, double Fraction, Option<double> Wss);

/// <summary>Text as a hostile or broken peer could put on a channel or into a file.</summary>
public sealed record HostileText(string Text)
{
    public override string ToString() => $"HostileText({System.Text.Json.JsonSerializer.Serialize(Text)})";
}

public static partial class Generators
{
    public static Gen<double> WildDouble =>
        Gen.Frequency(
            (1, Gen.Elements(double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, 0.0, double.MaxValue,
                double.MinValue, double.Epsilon, 1e300, -1e-300, 1.0, 0.5)),
            (3, Gen.Choose(-1_000_000, 100_000_000).Select(i => i / 1000.0)),
            (1, ArbMap.Default.GeneratorFor<double>()));

    public static Arbitrary<WildStatus> WildStatusArb() => Arb.From(
        from c in WildDouble
        from k in WildDouble
        from f in WildDouble
        from w in Gen.OneOf(Gen.Constant(Option<double>.None), WildDouble.Select(Option<double>.Some))
        select new WildStatus(c, k, f, w));

    private static readonly string[] Fragments =
    {
        "<suspend/>", "<resume/>", "<quit/>", "<abort/>", "<heartbeat/>", "<wss>", "</wss>", "<max_wss>", "<network_suspended/>",
        "<fraction_done>", "<current_cpu_time>", "nan", "inf", "-", "+", "e", "E", ".", ",", "0x1p3", "1e999", "\n", "\0",
        " ", "\t", "é", "\uFEFF", "12", "0.5", "<", ">", "/",
    };

    public static Arbitrary<HostileText> HostileTextArb() => Arb.From(
        Gen.Frequency(
            (3, Gen.Elements(Fragments).ListOf().Select(l => string.Concat(l))),
            (1, ArbMap.Default.GeneratorFor<string>().Select(s => s ?? "")))
        .Select(s => new HostileText(s)));

}

/// <summary>A valid plan input plus the slot's links, and which physical files exist.</summary>
public sealed record LinkedPlanInput(Boinc.Persist.Core.Planning.PlanInput Input)
{
    public override string ToString() =>
        $"link_files {Input.Job.Config.Inputs.LinkFiles}, workdir {Input.Job.Config.Workdir}, project_dir_mount {Input.Job.Config.ProjectDirMount}, links: {string.Join(", ", Input.Links.Links.Map(l => $"{l.LogicalName}->{l.PhysicalName} ({l.Style}{(Input.Links.ExistingPhysicalNames.Contains(l.PhysicalName) ? ", exists" : "")})"))}";
}

public static partial class Generators
{
    public static Arbitrary<LinkedPlanInput> LinkedPlanInputArb() => Arb.From(
        from plain in ValidPlanInputGen()
        from mode in Gen.Elements(Boinc.Persist.Core.Config.LinkFileMode.AsWritten, Boinc.Persist.Core.Config.LinkFileMode.Resolve)
        let input = plain with { Job = plain.Job with { Config = plain.Job.Config with { Inputs = new Boinc.Persist.Core.Config.InputsConfig(mode) } } }
        from names in SlotName.ListOf().Select(l => l.Distinct().Take(6).ToList())
        from traits in (
            from style in Gen.Elements(Boinc.Persist.Core.Slots.LinkStyle.LinkFile, Boinc.Persist.Core.Slots.LinkStyle.Symlink)
            from physicalKind in Gen.Elements(0, 1, 2)
            from exists in ArbMap.Default.GeneratorFor<bool>()
            select (style, physicalKind, exists)).ListOf()
        let links = names.Zip(traits, (n, t) => (
            Link: new Boinc.Persist.Core.Planning.SlotLink(
                n, t.physicalKind == 2 ? $"{input.Task.ResultName}_{names.IndexOf(n)}" : $"{n}_phys{t.physicalKind}", t.style),
            Exists: t.exists)).ToList()
        let facts = new Boinc.Persist.Core.Planning.LinkFacts(
            links.Select(l => l.Link).ToSeq(),
            new LanguageExt.HashSet<string>(links.Where(l => l.Exists).Select(l => l.Link.PhysicalName)))
        select new LinkedPlanInput(input with { Links = facts }));
}

/// <summary>
/// One look of the sporadic bridge: the heartbeat's <c>&lt;sporadic_ca&gt;</c> (None: no tag), and what the job did
/// to <c>ac</c> since the last look (None: nothing; Some(None): removed it; Some(Some(text)): wrote that text).
/// </summary>
public sealed record SporadicLookStep(Option<int> HeartbeatCa, Option<Option<string>> AcWrite)
{
    public override string ToString() =>
        $"ca {HeartbeatCa.Match(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture), () => "-")}, ac " +
        AcWrite.Match(w => w.Match(t => System.Text.Json.JsonSerializer.Serialize(t), () => "removed"), () => "unchanged");
}

/// <summary>A sporadic story: looks in order, about one a second.</summary>
public sealed record SporadicStory(Seq<SporadicLookStep> Looks)
{
    public override string ToString() => string.Join(" -> ", Looks.Map(l => l.ToString()));
}

public static partial class Generators
{
    private static readonly string[] AcTexts = { "", "0", "1", "2", "2\n", " 1 \n", "3", "-1", "12", "x", "2 2", "1.0", "\0", "02", "\uFEFF2" };

    public static Gen<SporadicLookStep> SporadicLookStepGen =>
        from ca in Gen.Frequency(
            (3, Gen.Constant(Option<int>.None)),
            (6, Gen.Choose(0, 3).Select(Option<int>.Some)),
            (1, Gen.Elements(-1, 4, 99).Select(Option<int>.Some)))
        from write in Gen.Frequency(
            (4, Gen.Constant(Option<Option<string>>.None)),
            (1, Gen.Constant(Option<Option<string>>.Some(Option<string>.None))),
            (5, Gen.Elements(AcTexts).Select(t => Option<Option<string>>.Some(Option<string>.Some(t)))))
        select new SporadicLookStep(ca, write);

    public static Arbitrary<SporadicStory> SporadicStoryArb() => Arb.From(
        SporadicLookStepGen.ListOf().Select(l => new SporadicStory(l.ToSeq())),
        story => story.Looks.Count == 0
            ? Enumerable.Empty<SporadicStory>()
            : Enumerable.Range(0, story.Looks.Count).Select(i => new SporadicStory(story.Looks.Take(i).Concat(story.Looks.Skip(i + 1)).ToSeq())));
}
