using System;
using System.Linq;
using System.Text;
using Boinc.Persist.Core.Hashing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Boinc.Persist.Properties.Hashing;

/// <summary>
/// Core's SHA-256 gives exactly what .NET's System.Security.Cryptography gives, the oracle here, for any bytes fed
/// in any pieces: manifests on disk name files by these hashes, so one wrong bit would make recovery refuse a good
/// checkpoint.
/// </summary>
public sealed class Sha256Properties
{
    private static Arbitrary<ChunkedBytes> Chunked => Arb.From(Generators.ChunkedBytesGen());

    private static string Oracle(byte[] data) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data));

    private static string Core(ChunkedBytes c)
    {
        var sha = new Sha256();
        foreach (var piece in c.Pieces())
            sha.Append(piece);
        return Convert.ToHexStringLower(sha.Finish());
    }

    [Property(MaxTest = 300)]
    public Property Core_equals_the_oracle_in_any_pieces() =>
        Prop.ForAll(Chunked, c => (Core(c) == Oracle(c.Data)).ToProperty());

    [Property(MaxTest = 200)]
    public Property Core_finishing_midway_leaves_the_running_hash_as_it_was() =>
        Prop.ForAll(Chunked, c =>
        {
            var sha = new Sha256();
            var pieces = c.Pieces();
            var prefix = 0;
            foreach (var piece in pieces)
            {
                sha.Append(piece);
                prefix += piece.Length;
                if (Convert.ToHexStringLower(sha.Finish()) != Oracle(c.Data[..prefix]))
                    return false.Label($"after {prefix} bytes");
            }

            return (Convert.ToHexStringLower(sha.Finish()) == Oracle(c.Data)).Label("at the end");
        });

    public static TheoryData<string, string> FipsVectors => new()
    {
        // FIPS 180-4's examples (NIST's "SHA256.pdf"), and the empty input.
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { new string('a', 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    };

    [Theory]
    [MemberData(nameof(FipsVectors))]
    public void The_hash_is_the_published_one(string text, string expected)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(expected, Sha256.HexOf(bytes));
        Assert.Equal(expected, Sha256.HexOfText(text));
    }
}
