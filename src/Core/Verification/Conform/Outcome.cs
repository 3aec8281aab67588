using System;
using System.Linq;
using LanguageExt;

namespace Boinc.Persist.Core.Verification.Conform;

/// <summary>
/// What one trial of a scenario says about one guarantee. Closed union. <see cref="NotRun"/> (the scenario
/// could not reach the point where the guarantee is checked, e.g. the wrapper exited at once) is never counted
/// as held.
/// </summary>
public abstract record TrialOutcome
{
    private TrialOutcome() { }

    public abstract string Evidence { get; }

    public sealed record Held(string Evidence) : TrialOutcome
    {
        public override string Evidence { get; } = Evidence;
    }

    public sealed record Broken(string Evidence) : TrialOutcome
    {
        public override string Evidence { get; } = Evidence;
    }

    public sealed record NotRun(string Evidence) : TrialOutcome
    {
        public override string Evidence { get; } = Evidence;
    }
}

/// <summary>The verdict on a guarantee over all its trials.</summary>
public enum Verdict
{
    /// <summary>Every trial held.</summary>
    Held,

    /// <summary>At least one trial broke it (evidence from the first that did).</summary>
    Broken,

    /// <summary>No trial broke it, but at least one could not be run: not a pass.</summary>
    NotRun,
}

/// <summary>A guarantee with the outcomes of its trials, in trial order.</summary>
public sealed record GuaranteeResult(Guarantee Guarantee, Seq<TrialOutcome> Trials)
{
    public int HeldCount => Trials.Count(t => t is TrialOutcome.Held);

    public Verdict Verdict =>
        Trials.Exists(t => t is TrialOutcome.Broken) ? Verdict.Broken
        : Trials.IsEmpty || Trials.Exists(t => t is TrialOutcome.NotRun) ? Verdict.NotRun
        : Verdict.Held;

    /// <summary>The evidence shown: the first broken trial's, else the first not-run's, else the last held one's.</summary>
    public string Evidence =>
        Trials.Find(t => t is TrialOutcome.Broken)
            .IfNone(() => Trials.Find(t => t is TrialOutcome.NotRun)
                .IfNone(() => Trials.LastOrNone().IfNone(() => new TrialOutcome.NotRun("no trial ran"))))
            .Evidence;

    public static GuaranteeResult Of(Guarantee g, Seq<TrialOutcome> trials) => new(g, trials);
}

/// <summary>The suite's exit code: 0 only when every selected guarantee held.</summary>
public static class SuiteVerdict
{
    public static int ExitCode(Seq<GuaranteeResult> results) =>
        !results.IsEmpty && results.ForAll(r => r.Verdict == Verdict.Held) ? 0 : 1;

    public static string Label(Verdict v) => v switch
    {
        Verdict.Held => "HELD",
        Verdict.Broken => "BROKEN",
        _ => "NOT RUN",
    };

    /// <summary>One line, no control characters, at most <paramref name="max"/> characters.</summary>
    public static string OneLine(string text, int max = 220)
    {
        var flat = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        while (flat.Contains("  ", StringComparison.Ordinal))
            flat = flat.Replace("  ", " ", StringComparison.Ordinal);
        flat = flat.Trim();
        return flat.Length <= max ? flat : flat[..(max - 3)] + "...";
    }
}
