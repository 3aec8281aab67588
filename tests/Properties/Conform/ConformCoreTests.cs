using System;
using System.Linq;
using System.Text.Json;
using Boinc.Persist.Core.Verification.Conform;
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
        var verdict = Judge.Abort(Seq1("container c"), Option<double>.Some(seconds.Get), left);
        return (verdict is TrialOutcome.Held) == (left.IsEmpty && seconds.Get <= 60);
    }

    /// <summary>
    /// The class of issue 15's false HELDs: a wrapper that did nothing observable (it exited, or not, with any
    /// code and any stderr that names no refused instruction, wrote at most a finish file, started no job, sent
    /// no status, ran no container) holds no guarantee, whatever each judge is asked.
    /// </summary>
    [Property]
    public Property A_wrapper_that_did_nothing_observable_holds_no_guarantee(
        bool exited, int exit, bool finished, int finish, string stderr, NonNegativeInt committed, double seconds, string state)
    {
        var err = stderr ?? "";
        var run = new StartFacts(exited ? exit : Option<int>.None, finished ? finish : Option<int>.None, Option<string>.None, err);
        var nothing = new WorkFacts(Seq<int>.Empty, Option<string>.None, "42", Seq<string>.Empty);
        var probe = new ProbeFacts(Map<string, string>.Empty, run);
        var stop = Option<double>.Some(Math.Abs(seconds) % 100);
        var verdicts = new (string, TrialOutcome)[]
        {
            ("G01", Judge.Completion(run, nothing)),
            ("G02-G06", Judge.Resumed("fault", committed.Get, run, nothing)),
            ("G02-G06 restart", Judge.Resumed("fault", committed.Get, run, nothing, mustRestart: true)),
            ("G05", Judge.NeverRerun(0, run, nothing)),
            ("G07", Judge.Suspend(new SuspendFacts(stop, 0, 0, 0, run, nothing))),
            ("G09", Judge.Abort(Seq<string>.Empty, stop, Seq<string>.Empty)),
            ("G10", Judge.CheckpointAcks(Seq<StatusSample>.Empty, run)),
            ("G11", Judge.BuildContext(run, Option<string>.None)),
            ("G12", Judge.OutsideWrite(probe)),
            ("G13", Judge.ProjectDir(probe)),
            ("G14", Judge.Input(probe, "copy_input", "x")),
            ("G15", Judge.EngineUnavailable(run)),
            ("G16", Judge.LostHeartbeat(state == "running" ? "absent" : state ?? "absent", stop, "absent")),
            ("G18", Judge.Status(Seq<StatusSample>.Empty)),
            ("G19", Judge.FailedOnce(run, run, 0)),
        };
        var held = verdicts.Where(v => v.Item2 is TrialOutcome.Held).Select(v => $"{v.Item1}: {v.Item2.Evidence}").ToArray();
        return (held.Length == 0 || Judge.NamesRefusedInstruction(err).IsSome && held.All(h => h.StartsWith("G11", StringComparison.Ordinal)))
            .Label(string.Join(" | ", held));
    }

    [Property]
    public bool Checkpoint_acknowledgements_are_held_only_after_an_advance_and_say_how_many(NonNegativeInt[] disk, bool[] advance)
    {
        // Samples whose checkpoint CPU advances where the generated flag says, backed by a disk step that grows.
        var ckpt = 0.0;
        var samples = disk.Select((d, i) =>
        {
            if (i < advance.Length && advance[i])
                ckpt += 1;
            return new StatusSample(i, ckpt + 1, ckpt, Option<double>.None, i + 1);
        }).ToSeq().Strict();
        var advances = samples.Count(s => s.CheckpointCpu > 0) == 0 ? 0 : samples.Map(s => s.CheckpointCpu).Distinct().Count(c => c > 0);
        var verdict = Judge.CheckpointAcks(samples, new StartFacts(0, 0, Option<string>.None, ""));
        return advances == 0
            ? verdict is TrialOutcome.NotRun
            : verdict is TrialOutcome.Held h && h.Evidence.Contains($"advanced {advances} time(s)", StringComparison.Ordinal);
    }

    [Fact]
    public void A_refusal_holds_only_when_the_wrapper_names_the_instruction_and_claims_no_success()
    {
        var said = "boinc-persist: Dockerfile:2: COPY reads '.' from the build context. The slot ...";
        var held = Judge.BuildContext(new StartFacts(1, 1, Option<string>.None, said), Option<string>.None);
        Assert.IsType<TrialOutcome.Held>(held);
        Assert.Contains("COPY reads '.'", held.Evidence);
        Assert.IsType<TrialOutcome.NotRun>(Judge.BuildContext(new StartFacts(1, Option<int>.None, Option<string>.None, ""), Option<string>.None));
        Assert.IsType<TrialOutcome.NotRun>(Judge.BuildContext(new StartFacts(0, Option<int>.None, Option<string>.None, "COPYRIGHT 2024"), Option<string>.None));
        Assert.IsType<TrialOutcome.Broken>(Judge.BuildContext(new StartFacts(0, 0, Option<string>.None, said), Option<string>.None));
        Assert.IsType<TrialOutcome.Broken>(Judge.BuildContext(new StartFacts(0, 0, Option<string>.None, ""), Option<string>.Some("etc\nsecret\n")));
        Assert.IsType<TrialOutcome.Held>(Judge.BuildContext(new StartFacts(0, 0, Option<string>.None, ""), Option<string>.Some("")));
    }

    [Property]
    public bool A_lost_client_holds_only_for_a_container_seen_running_when_it_died(string state, double seconds, string last)
    {
        var verdict = Judge.LostHeartbeat(state ?? "", Option<double>.Some(Math.Abs(seconds) % 60), last ?? "", 38);
        return state == "running" ? verdict is not TrialOutcome.NotRun : verdict is TrialOutcome.NotRun;
    }

    [Property]
    public bool A_fault_happened_only_if_a_container_was_acted_on_and_the_evidence_names_each(
        NonEmptyString[] names, bool[] running, bool[] failed)
    {
        var targets = names.Select((n, i) => new FaultTarget(
            n.Get, i < running.Length && running[i] ? "running" : "exited",
            i < failed.Length && failed[i] ? Option<string>.Some("no such container") : Option<string>.None)).ToSeq().Strict();
        var injected = Judge.FaultInjected("remove", targets);
        var mustFail = targets.IsEmpty || targets.Exists(t => t.Failure.IsSome && t.StateBefore == "running");
        return mustFail
            ? injected.Match(_ => false, o => o is TrialOutcome.NotRun)
            : injected.Match(e => targets.ForAll(t => e.Contains($"container {t.Name} ", StringComparison.Ordinal)), _ => false);
    }

    [Fact]
    public void A_resume_needs_a_second_start_when_the_fault_took_the_container()
    {
        var run = new StartFacts(0, 0, Option<string>.None, "");
        var once = new WorkFacts(new[] { 0 }.ToSeq(), "42", "42", Seq<string>.Empty);
        var twice = new WorkFacts(new[] { 0, 8 }.ToSeq(), "42", "42", Seq<string>.Empty);
        Assert.IsType<TrialOutcome.NotRun>(Judge.Resumed("reboot", 8, run, once, mustRestart: true));
        Assert.IsType<TrialOutcome.Held>(Judge.Resumed("reboot", 8, run, twice, mustRestart: true));
        Assert.IsType<TrialOutcome.Held>(Judge.Resumed("wrapper SIGKILL", 8, run, once));
    }

    private static Seq<T> Seq1<T>(T item) => new[] { item }.ToSeq();
}
