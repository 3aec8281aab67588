using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Boinc.Persist.Core.Hashing;
using Boinc.Persist.Shell.Host;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Boinc.Persist.Properties.Hashing;

/// <summary>
/// Our two SHA-256s (Core's managed one, the Shell's libcrypto one with its managed fallback) give exactly what
/// .NET's System.Security.Cryptography gives, the oracle here, for any bytes fed in any pieces: manifests on disk
/// name files by these hashes, so one wrong bit would make recovery refuse a good checkpoint.
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

    private static string Files(Sha256Files sha, ChunkedBytes c)
    {
        using (sha)
        {
            foreach (var piece in c.Pieces())
                sha.Append(piece);
            return Convert.ToHexStringLower(sha.Finish());
        }
    }

    [Property(MaxTest = 300)]
    public Property Core_equals_the_oracle_in_any_pieces() =>
        Prop.ForAll(Chunked, c => (Core(c) == Oracle(c.Data)).ToProperty());

    [Property(MaxTest = 300)]
    public Property The_file_hasher_equals_the_oracle_in_any_pieces() =>
        Prop.ForAll(Chunked, c => (Files(Sha256Files.Start(), c) == Oracle(c.Data)).ToProperty());

    [Property(MaxTest = 100)]
    public Property The_file_hashers_fallback_equals_the_oracle_in_any_pieces() =>
        Prop.ForAll(Chunked, c => (Files(Sha256Files.StartManaged(), c) == Oracle(c.Data)).ToProperty());

    [Property(MaxTest = 100)]
    public Property A_stream_hashes_as_its_bytes() =>
        Prop.ForAll(Chunked, c => (FileDigests.Of(DigestKind.Sha256, new MemoryStream(c.Data)) == Oracle(c.Data)).ToProperty());

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
    public void Both_hashers_give_the_published_hashes(string text, string expected)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(expected, Sha256.HexOf(bytes));
        Assert.Equal(expected, Sha256.HexOfText(text));
        foreach (var start in new Func<Sha256Files>[] { Sha256Files.Start, Sha256Files.StartManaged })
        {
            using var sha = start();
            sha.Append(bytes);
            Assert.Equal(expected, Convert.ToHexStringLower(sha.Finish()));
        }
    }

    [Fact]
    public void The_file_hasher_is_libcrypto_where_libcrypto_loads()
    {
        // .NET's own cryptography needs libcrypto.so.3 on Linux, so every machine that runs these tests has it; if
        // the hasher still fell back, the fast path (OpenSSL's SHA-NI for checkpoint copies) broke unnoticed.
        Assert.True(NativeLibrary.TryLoad("libcrypto.so.3", out _), "libcrypto.so.3 does not load on this machine");
        Assert.True(Sha256Files.Native, Sha256Files.Implementation);
        Assert.StartsWith("libcrypto.so.3", Sha256Files.Implementation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_finished_file_hash_takes_nothing_more()
    {
        using var sha = Sha256Files.Start();
        sha.Append("abc"u8);
        _ = sha.Finish();
        Assert.Throws<ObjectDisposedException>(() => sha.Append("d"u8));
        Assert.Throws<ObjectDisposedException>(() => sha.Finish());
    }
}
