using System;
using System.Linq;
using System.Text.Json;
using Boinc.Persist.Core.Conform;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Conform;

/// <summary>The oracle's pure parts: verdicts, rendering, selection, the command's words, the judges.</summary>
[Properties(Arbitrary = new[] { typeof(Generators) })]
public class ConformCoreTests
{
    private static readonly Guarantee G = Catalogue.All.Head();

    [Property]
    public bool A_guarantee_is_held_only_when_every_trial_held(TrialOutcome[] trials)
    {
        var r = GuaranteeResult.Of(G, trials.ToSeq());
        var expected = trials.Any(t => t is TrialOutcome.Broken) ? Verdict.Broken
            : trials.Length > 0 && trials.All(t => t is TrialOutcome.Held) ? Verdict.Held
            : Verdict.NotRun;
        return r.Verdict == expected && r.HeldCount == trials.Count(t => t is TrialOutcome.Held);
    }

    [Property]
    public bool The_evidence_shown_is_the_first_broken_trials(TrialOutcome[] trials)
    {
        var r = GuaranteeResult.Of(G, trials.ToSeq());
        var firstBroken = trials.FirstOrDefault(t => t is TrialOutcome.Broken);
        return firstBroken is null || r.Evidence == firstBroken.Evidence;
    }

    [Property]
    public bool The_suite_passes_only_when_every_selected_guarantee_held(TrialOutcome[][] perGuarantee)
    {
        var results = perGuarantee.Take(Catalogue.All.Count).Select((t, i) => GuaranteeResult.Of(Catalogue.All[i], t.ToSeq())).ToSeq();
        var passes = results.Count > 0 && results.ForAll(r => r.Verdict == Verdict.Held);
        return SuiteVerdict.ExitCode(results) == (passes ? 0 : 1);
    }

