using System;
using System.Globalization;
using System.Linq;
using System.Text;
using Boinc.Persist.Core.Hashing;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// One pack as the shell (or the model) read it: its generation number (from its name), its trailer (the generation
/// it records, or why it cannot be read: a commit a crash interrupted, or damage), and, when they were read, the
/// size and digest of each file's range as the trailer places it (a range cut short by the end of the data reads
/// as the bytes that are there). Each range's digest is of the kind its trailer's digest names. <paramref name="Unread"/>: why the ranges could not be read (an I/O error), when
/// they were asked for and could not be: such a pack is neither taken nor removed.
/// </summary>
public sealed record PackSeen(long Number, Either<string, Generation> Trailer, Option<Seq<FileFacts>> Ranges, Option<string> Unread = default)
{
    /// <summary>Whether the pack's trailer reads: its commit got as far as writing it.</summary>
    public bool Sealed => Trailer.IsRight;

    public Option<Generation> Generation => Trailer.ToOption();
}

/// <summary>
/// Store format 2: one file per generation, <see cref="StoreLayout.PackPath"/>. A pack holds the generation's files'
/// bytes one after another (file k starts where file k-1 ends), then the trailer, then a fixed-size footer:
/// <code>
/// [file 0][file 1]...[file n-1][trailer][footer]
/// trailer: the generation as a one-generation manifest (<see cref="ManifestText"/>: number, commit time, CPU time,
///          fraction, engine, per file its index, size, digest and WORKDIR name; then its own checksum)
/// footer:  "boinc-persist pack v3 DDDDDDDDDDDDDDDDDDDD TTTTTTTTTTTTTTTTTTTT\n" (64 bytes: data and trailer lengths)
/// </code>
/// Pack v3 (written from stop 35 on) records each file's XXH3-128 digest; pack v2 (stop 34) recorded SHA-256 and is
/// still read (<see cref="Hashing.ContentDigest"/>: a digest's text names its kind, so one reader verifies both).
/// A generation is committed when its pack is durable and verifies: the footer reads, the lengths add up to the
/// file's size, the trailer's checksum matches and names this pack's number, and every file's range has the size
/// and hash the trailer gives. A pack any crash tore fails one of these, so no manifest is needed beside it.
/// </summary>
public static class PackFormat
{
    /// <summary>The footer's magic and version as commits write it.</summary>
    public const string Magic = "boinc-persist pack v3";

    /// <summary>The version before: the same layout, its digests SHA-256 (read, no longer written).</summary>
    public const string MagicV2 = "boinc-persist pack v2";

    /// <summary>The footer's fixed length in bytes.</summary>
    public const int FooterBytes = 64;

    /// <summary>Largest trailer a reader accepts (a generation of a few thousand files is well under it).</summary>
    public const int MaxTrailerBytes = 32 << 20;

    /// <summary>The trailer and footer a commit appends to the pack after the files' bytes.</summary>
    public static string Tail(Generation g)
    {
        var trailer = ManifestText.Format(new Manifest(Seq1(g)));
        return trailer + Footer(g.TotalBytes, Encoding.UTF8.GetByteCount(trailer));
    }

    public static string Footer(long dataBytes, long trailerBytes) =>
        Magic + " " + dataBytes.ToString("D20", CultureInfo.InvariantCulture) + " " + trailerBytes.ToString("D20", CultureInfo.InvariantCulture) + "\n";

    /// <summary>
    /// Where the trailer of a pack of <paramref name="packBytes"/> bytes whose last <see cref="FooterBytes"/> bytes are
    /// <paramref name="footer"/> (as Latin-1 text) starts and how long it is; or why the footer does not read.
    /// </summary>
    public static Either<string, (long DataBytes, int TrailerBytes)> ReadFooter(long packBytes, string footer)
    {
        if (packBytes < FooterBytes || footer.Length != FooterBytes)
            return $"shorter than a footer ({packBytes} bytes): the commit writing it did not finish";
        var p = footer.Split(' ');
        if (!footer.EndsWith('\n') || p.Length != 5 || string.Join(' ', p.Take(3)) is not (Magic or MagicV2) ||
            !Digits(p[3], 20, out var data) || !Digits(p[4].TrimEnd('\n'), 20, out var trailer) || p[4].Length != 21)
            return "no pack footer at its end: the commit writing it did not finish, or it is damaged";
        if (trailer > MaxTrailerBytes)
            return $"its footer gives a trailer of {trailer} bytes, more than the {MaxTrailerBytes} a pack may have";
        if (data > packBytes || data + trailer + FooterBytes != packBytes)
            return $"its footer gives {data} data bytes and {trailer} trailer bytes, which with the footer do not make its {packBytes} bytes";
        return (data, (int)trailer);
    }

