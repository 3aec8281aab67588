using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Integration.Checkpoints;
using Boinc.Persist.Shell.Checkpoints;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Run;

/// <summary>
/// The watcher on a real file system: a one-file checkpoint renamed into place or closed after writing is
/// signalled at once (the quiescence window here is far longer than any test step, so a Quiescent signal cannot
/// come first); past its watch budget it scans, and still tells a rename into place and the done marker.
/// </summary>
public sealed class CheckpointWatcherTests
{
    private static readonly TimeSpan LongQuiet = TimeSpan.FromMinutes(10);

    private static CheckpointConfig OneFile(string? marker = null) => CheckpointConfig.Default with
    {
        Files = new[] { "state" }.ToSeq(),
        DoneMarker = marker is null ? Option<string>.None : marker,
        Quiescence = LongQuiet,
    };

    [Fact]
    public async Task A_one_file_checkpoint_renamed_into_place_is_signalled_at_once()
    {
        using var slot = new CheckpointSlot("rename");
        using var watcher = CheckpointWatcher.Start(slot.Root, OneFile(), TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        // The app writes a temp file (not declared: nothing), then renames it over its checkpoint
        File.WriteAllText(Path.Combine(slot.Root, "state.tmp"), "8");
        File.Move(Path.Combine(slot.Root, "state.tmp"), Path.Combine(slot.Root, "state"), overwrite: true);

        var signal = await watcher.Signals.ReadAsync(timeout.Token);
        Assert.Equal(CheckpointSignalKind.Complete, signal.Kind);
        Assert.Contains("renamed into place", signal.Why);
        Assert.False(watcher.Scanning);
    }

    [Fact]
    public async Task A_one_file_checkpoint_closed_after_writing_is_signalled_at_once_even_in_a_new_subdirectory()
    {
        using var slot = new CheckpointSlot("close");
        var config = OneFile() with { Files = new[] { "ck/state" }.ToSeq() };
        using var watcher = CheckpointWatcher.Start(slot.Root, config, TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        Directory.CreateDirectory(Path.Combine(slot.Root, "ck"));
        // The directory's watch is added when its creation is seen: wait for it before writing, as an app would not.
        while (watcher.Watches < 2)
            await Task.Delay(20, timeout.Token);
        File.WriteAllText(Path.Combine(slot.Root, "ck", "state"), "step 3");

        var signal = await watcher.Signals.ReadAsync(timeout.Token);
        Assert.Equal(CheckpointSignalKind.Complete, signal.Kind);
        Assert.Contains("closed after writing", signal.Why);
    }

    [Fact]
    public async Task A_file_written_many_times_a_second_wakes_the_watcher_at_most_once_per_gathering_pause()
    {
        // Given a watcher on a slot, and a file nobody declared that is written line by line (stderr.txt, where the
        // output relay writes each line the job prints)
        using var slot = new CheckpointSlot("chatty");
        using var watcher = CheckpointWatcher.Start(slot.Root, OneFile(), TimeProvider.System);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var before = watcher.Reads;

        // When it is written 200 times, a couple of milliseconds apart (each write one IN_MODIFY)
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        using (var log = new FileStream(Path.Combine(slot.Root, "stderr.txt"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1))
        {
            for (var i = 0; i < 200; i++)
            {
                log.Write(System.Text.Encoding.ASCII.GetBytes($"[job] line {i}\n"));
                log.Flush();
                Thread.Sleep(2);
            }
        }

        // Then the watcher read its events at most once per pause of the time the writes took (plus the first read
        // and one after the last write): a reader that woke per write would have read about 200 times
        elapsed.Stop();
        await Task.Delay(3 * CheckpointWatcher.GatherEventsMs, timeout.Token); // the read after the last write
        var reads = watcher.Reads - before;
        var bound = elapsed.ElapsedMilliseconds / CheckpointWatcher.GatherEventsMs + 3;
        Assert.True(reads <= bound, $"{reads} reads in {elapsed.ElapsedMilliseconds} ms of writes (at most {bound})");
        Assert.True(reads >= 1, "the watcher saw none of the writes");
        Assert.False(watcher.Signals.TryRead(out var stray), $"a file nobody declared signalled {stray}");

        // And a checkpoint is still signalled at once afterwards
        File.WriteAllText(Path.Combine(slot.Root, "state.tmp"), "9");
        File.Move(Path.Combine(slot.Root, "state.tmp"), Path.Combine(slot.Root, "state"), overwrite: true);
        var signal = await watcher.Signals.ReadAsync(timeout.Token);
        Assert.Equal(CheckpointSignalKind.Complete, signal.Kind);
    }

    [Fact]
    public async Task Past_its_watch_budget_the_watcher_scans_and_still_tells_a_rename_into_place_and_the_marker()
    {
        // Given a slot with more directories than the budget allows
        using var slot = new CheckpointSlot("budget");
        for (var i = 0; i < 5; i++)
            Directory.CreateDirectory(Path.Combine(slot.Root, $"d{i}"));
        File.WriteAllText(Path.Combine(slot.Root, "state"), "1");
        var warnings = new List<string>();
        using var watcher = CheckpointWatcher.Start(slot.Root, OneFile("checkpoint.done"), TimeProvider.System, w => { lock (warnings) warnings.Add(w); }, maxWatches: 3);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        // Then it says so once and scans
        Assert.True(watcher.Scanning);
        Assert.Equal(0, watcher.Watches);
        Assert.Contains(warnings, w => w.Contains("more than 3 directories", StringComparison.Ordinal));

        // When the app renames a new checkpoint into place, the next scan sees a new inode under the name
        File.WriteAllText(Path.Combine(slot.Root, "state.tmp"), "2");
        File.Move(Path.Combine(slot.Root, "state.tmp"), Path.Combine(slot.Root, "state"), overwrite: true);
        var renamed = await watcher.Signals.ReadAsync(timeout.Token);
        Assert.Equal(CheckpointSignalKind.Complete, renamed.Kind);

        // And the done marker commits at once too
        File.WriteAllText(Path.Combine(slot.Root, "checkpoint.done"), "");
        var marker = await watcher.Signals.ReadAsync(timeout.Token);
        Assert.Equal(CheckpointSignalKind.DoneMarker, marker.Kind);
    }
}
