using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Boinc.Persist.Core.Verification.Conform;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Conform;

/// <summary>What one trial of a scenario says, per guarantee id.</summary>
public sealed record ScenarioOutcome(Seq<(string Id, TrialOutcome Outcome)> Outcomes)
{
    public static ScenarioOutcome Of(params (string, TrialOutcome)[] outcomes) => new(outcomes.ToSeq());

    /// <summary>The same outcome for every guarantee of the scenario (e.g. it could not run).</summary>
    public static ScenarioOutcome All(Seq<string> ids, TrialOutcome outcome) => new(ids.Map(id => (id, outcome)));
}

/// <summary>
/// Runs the selected guarantees' scenarios: randomized ones <c>trials</c> times with seeded fault timings, the
/// others once, each in a fresh data directory that is removed with everything the engine holds for it.
/// A scenario that throws is reported as not run with the exception, never a crash of the suite.
/// </summary>
public static class ScenarioRunner
{
    public static async Task<Seq<GuaranteeResult>> Run(
        ConformOptions options, TrialSetup setup, string suiteMark, Action<string> progress)
    {
        var scenarios = Catalogue.ScenariosOf(options.Selected);
        var outcomes = new Dictionary<string, Seq<TrialOutcome>>();
        var index = 0;
        var total = scenarios.Sum(s => TrialsOf(s, options));
        foreach (var scenario in scenarios)
        {
            var ids = options.Selected.Filter(g => g.Scenario == scenario).Map(g => g.Id);
            for (var trial = 1; trial <= TrialsOf(scenario, options); trial++)
            {
                index++;
                var mark = $"{suiteMark}x{index:D2}";
                var random = new Random(unchecked(options.Seed * 7919 + trial * 104729 + Stable(scenario)));
                progress($"[{index}/{total}] {scenario} (trial {trial}, {string.Join(",", ids)}) ...");
                var started = DateTime.UtcNow;
                ScenarioOutcome result;
                try
                {
                    result = await ScenarioPlays.Run(scenario, ids, setup, mark, random).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    result = ScenarioOutcome.All(ids, new TrialOutcome.NotRun($"the scenario failed: {e.GetType().Name}: {e.Message}"));
                }

                foreach (var (id, outcome) in result.Outcomes.Filter(o => ids.Contains(o.Id)))
                {
                    outcomes[id] = (outcomes.TryGetValue(id, out var seen) ? seen : Seq<TrialOutcome>.Empty).Add(outcome);
                    progress($"    {id}: {SuiteVerdict.Label(outcome switch { TrialOutcome.Held => Verdict.Held, TrialOutcome.Broken => Verdict.Broken, _ => Verdict.NotRun })} - {SuiteVerdict.OneLine(outcome.Evidence, 200)}");
                }

                progress($"    ({(DateTime.UtcNow - started).TotalSeconds:0.0} s)");
            }
        }

        return options.Selected.Map(g => GuaranteeResult.Of(g, outcomes.TryGetValue(g.Id, out var t) ? t : Seq<TrialOutcome>.Empty));
    }

    private static int TrialsOf(string scenario, ConformOptions options) =>
        Catalogue.All.Exists(g => g.Scenario == scenario && g.Randomized) ? options.Trials : 1;

    // string.GetHashCode is randomized per process: seeds must be stable across runs.
    private static int Stable(string s)
    {
        var h = 17;
        foreach (var c in s)
            h = unchecked(h * 31 + c);
        return h;
    }
}
