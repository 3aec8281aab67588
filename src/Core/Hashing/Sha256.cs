using System;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Boinc.Persist.Core.Hashing;

/// <summary>
/// SHA-256 (FIPS 180-4) in managed code, fed in pieces. Core hashes small texts with it (manifests, journals, the
/// planner's canonical strings); the Shell hashes large files with OpenSSL's libcrypto and falls back to this.
/// Why our own: on Linux <c>System.Security.Cryptography</c> is OpenSSL behind .NET's shim, and loading it costs
/// every wrapper about 4.9 MB of resident memory (issue 17) for hashes of a few kilobytes. The hashes are
/// persisted (manifests name files by them), so the output is exactly SHA-256's; speed is secondary.
/// <para>A running hash is mutable by nature: one instance per hash, not shared between threads.</para>
/// </summary>
public sealed class Sha256
{
    /// <summary>The length of a hash in bytes.</summary>
    public const int HashBytes = 32;

    private const int BlockBytes = 64;

    private readonly uint[] state = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    private readonly byte[] partial = new byte[BlockBytes];
    private int partialLength;
    private ulong length;

    /// <summary>The lowercase hex SHA-256 of <paramref name="data"/>.</summary>
    public static string HexOf(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(new Sha256().Append(data).Finish());

    /// <summary>The lowercase hex SHA-256 of <paramref name="text"/>'s UTF-8 bytes.</summary>
    public static string HexOfText(string text) => HexOf(Encoding.UTF8.GetBytes(text));

    /// <summary>Adds <paramref name="data"/> to the bytes hashed so far; returns this hash.</summary>
    public Sha256 Append(ReadOnlySpan<byte> data)
    {
        length += (ulong)data.Length;
        if (partialLength > 0)
        {
            var take = Math.Min(BlockBytes - partialLength, data.Length);
            data[..take].CopyTo(partial.AsSpan(partialLength));
            partialLength += take;
            data = data[take..];
            if (partialLength < BlockBytes)
                return this;
            Compress(state, partial);
            partialLength = 0;
        }

        for (; data.Length >= BlockBytes; data = data[BlockBytes..])
            Compress(state, data);
        data.CopyTo(partial);
        partialLength = data.Length;
        return this;
    }

    /// <summary>
    /// The SHA-256 of every byte appended so far. The running hash is left as it was (the padding goes through a
    /// copy of the state), so appending may go on and finishing again gives the hash of the longer input.
    /// </summary>
    public byte[] Finish()
    {
        // Padding: 0x80, zeros to 56 bytes mod 64, then the length in bits as a big-endian 64-bit number.
        Span<uint> digest = stackalloc uint[8];
        state.CopyTo(digest);
        Span<byte> tail = stackalloc byte[2 * BlockBytes];
        tail.Clear();
        partial.AsSpan(0, partialLength).CopyTo(tail);
        tail[partialLength] = 0x80;
        var end = partialLength < BlockBytes - 8 ? BlockBytes : 2 * BlockBytes;
        BinaryPrimitives.WriteUInt64BigEndian(tail[(end - 8)..], length * 8);
        for (var at = 0; at < end; at += BlockBytes)
            Compress(digest, tail.Slice(at, BlockBytes));

        var hash = new byte[HashBytes];
        for (var i = 0; i < 8; i++)
            BinaryPrimitives.WriteUInt32BigEndian(hash.AsSpan(4 * i), digest[i]);
        return hash;
    }

    /// <summary>FIPS 180-4 section 6.2.2: one 64-byte block into the eight words of the intermediate hash.</summary>
    private static void Compress(Span<uint> digest, ReadOnlySpan<byte> block)
    {
        Span<uint> w = stackalloc uint[64];
        for (var t = 0; t < 16; t++)
            w[t] = BinaryPrimitives.ReadUInt32BigEndian(block[(4 * t)..]);
        for (var t = 16; t < 64; t++)
        {
            var s0 = BitOperations.RotateRight(w[t - 15], 7) ^ BitOperations.RotateRight(w[t - 15], 18) ^ (w[t - 15] >> 3);
            var s1 = BitOperations.RotateRight(w[t - 2], 17) ^ BitOperations.RotateRight(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }

        uint a = digest[0], b = digest[1], c = digest[2], d = digest[3], e = digest[4], f = digest[5], g = digest[6], h = digest[7];
        for (var t = 0; t < 64; t++)
        {
            var t1 = h + (BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25))
                       + ((e & f) ^ (~e & g)) + K[t] + w[t];
            var t2 = (BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22))
                     + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }

        digest[0] += a;
        digest[1] += b;
        digest[2] += c;
        digest[3] += d;
        digest[4] += e;
        digest[5] += f;
        digest[6] += g;
        digest[7] += h;
    }

    /// <summary>FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.</summary>
    private static ReadOnlySpan<uint> K =>
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];
}
