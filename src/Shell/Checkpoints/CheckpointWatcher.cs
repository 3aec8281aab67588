using System;
using System.IO;
using System.Threading;
using System.Threading.Channels;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Config;

namespace Boinc.Persist.Shell.Checkpoints;

public enum CheckpointSignalKind
{
    /// <summary>The declared files changed and then stayed still for the quiescence period.</summary>
    Quiescent,

    /// <summary>The app touched its done marker: commit right away.</summary>
    DoneMarker,

    /// <summary>The kernel's event queue overflowed: changes may have been missed, so treat it as a change.</summary>
    Overflow,
}

public sealed record CheckpointSignal(CheckpointSignalKind Kind, DateTimeOffset At, string Why);

/// <summary>
/// Watches the slot with inotify (<see cref="FileSystemWatcher"/>; no polling loop). A change to a declared
/// file (re)arms a one-shot timer of <see cref="CheckpointConfig.Quiescence"/> from the <see cref="TimeProvider"/>;
/// when it fires, a <see cref="CheckpointSignalKind.Quiescent"/> signal is written. Touching the done marker
/// writes <see cref="CheckpointSignalKind.DoneMarker"/> at once. Signals coalesce: at most one is waiting.
/// </summary>
public sealed class CheckpointWatcher : IDisposable
{
    private readonly FileSystemWatcher watcher;
    private readonly ITimer timer;
    private readonly Channel<CheckpointSignal> channel =
        Channel.CreateBounded<CheckpointSignal>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });

    private readonly string slotDir;
    private readonly CheckpointConfig config;
    private readonly TimeProvider time;

    private CheckpointWatcher(string slotDir, CheckpointConfig config, TimeProvider time)
    {
        this.slotDir = Path.GetFullPath(slotDir);
        this.config = config;
        this.time = time;
        timer = time.CreateTimer(_ => Signal(CheckpointSignalKind.Quiescent, "checkpoint files quiescent"), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        watcher = new FileSystemWatcher(this.slotDir)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            InternalBufferSize = 64 * 1024,
        };
        watcher.Changed += (_, e) => OnPath(e.FullPath);
        watcher.Created += (_, e) => OnPath(e.FullPath);
        watcher.Deleted += (_, e) => OnPath(e.FullPath);
        watcher.Renamed += (_, e) => { OnPath(e.OldFullPath); OnPath(e.FullPath); };
        watcher.Error += (_, e) =>
        {
            Signal(CheckpointSignalKind.Overflow, $"file watcher error: {e.GetException().Message}");
        };
        watcher.EnableRaisingEvents = true;
    }

    public ChannelReader<CheckpointSignal> Signals => channel.Reader;

    public static CheckpointWatcher Start(string slotDir, CheckpointConfig config, TimeProvider time) => new(slotDir, config, time);

    public void Dispose()
    {
        watcher.Dispose();
        timer.Dispose();
        channel.Writer.TryComplete();
    }

    private void OnPath(string fullPath)
    {
        var rel = Path.GetRelativePath(slotDir, fullPath).Replace('\\', '/');
        if (StoreLayout.IsWrapperPath(rel) || rel.StartsWith("..", StringComparison.Ordinal)) return;
        if (config.DoneMarker.Exists(m => m == rel))
        {
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            Signal(CheckpointSignalKind.DoneMarker, $"{rel} touched");
            return;
        }

        if (Globs.MatchesAny(config.Files, rel))
            timer.Change(config.Quiescence, Timeout.InfiniteTimeSpan);
    }

    private void Signal(CheckpointSignalKind kind, string why) =>
        channel.Writer.TryWrite(new CheckpointSignal(kind, time.GetUtcNow(), why));
}
