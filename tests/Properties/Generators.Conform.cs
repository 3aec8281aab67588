using Boinc.Persist.Core.Verification.Conform;
using FsCheck;
using FsCheck.Fluent;

namespace Boinc.Persist.Properties;

public static partial class Generators
{
    /// <summary>A trial outcome with arbitrary evidence text (newlines and quotes included).</summary>
    public static Arbitrary<TrialOutcome> TrialOutcomes() => Arb.From(
        from kind in Gen.Choose(0, 2)
        from evidence in ArbMap.Default.GeneratorFor<string>().Select(s => s ?? "")
        select kind switch
        {
            0 => (TrialOutcome)new TrialOutcome.Held(evidence),
            1 => new TrialOutcome.Broken(evidence),
            _ => new TrialOutcome.NotRun(evidence),
        });
}
