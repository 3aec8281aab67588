using System;
using System.IO;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Checkpoints;

/// <summary>
/// Measures a slot as the BOINC client does before it aborts a task for "Disk usage limit exceeded"
/// (client/app.cpp <c>ACTIVE_TASK::current_disk_usage</c> → lib/filesys.cpp <c>dir_size</c>): every entry is
/// looked at with lstat; a regular file counts its <c>st_size</c> (per name, so a hard link counts again; sparse and
/// reflinked files count their full length); a directory is walked; a symlink, FIFO, socket or device counts
/// nothing and is never followed. Everything goes through the slot accessor (no symlink is followed in any
/// component). The walk is bounded (entries and depth): past the bound the figures are lower bounds and the
/// result says so. Entries that vanish while the job writes are skipped, as the client skips them.
/// </summary>
public static class SlotUsageMeter
{
    /// <summary>Most entries looked at in one measurement.</summary>
    public const int MaxEntries = 1_000_000;

    /// <summary>Deepest directory walked.</summary>
    public const int MaxDepth = 256;

    public static SlotUsage Measure(ISlotFiles slot, int maxEntries = MaxEntries, int maxDepth = MaxDepth)
    {
        long job = 0, store = 0;
        var entries = 0;
        var complete = true;

        void Walk(string dir, int depth, bool ours)
        {
            Seq<SlotDirEntry> list;
            try
            {
                list = slot.List(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return; // gone, or not a directory any more: the client's walk skips it too
            }

            foreach (var entry in list)
            {
                if (++entries > maxEntries)
                {
                    complete = false;
                    return;
                }

                var path = SlotPath.Join(dir, entry.Name);
                var inStore = ours || (dir == "." && entry.Name == StoreLayout.StateDirName);
                switch (entry.Kind)
                {
                    case SlotFileKind.Directory when depth < maxDepth:
                        Walk(path, depth + 1, inStore);
                        break;
                    case SlotFileKind.Directory:
                        complete = false;
                        break;
                    case SlotFileKind.File:
                        // lstat of the name: a file replaced meanwhile by a link counts the link's few bytes.
                        var size = SizeOf(slot, path);
                        if (inStore) store = Sat(store, size);
                        else job = Sat(job, size);
                        break;
                }

                if (!complete) return;
            }
        }

        Walk(".", 0, false);
        return new SlotUsage(job, store, complete);
    }

    private static long Sat(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static long SizeOf(ISlotFiles slot, string path)
    {
        try
        {
            return slot.Identity(path).Map(i => Math.Max(0, i.Size)).IfNone(0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

}
