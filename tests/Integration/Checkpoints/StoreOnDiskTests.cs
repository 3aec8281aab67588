using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Shell;
using Boinc.Persist.Shell.Checkpoints;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Checkpoints;

public class StoreOnDiskTests
{
    private static readonly CheckpointConfig Config = CheckpointConfig.Default with
    {
        Files = new[] { "state.bin", "ckpt/*.dat" }.ToSeq(),
        DoneMarker = "checkpoint_done",
        Quiescence = TimeSpan.FromMilliseconds(300),
    };

    [Fact]
    public void Recovery_restores_changed_and_missing_files_and_removes_uncommitted_ones()
    {
        // Given two committed generations
        using var slot = new CheckpointSlot("restore");
        Directory.CreateDirectory(Path.Combine(slot.Root, "ckpt"));
        var store = CheckpointStore.Open(slot.Root, Config, TimeProvider.System);
        Write(slot.Root, "state.bin", "one");
        Assert.True(store.Commit(1, 0.1, "test").IsSucc);
        Write(slot.Root, "state.bin", "two");
        Write(slot.Root, "ckpt/a.dat", "a2");
        var g2 = store.Commit(2, 0.2, "test");
        Assert.Equal(2, g2.Map(g => g.Number).IfFail(0));

        // When the app writes after the last commit: a torn state.bin, a deleted a.dat, a new b.dat
        Write(slot.Root, "state.bin", "thr");
        File.Delete(Path.Combine(slot.Root, "ckpt/a.dat"));
        Write(slot.Root, "ckpt/b.dat", "uncommitted");
        Write(slot.Root, "output.txt", "not a checkpoint file");
        var report = CheckpointStore.Open(slot.Root, Config, TimeProvider.System).Recover();

        // Then generation 2 is back exactly, and what is not part of checkpoints is untouched
        Assert.True(report.RestoreError.IsNone, report.Why);
        Assert.Equal(Option<long>.Some(2), report.Chosen.Map(c => c.Number));
        Assert.Equal(2, report.CpuNanos);
        Assert.Equal("two", Read(slot.Root, "state.bin"));
        Assert.Equal("a2", Read(slot.Root, "ckpt/a.dat"));
        Assert.False(File.Exists(Path.Combine(slot.Root, "ckpt/b.dat")));
        Assert.Equal("not a checkpoint file", Read(slot.Root, "output.txt"));
        Assert.Equal(2, report.Restored.Count);
        Assert.Equal(new[] { "ckpt/b.dat" }, report.Removed.ToArray());
        Assert.Empty(Directory.EnumerateFiles(slot.Root, "*" + StoreLayout.RestoreSuffix, SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Listing_while_another_store_commits_and_prunes_never_crashes_and_never_reports_a_false_break()
    {
        // Given a wrapper committing (and pruning old generations) as fast as it can
        using var slot = new CheckpointSlot("listing");
        Directory.CreateDirectory(Path.Combine(slot.Root, "ckpt"));
        var writer = CheckpointStore.Open(slot.Root, Config, TimeProvider.System);
        Write(slot.Root, "state.bin", "0");
        Assert.True(writer.Commit(0, 0, "test").IsSucc);
        using var stop = new CancellationTokenSource();
        var committing = Task.Run(() =>
        {
            for (var i = 1; !stop.IsCancellationRequested; i++)
            {
                Write(slot.Root, "state.bin", i.ToString());
                var c = writer.Commit(i, 0, "test");
                Assert.True(c.IsSucc, $"commit {i}: {c}");
            }
        });

        // When `checkpoints` lists the same store from elsewhere, many times
        var reader = CheckpointStore.Open(slot.Root, Config, TimeProvider.System);
        var listed = 0;
        for (var n = 0; n < 5000; n++)
        {
            var result = reader.List();

            // Then each listing is whole and every generation in it verifies (or, after repeated races, a clear error)
            result.Match(
                list =>
                {
                    listed++;
                    Assert.All(list, g => Assert.True(g.Problem.IsNone, $"generation {g.Info.Number}: {g.Problem}"));
                },
                e => Assert.Contains("kept changing", e.Message));
        }

        stop.Cancel();
        await committing;
        Assert.True(listed > 0, "some listings completed");
    }

    [Fact]
    public void A_symlinked_checkpoint_file_never_brings_a_host_file_into_a_generation()
    {
        // Given a host file the job must not read, and a checkpoint file the container replaced by a link to it
        using var slot = new CheckpointSlot("symlink");
        Directory.CreateDirectory(Path.Combine(slot.Root, "ckpt"));
        var secret = Path.Combine(Path.GetTempPath(), "bp-secret-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(secret, "host secret");
        try
        {
            Write(slot.Root, "ckpt/a.dat", "fine");
            File.CreateSymbolicLink(Path.Combine(slot.Root, "state.bin"), secret);
            var store = CheckpointStore.Open(slot.Root, Config, TimeProvider.System);

            // When
            store.Commit(1, 0.5, "test");

            // Then no stored copy holds the secret
            var stored = Directory.GetFiles(Path.Combine(slot.Root, StoreLayout.StoreDir), "*", SearchOption.AllDirectories);
            Assert.DoesNotContain(stored, f => File.ReadAllText(f).Contains("host secret", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void A_corrupt_stored_file_makes_recovery_fall_back_and_checkpoints_report_it()
    {
        // Given three commits (keep = 2 leaves generations 2 and 3)
        using var slot = new CheckpointSlot("corrupt");
        var store = CheckpointStore.Open(slot.Root, Config, TimeProvider.System);
        foreach (var i in new[] { 1, 2, 3 })
        {
            Write(slot.Root, "state.bin", $"round {i}");
            Assert.True(store.Commit(i * 10, i / 10.0, "test").IsSucc);
        }

        // (Retention runs aside once a commit returned; the store's next operation waits for it.)
        Assert.Equal(new[] { 3L, 2L }, store.List().IfFail(Seq<GenerationStatus>.Empty).Map(g => g.Info.Number).ToArray());
        Assert.False(File.Exists(Path.Combine(slot.Root, StoreLayout.PackPath(1))), "retention kept generation 1");

        // When generation 3's copy rots ("round 3", the pack's first bytes, becomes "round X")
        using (var pack = new FileStream(Path.Combine(slot.Root, StoreLayout.PackPath(3)), FileMode.Open, FileAccess.Write))
        {
            pack.Position = 6;
            pack.WriteByte((byte)'X');
        }

        var stdout = new StringWriter();
        var code = Program.Run(new[] { "checkpoints", slot.Root }, stdout, new StringWriter());
        var json = new StringWriter();
        Program.Run(new[] { "checkpoints", slot.Root, "--json" }, json, new StringWriter());
        var report = CheckpointStore.Open(slot.Root, Config, TimeProvider.System).Recover();

        // Then the listing flags it, and recovery restarts from generation 2
        Assert.Equal(Program.Errors, code);
        Assert.Contains("BROKEN", stdout.ToString());
        Assert.Contains(" ok", stdout.ToString());
        var gens = JsonDocument.Parse(json.ToString()).RootElement.GetProperty("generations").EnumerateArray().ToArray();
        Assert.Equal(new long[] { 3, 2 }, gens.Select(g => g.GetProperty("generation").GetInt64()).ToArray());
        Assert.Equal(new[] { false, true }, gens.Select(g => g.GetProperty("intact").GetBoolean()).ToArray());
        Assert.Equal(Option<long>.Some(2), report.Chosen.Map(c => c.Number));
        Assert.Equal(20, report.CpuNanos);
        Assert.Equal("round 2", Read(slot.Root, "state.bin"));
        Assert.Contains(report.Rejected, r => r.Number == 3);
    }

    [Fact]
    public async Task The_watcher_signals_after_quiescence_and_at_once_for_the_done_marker()
    {
        // Given a watched slot
        using var slot = new CheckpointSlot("watch");
        // (a quiescence long enough that a loaded machine cannot stretch the gaps between the writes beyond it)
        var config = Config with { Quiescence = TimeSpan.FromSeconds(2) };
        using var watcher = CheckpointWatcher.Start(slot.Root, config, TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        // When the app writes its checkpoint file a few times, then stops
        var start = DateTimeOffset.UtcNow;
        var lastWrite = start;
        for (var i = 0; i < 3; i++)
        {
            if (i > 0) await Task.Delay(20);
            Write(slot.Root, "state.bin", $"v{i}");
            lastWrite = DateTimeOffset.UtcNow;
        }

        var quiet = await watcher.Signals.ReadAsync(timeout.Token);

        // Then one Quiescent signal comes, no sooner than the quiescence after the last write
        Assert.Equal(CheckpointSignalKind.Quiescent, quiet.Kind);
        Assert.True(quiet.At - lastWrite >= TimeSpan.FromMilliseconds(1900), $"signalled {(quiet.At - lastWrite).TotalMilliseconds} ms after the last write");

        // And writing files outside the patterns or in the store signals nothing, while the done marker does at once
        Write(slot.Root, "output.txt", "x");
        Directory.CreateDirectory(Path.Combine(slot.Root, StoreLayout.StoreDir));
        Write(slot.Root, StoreLayout.StoreDir + "/MANIFEST", "x");
        await Task.Delay(config.Quiescence + TimeSpan.FromMilliseconds(500));
        Assert.False(watcher.Signals.TryRead(out var spurious), $"spurious signal {spurious}");
        Write(slot.Root, "checkpoint_done", "");
        var done = await watcher.Signals.ReadAsync(timeout.Token);
        // (its kind says it came from the marker, not from the quiescence: no wall-clock bound needed)
        Assert.Equal(CheckpointSignalKind.DoneMarker, done.Kind);
    }

    private static void Write(string slot, string name, string text)
    {
        var path = Path.Combine(slot, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static string Read(string slot, string name) => File.ReadAllText(Path.Combine(slot, name));
}
