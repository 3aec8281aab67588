using System;
using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Checkpoints.Model;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Checkpoints;

/// <summary>
/// The crash promise for the checkpoint store, by enumeration: every generated run is crashed after every
/// file-system operation, with every subset of the pending operations (bounded; see <see cref="Bounds"/>) and
/// every data write torn at every block boundary, and wherever the wrapper dies midway it is also killed there
/// and its restart and next commit are crashed the same way. Smaller bounds than model-check's default, so
/// the suite stays quick; model-check runs the large ones.
/// </summary>
public class CrashModelProperties
{
    /// <summary>The suite's bounds: every subset up to 8 pending operations, 32 samples beyond, 32-char blocks.</summary>
    public static readonly CrashBounds Bounds = new(8, 32, 32);

    public static readonly ExploreOptions VariantSearch = new(Runs: 40, Length: 8, Seed: 4242, Bounds, Bounds, StopAtFirst: true);

    [Property(MaxTest = 25)]
    public Property Core_protocol_no_run_loses_an_acknowledged_generation_wherever_the_host_crashes() =>
        Prop.ForAll(Generators.CrashRunArb(8), run =>
        {
            var (failure, counts) = CrashExplorer.ExploreRun(new CoreProtocolStore(ProtocolVariant.Correct), run.ToSeq(), Bounds, Bounds, 2, 7, 0);
            return failure.IsNone.Label(failure.Map(f => f.Story + ": " + string.Join("; ", f.Violations)).IfNone(""))
                .And((counts.CrashPoints > 0 || run.All(s => s is Step.HostCrash or Step.Writeback or Step.ContainerRemoved or Step.WrapperKilled)).Label("no crash point explored"));
        });

    public static TheoryData<ProtocolVariant> Refuted() => new(Variants.All.Filter(v => v.Expect == VariantExpectation.Refuted).Map(v => v.Variant));

    public static TheoryData<ProtocolVariant> Redundant() => new(Variants.All.Filter(v => v.Expect == VariantExpectation.Holds && v.Variant != ProtocolVariant.Correct).Map(v => v.Variant));

    /// <summary>The teeth: each single omitted or reordered step is refuted, the story replays, and is harmless under the shipped protocol.</summary>
    [Theory]
    [MemberData(nameof(Refuted))]
    public void Each_broken_variant_has_a_shrunk_replayable_counterexample(ProtocolVariant variant)
    {
        var r = CrashExplorer.Explore(new CoreProtocolStore(variant), VariantSearch);
        Assert.True(r.Counterexample.IsSome, $"{variant}: no counterexample in {r.Counts}");
        r.Counterexample.Iter(c =>
        {
            Assert.True(c.Steps.Count <= c.OriginalLength);
            Assert.True(Replay(variant, c).IsSome, $"{variant}: the shrunk story does not fail again: {c.Story}");
            var shipped = Replay(ProtocolVariant.Correct, c);
            Assert.True(shipped.IsNone, $"{c.Story} also fails the shipped protocol: {shipped.Map(s => s.Story).IfNone("")}");
        });
    }

    /// <summary>The steps documented as defence in depth: omitting one loses nothing within the suite's bounds.</summary>
    [Theory]
    [MemberData(nameof(Redundant))]
    public void A_redundant_step_can_be_omitted_without_a_counterexample(ProtocolVariant variant)
    {
        var r = CrashExplorer.Explore(new CoreProtocolStore(variant), VariantSearch with { Runs = 6, StopAtFirst = false });
        Assert.True(r.Counterexample.IsNone, r.Counterexample.Map(c => c.Story + ": " + string.Join("; ", c.Violations)).IfNone(""));
        Assert.True(r.Counts.CrashStates > 1000, $"only {r.Counts}");
    }

    /// <summary>A counterexample is a run whose last step is crashed everywhere: replay does exactly that.</summary>
    private static Option<Counterexample> Replay(ProtocolVariant variant, Counterexample c) =>
        CrashExplorer.ExploreRun(new CoreProtocolStore(variant), c.Steps, Bounds, Bounds, 2, 7, c.Steps.Count - 1).Failure;
}
