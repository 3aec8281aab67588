using System;
using System.IO.Hashing;
using System.Linq;

namespace Boinc.Persist.Core.Hashing;

/// <summary>Which hash a stored file's digest is (<see cref="ContentDigest"/>).</summary>
public enum DigestKind
{
    /// <summary>SHA-256, written as 64 lowercase hex digits: store format 1 and packs of format v2.</summary>
    Sha256,

    /// <summary>XXH3-128, written as <c>xxh3-128:</c> and 32 lowercase hex digits: packs of format v3 on.</summary>
    Xxh3_128,
}

/// <summary>
/// The digests the checkpoint store keeps of its files' contents, self-describing as text: a bare 64-hex-digit
/// digest is SHA-256 (what store format 1 and pack v2 wrote), one starting <see cref="Xxh3Prefix"/> is XXH3-128 (what
/// the store writes from pack v3 on). Two digests are of the same content only if their texts are equal; digests of
/// different kinds never are, so a comparison across kinds errs on the side of "differs" (a restore that was not
/// needed, never one skipped).
/// <para>Why XXH3-128 for the packs: their digest detects a pack a crash tore or a disk damaged, not a forgery (the
/// store is hidden from the container; whoever could write a pack could as well write its trailer, whatever the
/// hash). SHA-256 of 1 MiB takes 0.58 ms here (OpenSSL with SHA-NI), a third of a 1 MB commit's 1.6 ms (issue 17);
/// XXH3-128 takes 0.05 ms in the AOT binary (bench/checkpoint.sh prints both), with a 128-bit result whose chance of missing a given
/// corruption is 2^-128.</para>
/// </summary>
public static class ContentDigest
{
    public const string Xxh3Prefix = "xxh3-128:";

    /// <summary>The kind a digest text names (anything without the XXH3 prefix is read as SHA-256).</summary>
    public static DigestKind KindOf(string digest) =>
        digest.StartsWith(Xxh3Prefix, StringComparison.Ordinal) ? DigestKind.Xxh3_128 : DigestKind.Sha256;

    /// <summary>Whether <paramref name="digest"/> is a digest as the store writes them (either kind, lowercase hex).</summary>
    public static bool IsWellFormed(string digest) =>
        KindOf(digest) == DigestKind.Xxh3_128
            ? digest.Length == Xxh3Prefix.Length + 32 && digest.Skip(Xxh3Prefix.Length).All(IsLowerHex)
            : digest.Length == 64 && digest.All(IsLowerHex);

    /// <summary>The digest of <paramref name="data"/> as text, of the given kind.</summary>
    public static string Of(DigestKind kind, ReadOnlySpan<byte> data) =>
        kind == DigestKind.Xxh3_128 ? Xxh3Prefix + Convert.ToHexStringLower(XxHash128.Hash(data)) : Sha256.HexOf(data);

    /// <summary>A running XXH3-128 digest, fed in pieces (the same result as <see cref="Of"/> over their concatenation).</summary>
    public static IRunningDigest StartXxh3() => new Xxh3Running();

    private static bool IsLowerHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f';

    private sealed class Xxh3Running : IRunningDigest
    {
        private readonly XxHash128 hash = new();

        public void Append(ReadOnlySpan<byte> data) => hash.Append(data);

        public string Finish() => Xxh3Prefix + Convert.ToHexStringLower(hash.GetCurrentHash());

        public void Dispose()
        {
        }
    }
}

/// <summary>A digest being computed over bytes fed in order; <see cref="Finish"/> gives its text (<see cref="ContentDigest"/>).</summary>
public interface IRunningDigest : IDisposable
{
    void Append(ReadOnlySpan<byte> data);

    string Finish();
}
