using System;
using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Verification.Model;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Verification.Simulation;
using LanguageExt;
using Xunit;
using static Boinc.Persist.Properties.Checkpoints.StoreExamples;

namespace Boinc.Persist.Properties.Checkpoints;

/// <summary>
/// A generation whose trailer would not read back as itself is never acknowledged: every reader would take its pack
/// for a torn commit and remove it. (The wrapper clamps the fraction done it reads; a NaN here stands for any value
/// the trailer's parser refuses.)
/// </summary>
public sealed class SealReadBackTests
{
    [Fact]
    public void The_shipped_store_refuses_a_commit_whose_trailer_would_not_read_back_and_keeps_the_previous_generation()
    {
        // Given a store holding generation 1
        var slot = new ModelSlotFiles(ModelFs.Empty().Run(Effects(new FsEffect.WriteFile("state.bin", "v1"))).Fs, -1);
        using var store = Open(slot);
        Assert.Equal(1, store.Commit(1_000_000_000, 0.1, "t").Map(g => g.Number).IfFail(0));

        // When a commit's record holds a value the trailer's parser refuses
        var refused = store.Commit(2_000_000_000, double.NaN, "t");

        // Then it fails, saying why, leaves no pack behind, and generation 1 is still the store's newest
        Assert.True(refused.IsFail);
        Assert.Contains("would not read back", refused.Match(_ => "", e => e.Message));
        Assert.False(slot.Fs.Volatile.Names.ContainsKey(StoreLayout.PackPath(2)));
        Assert.Equal(new[] { 1L }, store.List().IfFail(Seq<GenerationStatus>.Empty).Map(g => g.Info.Number).ToArray());
    }
}
