using System;
using System.Globalization;
using System.Linq;
using System.Text;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Hashing;
using Boinc.Persist.Core.Verification.Model;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Verification.Simulation;
using LanguageExt;
using Xunit;
using static Boinc.Persist.Properties.Checkpoints.StoreExamples;

namespace Boinc.Persist.Properties.Checkpoints;

/// <summary>
/// A slot whose store stop 34's wrapper wrote (pack v2: SHA-256 digests), run by the shipped CheckpointStore over the
/// model file system after an upgrade: recovery takes its generation, the next commit writes pack v3 (XXH3-128
/// digests) beside it, and with the v3 pack torn, the v2 generation is still taken and WORKDIR restored to it.
/// </summary>
public sealed class PackV2ReadTests
{
    private const long V2Cpu = 5_000_000_000;

    [Fact]
    public void Recovery_takes_a_v2_pack_and_restores_its_files()
    {
        // Given a v2 pack of generation 3 ("v1"), and the app's file changed since
        var fs = V2Store().Run(Effects(new FsEffect.Delete("state.bin"), new FsEffect.WriteFile("state.bin", "zz"))).Fs;

        // When the shipped store recovers
        var (report, after) = Recover(fs);

        // Then it restarts from generation 3 with its CPU time, and WORKDIR holds its bytes
        Assert.Equal(Option<long>.Some(3), report.Chosen.Map(g => g.Number));
        Assert.Equal(V2Cpu, report.CpuNanos);
        Assert.Equal(Option<string>.Some("v1"), after.Volatile.Read("state.bin"));
    }

    [Fact]
    public void A_workdir_file_equal_to_a_v2_packs_copy_is_left_alone()
    {
        // Given a v2 pack whose file WORKDIR still holds as committed
        var fs = V2Store();

        // When the shipped store recovers
        var (report, _) = Recover(fs);

        // Then nothing is restored: the file was hashed with SHA-256, the digest its generation records
        Assert.Equal(Option<long>.Some(3), report.Chosen.Map(g => g.Number));
        Assert.True(report.Restored.IsEmpty, string.Join(", ", report.Restored));
    }

    [Fact]
    public void The_next_commit_writes_pack_v3_beside_it_and_both_verify()
    {
        // Given a v2 store and the app's next checkpoint
        var fs = V2Store().Run(Effects(new FsEffect.Delete("state.bin"), new FsEffect.WriteFile("state.bin", "v2"))).Fs;
        var slot = new ModelSlotFiles(fs, -1);
        using var store = Open(slot);

        // When the shipped store commits
        Assert.Equal(4, store.Commit(6_000_000_000, 0.6, "t").Map(g => g.Number).IfFail(0));

        // Then generation 4 is a v3 pack recording an XXH3-128 digest, and both generations verify
        var pack = slot.Fs.Volatile.Read(StoreLayout.PackPath(4)).IfNone("");
        Assert.StartsWith("boinc-persist pack v3 ", pack[^PackFormat.FooterBytes..]);
        Assert.Contains($" {ContentDigest.Xxh3Prefix}{Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash("v2"u8))} state.bin\n", pack);
        var listed = store.List().IfFail(Seq<GenerationStatus>.Empty);
        Assert.Equal(new[] { 4L, 3L }, listed.Map(g => g.Info.Number).ToArray());
        Assert.True(listed.ForAll(g => g.Problem.IsNone), string.Join("; ", listed.Map(g => g.Problem.IfNone(""))));
    }

    [Theory]
    [InlineData("v1")] // WORKDIR already holds the v2 generation's bytes: hashed as the v3 pack records, they differ in kind and are copied again
    [InlineData("v2")]
    public void With_the_v3_pack_torn_the_v2_generation_is_taken_and_workdir_restored_to_it(string workdir)
    {
        // Given a v2 store, a v3 commit on top of it, and then the v3 pack's data damaged
        var fs = V2Store().Run(Effects(new FsEffect.Delete("state.bin"), new FsEffect.WriteFile("state.bin", "v2"))).Fs;
        var slot = new ModelSlotFiles(fs, -1);
        using (var store = Open(slot))
            Assert.True(store.Commit(6_000_000_000, 0.6, "t").IsSucc);
        var pack = slot.Fs.Volatile.Read(StoreLayout.PackPath(4)).IfNone("");
        fs = slot.Fs.Run(Effects(
            new FsEffect.Delete(StoreLayout.PackPath(4)), new FsEffect.WriteFile(StoreLayout.PackPath(4), "V2" + pack[2..]),
            new FsEffect.Delete("state.bin"), new FsEffect.WriteFile("state.bin", workdir))).Fs.Sync();

        // When the shipped store recovers
        var (report, after) = Recover(fs);

        // Then generation 3 is taken, the torn pack removed, and WORKDIR holds generation 3's bytes
        Assert.Equal(Option<long>.Some(3), report.Chosen.Map(g => g.Number));
        Assert.Contains(report.Rejected, r => r.Number == 4 && r.Why.Contains("XXH3-128", StringComparison.Ordinal));
        Assert.False(after.Volatile.Names.ContainsKey(StoreLayout.PackPath(4)));
        Assert.Equal(Option<string>.Some("v1"), after.Volatile.Read("state.bin"));
    }

    /// <summary>What stop 34's wrapper left: generation 3 of state.bin ("v1") in a v2 pack (SHA-256), all durable.</summary>
    private static ModelFs V2Store()
    {
        var g = new Generation(3, 1_700_000_000_000, V2Cpu, 0.5, "stop 34 wrapper",
            new[] { new StoredFile(0, "state.bin", 2, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("v1"u8))) }.ToSeq());
        var trailer = ManifestText.Format(new Manifest(new[] { g }.ToSeq()));
        // The v2 footer as stop 34 wrote it: magic, data length and trailer length, 20 digits each.
        var footer = string.Create(CultureInfo.InvariantCulture, $"boinc-persist pack v2 {2:D20} {Encoding.UTF8.GetByteCount(trailer):D20}\n");
        Assert.Equal(PackFormat.FooterBytes, footer.Length);
        return ModelFs.Empty().Run(Effects(
            new FsEffect.WriteFile("state.bin", "v1"),
            new FsEffect.CreateDir(StoreLayout.StateDirName),
            new FsEffect.CreateDir(StoreLayout.StoreDir),
            new FsEffect.WriteFile(StoreLayout.PackPath(3), "v1" + trailer + footer))).Fs.Sync();
    }
}
