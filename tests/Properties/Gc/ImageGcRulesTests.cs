using System;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Confinement;
using Boinc.Persist.Core.Gc;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Gc;

/// <summary>
/// The image collector's decisions (the rules the shell runs, <see cref="ImageGcRules"/>): nothing protected
/// ever goes, everything free and old goes, and the size bound removes least recently used first and no more
/// than it needs.
/// </summary>
public class ImageGcRulesTests
{
    private static readonly DateTimeOffset Now = Generators.GcNow;

    private static bool Protected(ImageFacts i) => !i.Ours || i.HeldByWrapper || !i.Containers.IsEmpty || !i.Slots.IsEmpty;

    private static Seq<(ImageFacts Facts, ImageVerdict Verdict)> Run(Seq<ImageFacts> images, TimeSpan age, Option<long> bound) =>
        images.Zip(ImageGcRules.Decide(images, Now, age, bound)).ToSeq().Strict();

    [Property(MaxTest = 500)]
    public Property Nothing_unowned_held_used_or_named_by_a_journal_is_ever_removed() =>
        Prop.ForAll(Arb.From(Generators.ImageSetGen()), Arb.From(Generators.GcPolicyGen()), (images, p) =>
            Run(images, p.Age, p.Bound).ForAll(x => !(Protected(x.Facts) && x.Verdict is ImageVerdict.Remove))
                .Label(string.Join("\n", Run(images, p.Age, p.Bound).Map(x => $"{x.Facts} -> {x.Verdict}"))));

    [Property(MaxTest = 500)]
    public Property One_verdict_per_image_in_order() =>
        Prop.ForAll(Arb.From(Generators.ImageSetGen()), Arb.From(Generators.GcPolicyGen()), (images, p) =>
            ImageGcRules.Decide(images, Now, p.Age, p.Bound).Map(v => v.Id).SequenceEqual(images.Map(i => i.Id)));

    [Property(MaxTest = 500)]
    public Property Without_a_bound_exactly_the_free_images_unused_for_longer_than_the_age_go() =>
        Prop.ForAll(Arb.From(Generators.ImageSetGen()), Arb.From(Generators.GcPolicyGen()), (images, p) =>
            Run(images, p.Age, Option<long>.None).ForAll(x =>
                (x.Verdict is ImageVerdict.Remove) ==
                (!Protected(x.Facts) && x.Facts.LastUsed.Exists(l => Now - l > p.Age))));

    [Property(MaxTest = 500)]
    public Property An_image_with_no_record_of_use_is_never_removed_for_age_and_its_clock_starts() =>
        Prop.ForAll(Arb.From(Generators.ImageSetGen()), Arb.From(Generators.GcPolicyGen()), (images, p) =>
            Run(images, p.Age, Option<long>.None)
                .Filter(x => x.Facts.LastUsed.IsNone && !Protected(x.Facts))
                .ForAll(x => x.Verdict is ImageVerdict.StartClock));

    [Property(MaxTest = 500)]
    public Property The_bound_is_met_unless_only_protected_images_remain_and_least_recently_used_go_first() =>
        Prop.ForAll(Arb.From(Generators.ImageSetGen()), Arb.From(Generators.GcPolicyGen()), (images, p) =>
        {
            var bound = p.Bound.IfNone(1_000_000_000);
            var run = Run(images, p.Age, bound);
            var staying = run.Filter(x => x.Facts.Ours && x.Verdict is not ImageVerdict.Remove);
            var total = staying.Sum(x => x.Facts.SizeBytes);
            var freeStaying = staying.Filter(x => !Protected(x.Facts));
            var met = total <= bound || freeStaying.IsEmpty;
            // Removed for size (not for age) are never more recently used than a free image that stays.
            var forSize = run.Filter(x => x.Verdict is ImageVerdict.Remove && !x.Facts.LastUsed.Exists(l => Now - l > p.Age));
            var lru = forSize.ForAll(r => freeStaying.ForAll(k => r.Facts.LastUsed.IfNone(Now) <= k.Facts.LastUsed.IfNone(Now)));
            // And no more than needed: putting back the last one removed for size would break the bound.
            var minimal = forSize.IsEmpty || forSize.Exists(r => total + r.Facts.SizeBytes > bound);
            return (met && lru && minimal).Label($"bound {bound}, total {total}, met {met}, lru {lru}, minimal {minimal}\n" +
                string.Join("\n", run.Map(x => $"{x.Facts} -> {x.Verdict}")));
        });

