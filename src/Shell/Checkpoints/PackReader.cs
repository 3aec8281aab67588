using System;
using System.IO;
using System.Text;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Checkpoints;

/// <summary>
/// Reads a pack of the store (<see cref="PackFormat"/>) through the slot accessor: its footer and trailer, and,
/// when asked, the size and digest of each file's range (of the kind its trailer records). One handle for the whole read, so a pack renamed or
/// replaced meanwhile is read as the file that was opened. A pack too short or garbled to read is reported (the
/// trailer's Left), never thrown. An I/O error opening it or reading its footer and trailer is thrown; one reading
/// its files' ranges is reported (<see cref="PackSeen.Unread"/>), so a bad block in an older pack does not stop the
/// recovery of a newer one, and recovery neither takes such a pack nor removes it as torn.
/// </summary>
public static class PackReader
{
    /// <summary>The pack numbered <paramref name="number"/>, and the identity of the file read (taken from its handle as it was opened).</summary>
    public static PackSeen Read(ISlotFiles slot, long number, bool ranges, out FileIdentity identity)
    {
        using var f = slot.OpenRead(StoreLayout.PackPath(number));
        identity = f.Identity();
        var size = identity.Size;
        var content = f.Content;
        var footer = size >= PackFormat.FooterBytes ? Encoding.Latin1.GetString(ReadExactly(content, size - PackFormat.FooterBytes, PackFormat.FooterBytes)) : "";
        var trailer = PackFormat.ReadFooter(size, footer).Bind(ft =>
            PackFormat.ReadTrailer(number, ft.DataBytes, Encoding.UTF8.GetString(ReadExactly(content, ft.DataBytes, ft.TrailerBytes))));
        if (!ranges || trailer.IsLeft) return new PackSeen(number, trailer, Option<Seq<FileFacts>>.None);
        var g = trailer.IfLeft(() => throw new InvalidOperationException("a trailer that reads"));
        try
        {
            return new PackSeen(number, trailer, PackFormat.Layout(g).Map(x => RangeFacts(content, x.Offset, x.File.Size, Core.Hashing.ContentDigest.KindOf(x.File.Digest))).Strict());
        }
        catch (IOException e)
        {
            return new PackSeen(number, trailer, Option<Seq<FileFacts>>.None, $"its files could not be read: {e.Message}");
        }
    }

    /// <summary>Size and digest (<paramref name="kind"/>) of the bytes [offset, offset + length) of a stream (fewer where it ends sooner).</summary>
    public static FileFacts RangeFacts(Stream content, long offset, long length, Core.Hashing.DigestKind kind)
    {
        var chunk = Sha256Files.ChunkFor(length);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            using var digest = FileDigests.Start(kind);
            content.Position = offset;
            long done = 0;
            while (done < length)
            {
                var n = content.Read(buffer, 0, (int)Math.Min(chunk, length - done));
                if (n == 0) break;
                digest.Append(buffer.AsSpan(0, n));
                done += n;
            }

            return new FileFacts(done, digest.Finish());
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] ReadExactly(Stream content, long offset, int length)
    {
        var bytes = new byte[length];
        content.Position = offset;
        var done = 0;
        while (done < length)
        {
            var n = content.Read(bytes, done, length - done);
            if (n == 0) throw new ErrnoException("the pack ended before the length its footer gives (it shrank while it was read)", 5);
            done += n;
        }

        return bytes;
    }
}
