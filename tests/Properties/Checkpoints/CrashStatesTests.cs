using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Verification.Model;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Checkpoints;

/// <summary>What a crash point enumerates: every subset up to the bound, every torn write at every block boundary.</summary>
public class CrashStatesTests
{
    private static ModelFs WithPending(int files, int chars)
    {
        var fs = ModelFs.Empty();
        for (var i = 0; i < files; i++)
            fs = fs.Apply(new FsEffect.WriteFile($"f{i}", new string((char)('a' + i), chars))).IfFail(fs);
        return fs; // each file: a link and a data write, all pending
    }

    [Fact]
    public void Up_to_the_bound_every_subset_of_the_pending_operations_is_a_crash_state()
    {
        // Given 12 pending operations (6 files: a link and a data write each)
        var fs = WithPending(6, 5);
        Assert.Equal(12, fs.PendingOps.Count);

        // When the crash states are chosen with blocks larger than any write (no tears)
        var states = CrashStates.Choose(fs, new CrashBounds(12, 0, 100), 1);

        // Then every one of the 4096 subsets is there once, each data write torn to 0 chars twice (the last once: no
        // operation follows it) and holed at 0 once
        var subsets = states.Where(c => c.Torn < 0).Select(c => string.Concat(c.Keep.Select(k => k ? '1' : '0'))).ToList();
        Assert.Equal(4096, subsets.Count);
        Assert.Equal(4096, subsets.Distinct().Count());
        Assert.Equal(6 * 2 - 1, states.Count(c => c.Torn >= 0 && c.HoleLength == 0));
        Assert.Equal(6, states.Count(c => c.Torn >= 0 && c.HoleLength > 0));
    }

    [Fact]
    public void Beyond_the_bound_prefixes_all_but_one_and_seeded_samples()
    {
        var fs = WithPending(7, 5);
        var states = CrashStates.Choose(fs, new CrashBounds(12, 50, 100), 1);
        var n = 14;
        Assert.Equal((n + 1) + n + 50, states.Count(c => c.Torn < 0));
        for (var cut = 0; cut <= n; cut++)
            Assert.Contains(states, c => c.Torn < 0 && c.Keep.Select((k, i) => k == i < cut).All(x => x));
    }

    [Fact]
    public void Every_pending_data_write_is_torn_at_every_block_boundary()
    {
        // Given one pending write of 40 chars and 16-char blocks
        var fs = WithPending(1, 40);
        var states = CrashStates.Choose(fs, new CrashBounds(12, 0, 16), 1);

        // Then it is torn to 0, 16 and 32 chars, and each tear leaves exactly that prefix
        var tears = states.Where(c => c.Torn >= 0 && c.HoleLength == 0).ToList();
        Assert.Equal(new[] { 0, 16, 32 }, tears.Select(c => c.TornTo).Distinct().OrderBy(x => x));
        foreach (var t in tears)
            Assert.Equal(new string('a', t.TornTo), t.Apply(fs).Volatile.Read("f0").IfNone("missing"));

        // And it loses each 16-char block on its own, the rest of it arriving (the new file held nothing durably: NULs)
        var holes = states.Where(c => c.Torn >= 0 && c.HoleLength > 0).ToList();
        Assert.Equal(new[] { 0, 16, 32 }, holes.Select(c => c.TornTo).OrderBy(x => x));
        foreach (var h in holes)
        {
            var expected = new string('a', 40).ToCharArray();
            for (var i = h.TornTo; i < System.Math.Min(40, h.TornTo + 16); i++) expected[i] = '\0';
            Assert.Equal(new string(expected), h.Apply(fs).Volatile.Read("f0").IfNone("missing"));
        }
    }

    [Fact]
    public void A_crash_inside_a_commit_is_reached_at_every_operation_with_every_subset()
    {
        // Given a run whose only wrapper step is one commit
        var run = new Step[] { new Step.AppWrites(true), new Step.Commit(-1) }.ToSeq();

        // When the explorer crashes it
        var (failure, counts) = CrashExplorer.ExploreRun(new CoreProtocolStore(ProtocolVariant.Correct), run, CrashModelProperties.Bounds, CrashModelProperties.Bounds, 2, 1, 0);

        // Then there is a crash point after each of the commit's operations (and the app's), and nothing is lost
        Assert.True(failure.IsNone);
        var commit = CommitProtocol.Stage(StoreState.Missing, new[] { "ckpt/a.dat", "ckpt/b.dat", "state.bin" }.ToSeq(), ProtocolVariant.Correct).IfFail(default(StagePlan)!);
        Assert.True(counts.CrashPoints >= commit.Effects.Count + 4, $"{counts}");
        Assert.Equal(counts.CrashPoints, counts.ExhaustivePoints + counts.SampledPoints);
    }
}