    [Fact]
    public void Reasons_say_why()
    {
        var old = new ImageFacts("sha256:a", "boinc-persist/job:a", true, 10, Now - TimeSpan.FromDays(9), default, default, false);
        var v = ImageGcRules.Decide(LanguageExt.Prelude.Seq1(old), Now, TimeSpan.FromDays(7), Option<long>.None).Head();
        Assert.IsType<ImageVerdict.Remove>(v);
        Assert.Contains("unused for 216h, more than 7d", v.Reason);
        var held = old with { HeldByWrapper = true };
        Assert.Contains("running wrapper", ImageGcRules.Decide(LanguageExt.Prelude.Seq1(held), Now, TimeSpan.Zero, Option<long>.None).Head().Reason);
    }

    [Fact]
    public void The_gc_table_of_the_host_policy_is_read_with_errors_naming_file_line_and_key()
    {
        var text = "[accept]\ngpu = false\n\n[gc]\nauto = true\nimage_max_age = \"3d\"\nimages_max_size = \"20g\"\n";
        Assert.True(HostPolicy.Parse("policy.toml", text).IsOk);
        var p = TomlTree.Parse("policy.toml", text).Bind(r => ImageGcPolicy.FromRoot("policy.toml", r)).Value.IfNone(() => throw new Xunit.Sdk.XunitException("not parsed"));
        Assert.Equal(new ImageGcPolicy(true, TimeSpan.FromDays(3), 20L << 30), p);

        var bad = TomlTree.Parse("policy.toml", "[gc]\nimage_max_age = \"soon\"\nimages_max_size = \"0\"\nautoo = true\n")
            .Bind(r => ImageGcPolicy.FromRoot("policy.toml", r));
        Assert.False(bad.IsOk);
        var all = string.Join("\n", bad.Errors.Map(e => e.ToString()));
        Assert.Contains("gc.image_max_age", all);
        Assert.Contains("gc.images_max_size", all);
        Assert.Contains("gc.autoo", all);
        Assert.Contains("policy.toml", all);
        Assert.Contains(":2", all);
    }

    [Fact]
    public void An_absent_gc_table_is_the_default_of_seven_days_and_no_bound()
    {
        var p = TomlTree.Parse("policy.toml", "[accept]\ngpu = true\n").Bind(r => ImageGcPolicy.FromRoot("policy.toml", r)).Value;
        Assert.Equal(Option<ImageGcPolicy>.Some(ImageGcPolicy.Default), p);
        Assert.Equal(TimeSpan.FromDays(7), ImageGcPolicy.Default.MaxAge);
    }

    [Property(MaxTest = 300)]
    public Property Ages_in_days_hours_minutes_and_seconds_parse() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, 1000)), n =>
            ImageGcPolicy.ParseAge($"{n}d") == Option<TimeSpan>.Some(TimeSpan.FromDays(n)) &&
            ImageGcPolicy.ParseAge($"{n}h") == Option<TimeSpan>.Some(TimeSpan.FromHours(n)) &&
            ImageGcPolicy.ParseAge($"{n}s") == Option<TimeSpan>.Some(TimeSpan.FromSeconds(n)) &&
            ImageGcPolicy.ParseAge($"-{n}d").IsNone && ImageGcPolicy.ParseAge("d").IsNone);
}