    /// <summary>The generation a pack's trailer records, checked against the pack's number and data length.</summary>
    public static Either<string, Generation> ReadTrailer(long number, long dataBytes, string trailer) =>
        ManifestText.Parse(trailer).Match<Either<string, Generation>>(
            m => m.Generations.Count != 1 ? $"its trailer lists {m.Generations.Count} generations, not one"
                : m.Generations[0].Number != number ? $"its trailer records generation {m.Generations[0].Number}, not {number}"
                : !AddsUpTo(m.Generations[0], dataBytes) ? $"its trailer's file sizes do not add up to the {dataBytes} data bytes its footer gives"
                : m.Generations[0],
            e => $"trailer: {e.Message}");

    /// <summary>Whether the files' sizes are each within the data and add up to it exactly (summed without overflow).</summary>
    private static bool AddsUpTo(Generation g, long dataBytes)
    {
        var sum = 0L;
        foreach (var f in g.Files)
        {
            if (f.Size < 0 || f.Size > dataBytes - sum) return false;
            sum += f.Size;
        }

        return sum == dataBytes;
    }

    /// <summary>Where each file of <paramref name="g"/> starts in its pack.</summary>
    public static Seq<(StoredFile File, long Offset)> Layout(Generation g)
    {
        var offset = 0L;
        var result = new (StoredFile, long)[g.Files.Count];
        for (var i = 0; i < g.Files.Count; i++)
        {
            result[i] = (g.Files[i], offset);
            offset += g.Files[i].Size;
        }

        return result.ToSeq();
    }

    /// <summary>None when every range has the size and hash the trailer gives; else what is wrong.</summary>
    public static Option<string> Verify(PackSeen pack) =>
        pack.Trailer.Match(
            g => pack.Ranges.Match(
                ranges =>
                {
                    if (ranges.Count != g.Files.Count) return Option<string>.Some($"{ranges.Count} of its {g.Files.Count} files could be read");
                    foreach (var (f, r) in g.Files.Zip(ranges))
                    {
                        if (r.Size != f.Size) return $"{f.Name}: {r.Size} bytes where its trailer says {f.Size}";
                        if (r.Digest != f.Digest) return $"{f.Name} does not match its {(Hashing.ContentDigest.KindOf(f.Digest) == Hashing.DigestKind.Xxh3_128 ? "XXH3-128" : "SHA-256")} digest";
                    }

                    return Option<string>.None;
                },
                () => Option<string>.Some(pack.Unread.IfNone("its files were not read"))),
            why => Option<string>.Some(why));

    /// <summary>
    /// A pack read from its whole content held as Latin-1 text, one char per byte (the model file system's
    /// contents): the footer, the trailer (UTF-8) and, when <paramref name="ranges"/>, every file's range.
    /// </summary>
    public static PackSeen ReadContent(long number, string content, bool ranges)
    {
        var footer = content.Length >= FooterBytes ? content[^FooterBytes..] : "";
        var trailer = ReadFooter(content.Length, footer).Bind(f =>
            ReadTrailer(number, f.DataBytes, Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(content.Substring((int)f.DataBytes, f.TrailerBytes)))));
        var facts = ranges
            ? trailer.Match(
                g => Option<Seq<FileFacts>>.Some(Layout(g).Map(x => FactsOf(Slice(content, x.Offset, x.File.Size), Hashing.ContentDigest.KindOf(x.File.Digest)))),
                _ => Option<Seq<FileFacts>>.None)
            : Option<Seq<FileFacts>>.None;
        return new PackSeen(number, trailer, facts);
    }

    /// <summary>
    /// The packs among slot-relative <paramref name="names"/> (those directly in the store), ascending, each read from
    /// its whole content as <see cref="ReadContent"/> does: for the model file system and the real-disk tier's replays,
    /// which hold files' contents whole.
    /// </summary>
    public static Seq<PackSeen> ReadAll(System.Collections.Generic.IEnumerable<string> names, Func<string, string> latin1Content, bool ranges) =>
        names.Where(n => StoreLayout.Parent(n) == StoreLayout.StoreDir)
            .Select(n => StoreLayout.ParsePackName(n[(StoreLayout.StoreDir.Length + 1)..]).Map(k => (Number: k, Path: n)))
            .Somes().OrderBy(p => p.Number)
            .Select(p => ReadContent(p.Number, latin1Content(p.Path), ranges)).ToSeq().Strict();

    /// <summary>Size and digest (<paramref name="kind"/>) of model content (Latin-1 text, one char per byte).</summary>
    public static FileFacts FactsOf(string latin1, Hashing.DigestKind kind) => new(latin1.Length, Hashing.ContentDigest.Of(kind, Encoding.Latin1.GetBytes(latin1)));

    private static string Slice(string s, long offset, long length) =>
        offset >= s.Length ? "" : s.Substring((int)offset, (int)Math.Min(length, s.Length - offset));

    private static bool Digits(string s, int width, out long value)
    {
        value = 0;
        return s.Length == width && s.All(char.IsAsciiDigit) && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static Seq<Generation> Seq1(Generation g) => new[] { g }.ToSeq();
}
