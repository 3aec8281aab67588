using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Channels;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Shell.Slots;

namespace Boinc.Persist.Shell.Checkpoints;

public enum CheckpointSignalKind
{
    /// <summary>The declared files changed and then stayed still for the quiescence period.</summary>
    Quiescent,

    /// <summary>The app touched its done marker: commit right away.</summary>
    DoneMarker,

    /// <summary>The kernel's event queue overflowed: changes may have been missed (kept for compatibility; now arms quiescence).</summary>
    Overflow,

    /// <summary>A one-file checkpoint was renamed into place or closed after writing: commit right away.</summary>
    Complete,
}

public sealed record CheckpointSignal(CheckpointSignalKind Kind, DateTimeOffset At, string Why);

/// <summary>
/// Watches WORKDIR for the app's checkpoints with inotify (no polling while the budget lasts) and says when to
/// commit, by <see cref="CheckpointTrigger"/>: at once for the done marker and for a one-file checkpoint renamed
/// into place (IN_MOVED_TO) or closed after writing (IN_CLOSE_WRITE); after <see cref="CheckpointConfig.Quiescence"/>
/// of stillness (a one-shot timer of the <see cref="TimeProvider"/>) for other changes to declared files.
/// <para>
/// Budget: one watch per directory of the slot (the wrapper's state directory and symlinks excluded), at most
/// <c>maxWatches</c>. When the job makes more directories than that, or the kernel refuses a watch (the user's
/// <c>max_user_watches</c> is used up), the watcher says so once and falls back to scanning the declared paths
/// every <see cref="ScanPeriod"/>: size and modification time start the quiescence window, a new inode under a
/// one-file checkpoint's name counts as a rename into place, and any change of the done marker commits at once.
/// Signals coalesce: at most one is waiting.
/// </para>
/// </summary>
public sealed partial class CheckpointWatcher : IDisposable
{
    public const int DefaultMaxWatches = 256;

    public static readonly TimeSpan ScanPeriod = TimeSpan.FromSeconds(1);

    /// <summary>After reading events, the reader waits this long before it reads again (see ReadEvents).</summary>
    public const int GatherEventsMs = 50;

    /// <summary>How many times the reader has read the inotify queue (each a wake-up of its thread).</summary>
    public long Reads => Interlocked.Read(ref reads);

    private long reads;

    /// <summary>How many directory entries one scan looks at before it stops (a hostile job can make millions).</summary>
    public const int MaxScanEntries = 100_000;

    private const uint InModify = 0x2, InAttrib = 0x4, InCloseWrite = 0x8, InMovedFrom = 0x40, InMovedTo = 0x80,
        InCreate = 0x100, InDelete = 0x200, InDeleteSelf = 0x400, InMoveSelf = 0x800, InQOverflow = 0x4000,
        InIgnored = 0x8000, InOnlyDir = 0x1000000, InDontFollow = 0x2000000, InExclUnlink = 0x4000000, InIsDir = 0x40000000;

    private const uint WatchMask = InModify | InAttrib | InCloseWrite | InMovedFrom | InMovedTo | InCreate | InDelete
        | InDeleteSelf | InMoveSelf | InOnlyDir | InDontFollow | InExclUnlink;

