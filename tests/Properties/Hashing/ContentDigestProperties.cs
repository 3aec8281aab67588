using System;
using System.IO;
using System.Linq;
using System.Text;
using Boinc.Persist.Core.Hashing;
using Boinc.Persist.Shell.Host;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Boinc.Persist.Properties.Hashing;

/// <summary>
/// The store's digests as text (<see cref="ContentDigest"/>): XXH3-128 as the reference implementation computes it
/// (known answers from Debian's xxhsum -H2), the same in any pieces as in one, the same from Core (the model's packs)
/// and the Shell (the real disk's), and the text forms the trailer parser accepts. A digest that differed between
/// writer and reader would make recovery refuse every good pack.
/// </summary>
public sealed class ContentDigestProperties
{
    private static Arbitrary<ChunkedBytes> Chunked => Arb.From(Generators.ChunkedBytesGen());

    [Theory]
    [InlineData("", "99aa06d3014798d86001c324468d497f")]
    [InlineData("abc", "06b05ab6733a618578af5f94892f3950")]
    public void Xxh3_gives_the_reference_implementations_answers(string text, string xxhsum)
    {
        Assert.Equal("xxh3-128:" + xxhsum, ContentDigest.Of(DigestKind.Xxh3_128, Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void Xxh3_of_100000_bytes_gives_the_reference_implementations_answer_one_shot_and_streamed()
    {
        // Long enough for the vectorised stripes and several blocks (xxhsum -H2 of bytes i % 251).
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)(i % 251)).ToArray();
        const string expected = "xxh3-128:54182c58bbb1337c42c23aeead96750d";
        Assert.Equal(expected, ContentDigest.Of(DigestKind.Xxh3_128, data));
        Assert.Equal(expected, FileDigests.Of(DigestKind.Xxh3_128, new MemoryStream(data)));
    }

    /// <summary>The Shell's running digest of <paramref name="kind"/> fed <paramref name="c"/>'s pieces in order.</summary>
    private static string InPieces(DigestKind kind, ChunkedBytes c)
    {
        using var d = FileDigests.Start(kind);
        foreach (var piece in c.Pieces())
            d.Append(piece);
        return d.Finish();
    }

    [Property(MaxTest = 300)]
    public Property Xxh3_in_any_pieces_equals_xxh3_in_one() =>
        Prop.ForAll(Chunked, c => (InPieces(DigestKind.Xxh3_128, c) == ContentDigest.Of(DigestKind.Xxh3_128, c.Data)).ToProperty());

    [Property(MaxTest = 100)]
    public Property Sha256_through_the_shell_equals_cores_as_text() =>
        Prop.ForAll(Chunked, c =>
        {
            var text = InPieces(DigestKind.Sha256, c);
            return (text == ContentDigest.Of(DigestKind.Sha256, c.Data) && ContentDigest.KindOf(text) == DigestKind.Sha256
                    && FileDigests.Of(DigestKind.Sha256, new MemoryStream(c.Data)) == text).ToProperty();
        });

    [Property(MaxTest = 100)]
    public Property Every_digest_written_is_well_formed_and_names_its_kind(byte[] data) =>
        (ContentDigest.IsWellFormed(ContentDigest.Of(DigestKind.Sha256, data)) &&
         ContentDigest.IsWellFormed(ContentDigest.Of(DigestKind.Xxh3_128, data)) &&
         ContentDigest.KindOf(ContentDigest.Of(DigestKind.Xxh3_128, data)) == DigestKind.Xxh3_128 &&
         ContentDigest.KindOf(ContentDigest.Of(DigestKind.Sha256, data)) == DigestKind.Sha256 &&
         ContentDigest.Of(DigestKind.Sha256, data) != ContentDigest.Of(DigestKind.Xxh3_128, data)).ToProperty();

    [Theory]
    [InlineData("")]
    [InlineData("xxh3-128:")]
    [InlineData("xxh3-128:99aa06d3014798d86001c324468d497")] // 31 digits
    [InlineData("xxh3-128:99aa06d3014798d86001c324468d497f0")] // 33 digits
    [InlineData("xxh3-128:99AA06D3014798D86001C324468D497F")] // not lowercase
    [InlineData("xxh3-64:99aa06d3014798d86001c324468d497f")] // no such kind
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a")] // 63 digits
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ag")] // not hex
    [InlineData("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    public void A_digest_not_as_the_store_writes_them_is_refused(string digest)
    {
        Assert.False(ContentDigest.IsWellFormed(digest));
    }
}
