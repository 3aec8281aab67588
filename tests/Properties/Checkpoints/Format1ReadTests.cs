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
/// A slot whose store an earlier version wrote in format 1 (generation directories and a manifest), run by the
/// shipped CheckpointStore over the model file system: recovery reads it, the first pack commit converts it, and a
/// crash anywhere in that first commit leaves either the format-1 generation or the new pack, never nothing.
/// </summary>
public sealed class Format1ReadTests
{
    private const long Format1Cpu = 5_000_000_000;

    [Fact]
    public void Recovery_restores_a_format_1_generation_and_reports_its_cpu_time()
    {
        // Given a format-1 store holding generation 3 ("v1"), and the app's file changed since
        var fs = Format1Store().Run(Effects(new FsEffect.WriteFile("state.bin", "zz"))).Fs;

        // When the shipped store recovers
        var (report, after) = Recover(fs);

        // Then it restarts from generation 3 with its CPU time, and WORKDIR holds its bytes
        Assert.Equal(Option<long>.Some(3), report.Chosen.Map(g => g.Number));
        Assert.Equal(Format1Cpu, report.CpuNanos);
        Assert.Equal(Option<string>.Some("v1"), after.Volatile.Read("state.bin"));
    }

    [Fact]
    public void The_first_pack_commit_keeps_format_1s_newest_beside_it_and_the_next_converts_the_store()
    {
        // Given a format-1 store
        var fs = Format1Store().Run(Effects(new FsEffect.WriteFile("state.bin", "v2"))).Fs;

        // When the shipped store commits twice
        var slot = new ModelSlotFiles(fs, -1);
        using (var store = Open(slot))
        {
            Assert.Equal(4, store.Commit(6_000_000_000, 0.6, "t").Map(g => g.Number).IfFail(0));

            // Then the pack is generation 4, and format 1's generation 3 stays as the second of keep = 2
            var v = slot.Fs.Volatile;
            Assert.True(v.Names.ContainsKey(StoreLayout.PackPath(4)));
            Assert.True(v.DirExists(StoreLayout.GenerationDir(3)));
            Assert.Equal(new[] { 4L, 3L }, store.List().IfFail(Seq<GenerationStatus>.Empty).Map(g => g.Info.Number).ToArray());
            Assert.True(store.List().IfFail(Seq<GenerationStatus>.Empty).ForAll(g => g.Problem.IsNone));

            // And the next commit fills keep with packs: nothing of format 1 is left
            Assert.True(store.Commit(7_000_000_000, 0.7, "t").IsSucc);
            v = slot.Fs.Volatile;
            Assert.False(v.DirExists(StoreLayout.GenerationDir(3)));
            Assert.False(v.Names.ContainsKey(StoreLayout.ManifestPath));
            Assert.Equal(new[] { 5L, 4L }, store.List().IfFail(Seq<GenerationStatus>.Empty).Map(g => g.Info.Number).ToArray());
        }
    }

    [Fact]
    public void A_torn_first_pack_is_removed_and_the_format_1_generation_taken()
    {
        // Given a format-1 store and the pack of a first commit a crash cut short (no trailer)
        var fs = Format1Store().Run(Effects(new FsEffect.WriteFile("state.bin", "v2"), new FsEffect.PackFiles(Patterns, StoreLayout.PackPath(4)))).Fs;

        // When the shipped store recovers
        var (report, after) = Recover(fs);

        // Then generation 3 is taken, the torn pack is gone and the reason names it
        Assert.Equal(Option<long>.Some(3), report.Chosen.Map(g => g.Number));
        Assert.False(after.Volatile.Names.ContainsKey(StoreLayout.PackPath(4)));
        Assert.Contains(StoreLayout.PackPath(4) + " removed", report.Why);
        Assert.Equal(Option<string>.Some("v1"), after.Volatile.Read("state.bin"));
    }

    /// <summary>
    /// Every kill point of the first pack commit from a format-1 store, and at each every crash state (every subset of
    /// up to 12 pending operations, 64 samples beyond, every write torn and holed at every 8-char block): recovery
    /// takes generation 3 or 4, and 4 whenever the commit had returned it, with WORKDIR holding that generation's bytes.
    /// </summary>
    [Fact]
    public void A_crash_anywhere_in_the_first_pack_commit_keeps_a_generation()
    {
        var start = Format1Store().Run(Effects(new FsEffect.WriteFile("state.bin", "v2"))).Fs.Sync();
        var states = 0;
        for (var budget = 0; ; budget++)
        {
            var slot = new ModelSlotFiles(start, budget);
            var acked = false;
            try
            {
                using var store = Open(slot);
                acked = store.Commit(6_000_000_000, 0.6, "t").IsSucc;
            }
            catch (SimulatedKill)
            {
            }

            var k = 0;
            foreach (var c in CrashStates.Choose(slot.Fs, new CrashBounds(12, 64, 8), (ulong)budget))
            {
                var (report, after) = Recover(c.Apply(slot.Fs));
                var chosen = report.Chosen.Map(g => g.Number).IfNone(0);
                var where = $"commit stopped after {budget} operations, crash state {k++}: {c.Describe(slot.Fs)}; {report.Why}";
                Assert.True(acked ? chosen == 4 : chosen is 3 or 4, where);
                Assert.Equal(Option<string>.Some(chosen == 4 ? "v2" : "v1"), after.Volatile.Read("state.bin"));
                states++;
            }

            if (acked) break;
            Assert.True(budget < 100, "the commit never finished");
        }

        Assert.True(states > 100, $"{states} crash states");
    }

    /// <summary>What store format 1 left: generation 3 of state.bin ("v1") in gen-0000000003/00000 and MANIFEST, all durable.</summary>
    private static ModelFs Format1Store()
    {
        var g = new Generation(3, 1_700_000_000_000, Format1Cpu, 0.5, "old wrapper",
            new[] { new StoredFile(0, "state.bin", 2, CoreProtocolStore.Facts("v1").Digest) }.ToSeq());
        return ModelFs.Empty().Run(Effects(
            new FsEffect.WriteFile("state.bin", "v1"),
            new FsEffect.CreateDir(StoreLayout.StateDirName),
            new FsEffect.CreateDir(StoreLayout.StoreDir),
            new FsEffect.CreateDir(StoreLayout.GenerationDir(3)),
            new FsEffect.WriteFile(StoreLayout.StoredFile(3, 0), "v1"),
            new FsEffect.WriteFile(StoreLayout.ManifestPath, ManifestText.Format(new Manifest(new[] { g }.ToSeq()))))).Fs.Sync();
    }
}