    private readonly object gate = new();
    private readonly ITimer quiet;
    private readonly Channel<CheckpointSignal> channel =
        Channel.CreateBounded<CheckpointSignal>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });

    private readonly string slotDir;

    /// <summary>The slot as the accessor sees it: listings never follow a link the job planted.</summary>
    private readonly SlotFiles slot;
    private readonly CheckpointConfig config;
    private readonly TimeProvider time;
    private readonly Action<string> warn;
    private readonly int maxWatches;
    private readonly Dictionary<int, string> directories = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Host.Wakeable wake = new();
    private int fd = -1;
    private Thread? reader;
    private ITimer? scanTimer;
    private Dictionary<string, (long Size, long Mtime, ulong Inode)> lastScan = new();

    private CheckpointWatcher(string slotDir, CheckpointConfig config, TimeProvider time, Action<string> warn, int maxWatches)
    {
        this.slotDir = Path.GetFullPath(slotDir);
        slot = SlotFiles.Open(this.slotDir);
        this.config = config;
        this.time = time;
        this.warn = warn;
        this.maxWatches = Math.Max(1, maxWatches);
        quiet = time.CreateTimer(_ => Signal(CheckpointSignalKind.Quiescent, "checkpoint files quiescent"), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        fd = InotifyInit1(0x800 /* IN_NONBLOCK */ | 0x80000 /* IN_CLOEXEC */);
        if (fd < 0)
        {
            Fallback($"inotify_init1 failed (errno {Marshal.GetLastPInvokeError()})");
            return;
        }

        lock (gate)
        {
            if (!AddTree(""))
                return;
        }

        reader = new Thread(ReadEvents) { IsBackground = true, Name = "boinc-persist checkpoint watcher" };
        reader.Start();
    }

    public ChannelReader<CheckpointSignal> Signals => channel.Reader;

    /// <summary>True once the watcher scans the declared paths instead of using inotify.</summary>
    public bool Scanning { get; private set; }

    /// <summary>How many inotify watches are held.</summary>
    public int Watches
    {
        get
        {
            lock (gate)
                return directories.Count;
        }
    }

    public static CheckpointWatcher Start(string slotDir, CheckpointConfig config, TimeProvider time) =>
        new(slotDir, config, time, _ => { }, DefaultMaxWatches);

    public static CheckpointWatcher Start(string slotDir, CheckpointConfig config, TimeProvider time, Action<string> warn, int maxWatches = DefaultMaxWatches) =>
        new(slotDir, config, time, warn, maxWatches);

    public void Dispose()
    {
        stop.Cancel();
        wake.Wake();
        // The reader disposes the wake-up on its way out; without a reader nobody waits on it.
        if (reader is null)
            wake.Dispose();
        reader?.Join(TimeSpan.FromSeconds(2));
        lock (gate)
        {
            CloseInotify();
            scanTimer?.Dispose();
            scanTimer = null;
        }

        quiet.Dispose();
        channel.Writer.TryComplete();
        slot.Dispose();
    }

    /// <summary>Watches <paramref name="rel"/> and the directories below it; false when the watcher fell back to scanning.</summary>
    private bool AddTree(string rel)
    {
        if (Scanning || (rel.Length > 0 && StoreLayout.IsWrapperPath(rel)))
            return !Scanning;
        var full = rel.Length == 0 ? slotDir : Path.Combine(slotDir, rel);
        if (directories.Count >= maxWatches)
        {
            Fallback($"the slot has more than {maxWatches} directories to watch");
            return false;
        }

        var wd = InotifyAddWatch(fd, full, WatchMask);
        if (wd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is 2 /* ENOENT */ or 20 /* ENOTDIR */ or 40 /* ELOOP: a symlink */)
                return true;
            Fallback($"inotify_add_watch({full}) failed (errno {errno}{(errno == 28 ? ": the user's max_user_watches is used up" : "")})");
            return false;
        }

        directories[wd] = rel;
        try
        {
            foreach (var d in slot.List(rel.Length == 0 ? "." : rel).Filter(e => e.Kind == SlotFileKind.Directory))
            {
                if (!AddTree(rel.Length == 0 ? d.Name : rel + "/" + d.Name))
                    return false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone or unreadable meanwhile: its own events (or their absence) say the rest.
        }

        return true;
    }

    private void ReadEvents()
    {
        try
        {
            var buffer = new byte[64 * 1024];
            while (!stop.IsCancellationRequested)
            {
                int descriptor;
                lock (gate)
                    descriptor = fd;
                if (descriptor < 0)
                    return;
                // Sleeps until an event or Dispose (no timeout: a sliced poll woke this thread four times a
                // second for nothing). Only this thread closes the descriptor while it runs (Fallback from Parse),
                // or Dispose after waking and joining it.
                var ready = wake.Wait(descriptor);
                if (ready <= 0)
                    continue;
                var n = Read(descriptor, buffer, buffer.Length);
                if (n <= 0)
                    continue;
                lock (gate)
                    Parse(buffer.AsSpan(0, (int)n));
                Interlocked.Increment(ref reads);
                // Let the next events gather: the kernel merges a repeated event (the same file modified again)
                // while it waits unread, so a file written many times a second (stderr.txt, written by the output
                // relay at each line the job prints; a log the job writes) wakes this thread at most once per
                // pause, not once per write. A checkpoint's signal waits at most this much longer.
                wake.Pause(GatherEventsMs);
            }
        }
        finally
        {
            wake.Dispose();
        }
    }

    private void Parse(ReadOnlySpan<byte> events)
    {
        var at = 0;
        while (at + 16 <= events.Length)
        {
            var wd = BitConverter.ToInt32(events.Slice(at, 4));
            var mask = BitConverter.ToUInt32(events.Slice(at + 4, 4));
            var len = (int)BitConverter.ToUInt32(events.Slice(at + 12, 4));
            var nameBytes = events.Slice(at + 16, Math.Min(len, events.Length - at - 16));
            var end = nameBytes.IndexOf((byte)0);
            var name = System.Text.Encoding.UTF8.GetString(end < 0 ? nameBytes : nameBytes[..end]);
            at += 16 + len;

            if ((mask & InQOverflow) != 0)
            {
                Arm("the kernel's event queue overflowed");
                continue;
            }

            if (!directories.TryGetValue(wd, out var dir))
                continue;
            if ((mask & (InIgnored | InDeleteSelf)) != 0 && name.Length == 0)
            {
                directories.Remove(wd);
                continue;
            }

            if (name.Length == 0)
                continue;
            var rel = dir.Length == 0 ? name : dir + "/" + name;
            if ((mask & InIsDir) != 0)
            {
                if ((mask & (InCreate | InMovedTo)) != 0 && AddTree(rel))
                    Rescan(rel);
                continue;
            }

            var kind = (mask & InMovedTo) != 0 ? FileEvent.RenamedInto
                : (mask & InCloseWrite) != 0 ? FileEvent.ClosedAfterWrite
                : FileEvent.Changed;
            On(rel, kind);
        }
    }

    /// <summary>A directory that appeared: files made in it before its watch existed count as changes.</summary>
    private void Rescan(string rel)
    {
        foreach (var (name, _) in Declared(rel))
            On(name, FileEvent.Changed);
    }

    private void On(string rel, FileEvent e)
    {
        switch (CheckpointTrigger.On(config, rel, e))
        {
            case TriggerAction.CommitNow:
                quiet.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                var marker = config.DoneMarker.Exists(m => m == rel);
                Signal(marker ? CheckpointSignalKind.DoneMarker : CheckpointSignalKind.Complete,
                    marker ? $"{rel} touched" : $"{rel} {(e == FileEvent.RenamedInto ? "renamed into place" : "closed after writing")}");
                break;
            case TriggerAction.ArmQuiescence:
                Arm(rel);
                break;
        }
    }

    private void Arm(string why) => quiet.Change(config.Quiescence, Timeout.InfiniteTimeSpan);

    private void Fallback(string why)
    {
        if (Scanning)
            return;
        Scanning = true;
        CloseInotify();
        warn($"checkpoint watcher: {why}; scanning the declared checkpoint files every {ScanPeriod.TotalSeconds:0}s instead");
        lastScan = Snapshot();
        scanTimer = time.CreateTimer(_ => Scan(), null, ScanPeriod, ScanPeriod);
    }

    private void CloseInotify()
    {
        if (fd >= 0)
            Close(fd);
        fd = -1;
        directories.Clear();
    }

    private void Scan()
    {
        lock (gate)
        {
            if (stop.IsCancellationRequested)
                return;
            var now = Snapshot();
            foreach (var (name, facts) in now)
            {
                if (!lastScan.TryGetValue(name, out var before))
                    On(name, FileEvent.Changed);
                else if (before.Inode != facts.Inode && facts.Inode != 0)
                    On(name, FileEvent.RenamedInto);
                else if (before != facts)
                    On(name, FileEvent.Changed);
            }

            foreach (var name in lastScan.Keys)
            {
                if (!now.ContainsKey(name))
                    On(name, FileEvent.Changed);
            }

            lastScan = now;
        }
    }

    private Dictionary<string, (long Size, long Mtime, ulong Inode)> Snapshot()
    {
        var map = new Dictionary<string, (long, long, ulong)>();
        foreach (var (name, id) in Declared(""))
            map[name] = (id.Size, id.MtimeNs, id.Inode);
        return map;
    }

    /// <summary>Declared files and the done marker under <paramref name="rel"/>, bounded by <see cref="MaxScanEntries"/>.</summary>
    private List<(string Name, FileIdentity Id)> Declared(string rel)
    {
        var found = new List<(string, FileIdentity)>();
        var seen = 0;
        var stack = new Stack<string>();
        stack.Push(rel);
        while (stack.Count > 0 && seen < MaxScanEntries)
        {
            var dir = stack.Pop();
            try
            {
                foreach (var entry in slot.List(dir.Length == 0 ? "." : dir))
                {
                    if (++seen > MaxScanEntries)
                        break;
                    var name = dir.Length == 0 ? entry.Name : dir + "/" + entry.Name;
                    if (StoreLayout.IsWrapperPath(name))
                        continue;
                    if (entry.Kind == SlotFileKind.Directory)
                        stack.Push(name);
                    else if (entry.Kind == SlotFileKind.File && (Globs.MatchesAny(config.Files, name) || config.DoneMarker.Exists(m => m == name)))
                        foreach (var id in slot.Identity(name))
                            found.Add((name, id));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone or unreadable meanwhile: the next scan sees what is there.
            }
        }

        return found;
    }

    private void Signal(CheckpointSignalKind kind, string why) =>
        channel.Writer.TryWrite(new CheckpointSignal(kind, time.GetUtcNow(), why));

    private static unsafe long Read(int descriptor, byte[] buffer, int count)
    {
        fixed (byte* p = buffer)
            return (long)ReadNative(descriptor, p, (nuint)count);
    }

    [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static partial int InotifyInit1(int flags);

    [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int InotifyAddWatch(int fd, string path, uint mask);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint ReadNative(int fd, byte* buffer, nuint count);

}
