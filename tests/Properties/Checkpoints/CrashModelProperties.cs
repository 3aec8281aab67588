using System;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Checkpoints.Model;
using FsCheck;
using FsCheck.Experimental;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Boinc.Persist.Properties.Checkpoints;

public class CrashModelProperties
{
    /// <summary>The shipped protocol: no sequence of the operations loses an acknowledged generation.</summary>
    [Property(MaxTest = 5000)]
    public Property No_crash_sequence_loses_an_acknowledged_generation() => new CrashMachine(ProtocolVariant.Correct, 40).ToProperty();

    /// <summary>The teeth: the same machine finds a counterexample for every broken protocol.</summary>
    [Theory]
    [InlineData(ProtocolVariant.NoFileFsync)]
    [InlineData(ProtocolVariant.NoDirFsync)]
    [InlineData(ProtocolVariant.ManifestInPlace)]
    [InlineData(ProtocolVariant.DeleteBeforeDurable)]
    public void The_machine_finds_a_counterexample_for_each_broken_protocol(ProtocolVariant variant)
    {
        var config = FsCheck.Config.QuickThrowOnFailure.WithMaxTest(3000).WithReplay(20261129UL, 7UL).WithQuietOnSuccess(true);
        var failure = Assert.ThrowsAny<Exception>(() => Check.One(config, new CrashMachine(variant, 40).ToProperty()));
        Assert.Contains("Falsifiable", failure.Message);
    }

    /// <summary>The explorer behind model-check, many crash states per host crash: nothing for the shipped protocol.</summary>
    [Fact]
    public void The_explorer_finds_nothing_for_the_shipped_protocol()
    {
        var r = CrashExplorer.Explore(new ExploreOptions(ProtocolVariant.Correct, 5000, 30, 4, 4242));
        Assert.True(r.Counterexample.IsNone, r.Counterexample.Map(c => c.Story + ": " + string.Join("; ", c.Violations)).IfNone(""));
        Assert.True(r.CrashStates > 10_000, $"only {r.CrashStates} crash states explored");
    }

    [Theory]
    [InlineData(ProtocolVariant.NoFileFsync)]
    [InlineData(ProtocolVariant.NoDirFsync)]
    [InlineData(ProtocolVariant.ManifestInPlace)]
    [InlineData(ProtocolVariant.DeleteBeforeDurable)]
    public void The_explorer_finds_a_shrunk_replayable_counterexample_for_each_broken_protocol(ProtocolVariant variant)
    {
        var r = CrashExplorer.Explore(new ExploreOptions(variant, 5000, 30, 16, 4242, StopAtFirst: true));
        Assert.True(r.Counterexample.IsSome, $"{variant}: no counterexample in {r.Sequences} sequences, {r.CrashStates} crash states");
        r.Counterexample.Iter(c =>
        {
            Assert.True(c.Steps.Count <= c.OriginalLength);
            Assert.False(CrashExplorer.Replay(variant, c.Steps).IsEmpty);
            // The same story is harmless under the shipped protocol.
            Assert.True(CrashExplorer.Replay(ProtocolVariant.Correct, c.Steps).IsEmpty, c.Story);
        });
    }
}
