using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using Boinc.Persist.Core.Hashing;
using Boinc.Persist.Shell.Verification;
using Xunit;

namespace Boinc.Persist.Properties.Checkpoints;

/// <summary>
/// The benchmarks' cost bounds do the work they are said to measure: a bound that skipped its copy or its fsync
/// would report a floor no store could be compared with.
/// </summary>
public sealed class CommitFloorTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("commit-floor-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void The_least_copy_holds_the_app_files_bytes_then_its_checksum_and_keeps_only_the_two_newest()
    {
        var app = Path.Combine(dir, "app.bin");
        var floor = new CommitFloor(dir);
        var buffer = new byte[4096]; // smaller than the file: the copy takes several chunks
        for (var i = 0; i < 3; i++)
        {
            var data = Enumerable.Range(0, 10_000 + i).Select(b => (byte)(b * 7 + i)).ToArray();
            File.WriteAllBytes(app, data);
            var kind = i % 2 == 0 ? DigestKind.Sha256 : DigestKind.Xxh3_128;
            Assert.True(floor.LeastCopy(app, buffer, kind) > 0);

            var store = Directory.GetDirectories(dir).Single();
            var copies = Directory.GetFiles(store, "least-*").Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(Math.Min(i + 1, 2), copies.Length);
            var copy = File.ReadAllBytes(copies[^1]);
            Assert.Equal(data, copy[..data.Length]);
            var trailer = copy[data.Length..];
            Assert.Equal(64, trailer.Length);
            // The digest's text as the store writes it (Core's ContentDigest, and for SHA-256 .NET's own as the oracle), zero-padded.
            var text = kind == DigestKind.Sha256 ? Convert.ToHexStringLower(SHA256.HashData(data)) : ContentDigest.Of(kind, data);
            Assert.Equal(ContentDigest.Of(kind, data), text);
            Assert.Equal(text, System.Text.Encoding.ASCII.GetString(trailer).TrimEnd('\0'));
        }
    }

    [Fact]
    public void The_least_copy_without_a_checksum_is_the_app_files_bytes_alone()
    {
        var app = Path.Combine(dir, "app.bin");
        var data = Enumerable.Range(0, 5000).Select(b => (byte)b).ToArray();
        File.WriteAllBytes(app, data);
        var floor = new CommitFloor(dir);
        floor.LeastCopy(app, new byte[4096], checksum: null);
        var copy = Directory.GetFiles(Directory.GetDirectories(dir).Single(), "least-*").Single();
        Assert.Equal(data, File.ReadAllBytes(copy));
    }

    [Fact]
    public void The_format_1_floor_copies_the_app_file_into_a_generation_beside_a_manifest_slot()
    {
        var app = Path.Combine(dir, "app.bin");
        var data = Enumerable.Range(0, 3000).Select(b => (byte)(b ^ 0x5a)).ToArray();
        File.WriteAllBytes(app, data);
        var floor = new CommitFloor(dir);
        floor.Once(app, new byte[4096]);
        var store = Directory.GetDirectories(dir).Single();
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(store, "gen-0000000001", "00000")));
        Assert.True(File.Exists(Path.Combine(store, "MANIFEST.tmp")));
    }
}
