using System;
using System.IO;
using Boinc.Persist.Shell.Host;
using LanguageExt;

namespace Boinc.Persist.Shell.Slots;

/// <summary>What the wrapper's own slot files need beyond the primitive operations, in terms of them.</summary>
public static class SlotFileOps
{
    /// <summary>
    /// Durable replace of a small file of the slot: a fresh temp file beside it (a planted entry of that name is
    /// removed, never written through), fsync, rename over the name (a link there is replaced, never followed),
    /// fsync of the directory. After a crash at any point the name holds the old bytes or the new ones.
    /// </summary>
    public static void ReplaceDurably(this ISlotFiles slot, string path, ReadOnlySpan<byte> contents)
    {
        var (dir, leaf) = SlotPath.Split(path);
        var temp = SlotPath.Join(dir, "." + leaf + ".tmp");
        using (var s = slot.CreateFresh(temp))
        {
            s.Write(contents);
            if (s is FileStream f) f.Flush(flushToDisk: true);
        }

        slot.Fsync(temp);
        slot.Rename(temp, path);
        slot.FsyncDir(dir);
    }

    /// <summary>
    /// Up to <paramref name="maxBytes"/> + 1 bytes of a regular file (so a caller sees "too large"), None when
    /// nothing is there. A symlink, FIFO, device or socket is an <see cref="ErrnoException"/>, never followed or
    /// waited on.
    /// </summary>
    public static Option<byte[]> ReadHead(this ISlotFiles slot, string path, int maxBytes)
    {
        ISlotReadFile f;
        try
        {
            f = slot.OpenRead(path);
        }
        catch (ErrnoException e) when (e.Errno == Libc.ENoEnt)
        {
            return Option<byte[]>.None;
        }

        using (f)
        {
            var buffer = new byte[maxBytes + 1];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = f.Content.Read(buffer, read, buffer.Length - read)) > 0)
                read += n;
            return buffer.AsSpan(0, read).ToArray();
        }
    }

    /// <summary>Whether a regular file is at the path (a symlink or FIFO of that name is not one).</summary>
    public static bool IsFile(this ISlotFiles slot, string path)
    {
        try
        {
            return slot.Kind(path) == Option<SlotFileKind>.Some(SlotFileKind.File);
        }
        catch (ErrnoException)
        {
            return false;
        }
    }
}
