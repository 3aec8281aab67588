using System;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Shell.Checkpoints;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Checkpoints;

/// <summary>
/// The shipped store on the real disk remembers the pack trailers it read or wrote, so a commit need not read them
/// again; a pack changed since (here: its footer damaged in place, same inode and size) is read again, as if nothing
/// were remembered.
/// </summary>
public sealed class TrailerCacheTests : IDisposable
{
    private readonly string slot = Directory.CreateTempSubdirectory("trailer-cache-").FullName;

    public void Dispose() => Directory.Delete(slot, recursive: true);

    [Fact]
    public void A_pack_changed_in_place_since_the_last_commit_is_read_again()
    {
        // Given a store that committed generation 1, whose pack then lost its footer's last byte in place
        using var store = CheckpointStore.Open(slot, CheckpointConfig.Default with { Files = new[] { "state.bin" }.ToSeq(), Keep = 3 }, TimeProvider.System);
        File.WriteAllText(Path.Combine(slot, "state.bin"), "a");
        Assert.Equal(1, store.Commit(1, 0.1, "t").Map(g => g.Number).IfFail(0));
        var pack1 = Path.Combine(slot, StoreLayout.PackPath(1));
        using (var f = new FileStream(pack1, FileMode.Open, FileAccess.Write))
        {
            f.Position = f.Length - 1;
            f.WriteByte((byte)'X');
        }

        // When it commits generation 2
        File.WriteAllText(Path.Combine(slot, "state.bin"), "b");
        Assert.Equal(2, store.Commit(2, 0.2, "t").Map(g => g.Number).IfFail(0));

        // Then the commit saw pack 1 unsealed (a remembered trailer would have kept it as generation 1) and removed it
        Assert.False(File.Exists(pack1));
        Assert.Equal(new[] { 2L }, store.List().IfFail(Seq<GenerationStatus>.Empty).Map(g => g.Info.Number).ToArray());
    }

    [Fact]
    public void Commits_that_remember_trailers_list_and_retire_as_a_fresh_store_sees_them()
    {
        // Given a store that commits six times with keep = 3
        var config = CheckpointConfig.Default with { Files = new[] { "state.bin" }.ToSeq(), Keep = 3 };
        using (var store = CheckpointStore.Open(slot, config, TimeProvider.System))
        {
            for (var i = 1; i <= 6; i++)
            {
                File.WriteAllText(Path.Combine(slot, "state.bin"), $"v{i}");
                Assert.Equal(i, store.Commit(i, i / 10.0, "t").Map(g => g.Number).IfFail(0));
            }
        }

        // When a fresh store (remembering nothing) lists them
        using var fresh = CheckpointStore.Open(slot, config, TimeProvider.System);
        var listed = fresh.List().IfFail(Seq<GenerationStatus>.Empty);

        // Then the three newest are there and verify, and no other pack is
        Assert.Equal(new[] { 6L, 5L, 4L }, listed.Map(g => g.Info.Number).ToArray());
        Assert.True(listed.ForAll(g => g.Problem.IsNone));
        Assert.Equal(3, Directory.GetFiles(Path.Combine(slot, StoreLayout.StoreDir)).Length);
    }
}