    [Property]
    public bool The_json_parses_and_carries_every_evidence_verbatim(TrialOutcome[] trials, string wrapper)
    {
        var w = wrapper ?? "";
        var results = Seq1(GuaranteeResult.Of(G, trials.ToSeq()));
        using var doc = JsonDocument.Parse(Rendering.Json(w, 3, 2, results));
        var g = doc.RootElement.GetProperty("guarantees")[0];
        var parsed = g.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("evidence").GetString()).ToArray();
        return doc.RootElement.GetProperty("wrapper").GetString() == w
               && parsed.SequenceEqual(trials.Select(t => t.Evidence))
               && g.GetProperty("result").GetString() == SuiteVerdict.Label(results.Head().Verdict);
    }

    [Property]
    public bool The_table_has_one_single_line_row_per_guarantee(TrialOutcome[][] perGuarantee)
    {
        var results = perGuarantee.Take(Catalogue.All.Count).Select((t, i) => GuaranteeResult.Of(Catalogue.All[i], t.ToSeq())).ToSeq();
        var lines = Rendering.Table(results).TrimEnd('\n').Split('\n');
        // header, rule, one row each, the summary line
        return lines.Length == results.Count + 3
               && results.Select((r, i) => lines[i + 2].StartsWith(r.Guarantee.Id + " ", StringComparison.Ordinal)).All(x => x);
    }

    [Property]
    public bool Quoted_words_split_back_into_the_same_words(NonEmptyString[] words)
    {
        var ws = words.Select(w => w.Get.Replace("'", "", StringComparison.Ordinal)).Where(w => w.Length > 0).ToArray();
        var line = string.Join(" ", ws.Select(w => "'" + w + "'"));
        return Words.Split(line).Match(split => split.SequenceEqual(ws), _ => false);
    }

    [Fact]
    public void Only_selects_the_named_guarantees_and_refuses_unknown_ones()
    {
        Assert.Equal(new[] { "G01", "G05" }, Catalogue.Select(Option<string>.Some("g05, G01")).Match(s => s.Map(g => g.Id).ToArray(), _ => Array.Empty<string>()));
        Assert.True(Catalogue.Select(Option<string>.Some("G01,G99")).IsLeft);
        Assert.Equal(Catalogue.All.Count, Catalogue.Select(Option<string>.None).Match(s => s.Count, _ => 0));
    }

    [Fact]
    public void The_catalogue_ids_are_unique_and_numbered_in_order()
    {
        Assert.Equal(Catalogue.All.Map(g => g.Id).ToArray(), Enumerable.Range(1, Catalogue.All.Count).Select(i => $"G{i:D2}").ToArray());
    }

    [Property]
    public Property A_resume_before_the_committed_step_is_always_broken(PositiveInt committed, NonNegativeInt[] resumes)
    {
        var points = new[] { 0 }.Concat(resumes.Select(r => r.Get % (committed.Get + 10))).ToSeq();
        var work = new WorkFacts(points, "42", "42", Seq<string>.Empty);
        var run = new StartFacts(0, 0, Option<string>.None, "");
        var verdict = Judge.Resumed("kill", committed.Get, run, work);
        var redone = points.Skip(1).Exists(p => p < committed.Get);
        return (redone ? verdict is TrialOutcome.Broken : verdict is TrialOutcome.Held).ToProperty()
            .Label($"points {string.Join(",", points)} committed {committed.Get}: {verdict}");
    }

    [Property]
    public bool Checkpoint_acknowledgements_need_a_newer_checkpoint_on_disk(PositiveInt[] steps)
    {
        // Each sample: the checkpoint CPU advances by one; the disk step is the generated one.
        var samples = steps.Select((s, i) => new StatusSample(i, i + 1, i + 1, Option<double>.None, s.Get)).ToSeq();
        var strictlyGrowing = steps.Select(s => s.Get).Zip(steps.Skip(1).Select(s => s.Get), (a, b) => b > a).All(x => x);
        var verdict = Judge.CheckpointAcks(samples, new StartFacts(0, 0, Option<string>.None, ""));
        return steps.Length == 0 ? verdict is TrialOutcome.NotRun : strictlyGrowing == verdict is TrialOutcome.Held;
    }

    [Fact]
    public void A_checkpoint_cpu_time_above_the_current_one_is_broken()
    {
        var samples = Seq1(new StatusSample(1, 5, 6, Option<double>.None, 3));
        Assert.IsType<TrialOutcome.Broken>(Judge.CheckpointAcks(samples, new StartFacts(0, 0, Option<string>.None, "")));
    }

    [Fact]
    public void A_missing_engine_reported_as_a_result_is_broken_and_a_temporary_exit_holds()
    {
        Assert.IsType<TrialOutcome.Broken>(Judge.EngineUnavailable(new StartFacts(1, 1, Option<string>.None, "")));
        Assert.IsType<TrialOutcome.Held>(Judge.EngineUnavailable(new StartFacts(0, Option<int>.None, "300 engine down", "")));
    }

    [Fact]
    public void Status_needs_a_growing_fraction_and_a_cpu_time_that_never_goes_back()
    {
        StatusSample S(double t, double cpu, double? f) => new(t, cpu, 0, f is { } v ? Option<double>.Some(v) : Option<double>.None, 0);
        Assert.IsType<TrialOutcome.Held>(Judge.Status(Seq1(S(1, 1, 0.1)).Add(S(2, 2, 0.5))));
        Assert.IsType<TrialOutcome.Broken>(Judge.Status(Seq1(S(1, 2, 0.1)).Add(S(2, 1, 0.5))));
        Assert.IsType<TrialOutcome.Broken>(Judge.Status(Seq1(S(1, 1, 0.3))));
        Assert.IsType<TrialOutcome.Broken>(Judge.Status(Seq<StatusSample>.Empty));
    }

    [Fact]
    public void Suspend_is_broken_when_the_job_stops_late_or_cpu_is_counted()
    {
        var done = new StartFacts(0, 0, Option<string>.None, "");
        var work = new WorkFacts(new[] { 0 }.ToSeq(), "1", "1", Seq<string>.Empty);
        Assert.IsType<TrialOutcome.Held>(Judge.Suspend(new SuspendFacts(0.3, 4, 4.2, 0, done, work)));
        Assert.IsType<TrialOutcome.Broken>(Judge.Suspend(new SuspendFacts(2.5, 4, 4, 0, done, work)));
        Assert.IsType<TrialOutcome.Broken>(Judge.Suspend(new SuspendFacts(Option<double>.None, 4, 4, 3, done, work)));
        Assert.IsType<TrialOutcome.Broken>(Judge.Suspend(new SuspendFacts(0.3, 4, 8, 0, done, work)));
    }

    [Property]
    public bool Abort_holds_only_with_nothing_left_and_an_exit_in_time(NonNegativeInt seconds, string[] leftovers)
    {
        var left = (leftovers ?? Array.Empty<string>()).Select(l => l ?? "").ToSeq();
        var verdict = Judge.Abort(Option<double>.Some(seconds.Get), left);
        return (verdict is TrialOutcome.Held) == (left.IsEmpty && seconds.Get <= 60);
    }

    private static Seq<T> Seq1<T>(T item) => new[] { item }.ToSeq();
}
