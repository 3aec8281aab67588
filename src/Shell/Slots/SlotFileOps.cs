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
            return ReadUpTo(f.Content, f.Identity().Size, maxBytes);
    }

    /// <summary>
    /// Up to <paramref name="maxBytes"/> + 1 bytes of a stream (so a caller sees "too large"). The buffer starts at
    /// what the file held when it was opened (plus one byte, to see it grow) and doubles only as more bytes arrive,
    /// so memory follows the file, not the limit: init_data.xml's limit is 4 MB, its size a few KB, and a buffer of
    /// the limit's size was a large object allocated on every read (the wrapper's peak RSS, docs/MEMORY.md). A file
    /// growing while it is read is still cut one byte past the limit.
    /// </summary>
    public static byte[] ReadUpTo(Stream content, long sizeHint, int maxBytes)
    {
        if (maxBytes < 0) return [];
        var limit = maxBytes == int.MaxValue ? maxBytes : maxBytes + 1;
        var buffer = new byte[Math.Min(Math.Max(sizeHint, 0), limit - 1) + 1];
        var read = 0;
        while (true)
        {
            if (read == buffer.Length)
            {
                if (buffer.Length == limit) break;
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, limit));
            }

            var n = content.Read(buffer, read, buffer.Length - read);
            if (n <= 0) break;
            read += n;
        }

        return read == buffer.Length ? buffer : buffer.AsSpan(0, read).ToArray();
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
