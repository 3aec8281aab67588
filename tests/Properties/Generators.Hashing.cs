using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;

namespace Boinc.Persist.Properties;

/// <summary>
/// Bytes to hash and where to cut them into the pieces a running hash is fed (every cut in [0, length], sorted;
/// repeats give empty pieces). Shown by length and cuts: the bytes come from a seed and would only be noise.
/// </summary>
public sealed record ChunkedBytes(byte[] Data, int[] Cuts)
{
    /// <summary>The pieces in order; together they are <see cref="Data"/>.</summary>
    public byte[][] Pieces() =>
        Cuts.Append(Data.Length).Zip(Cuts.Prepend(0), (end, start) => Data[start..end]).ToArray();

    public override string ToString() => $"{Data.Length} bytes cut at [{string.Join(", ", Cuts)}]";
}

public static partial class Generators
{
    /// <summary>
    /// Lengths around SHA-256's padding and block edges (55 is the longest tail padded within its block, 56 the
    /// shortest that needs another), small and multi-block ones, and a few above 1 MiB (the copy's chunk).
    /// </summary>
    public static Gen<int> HashLengthGen() =>
        Gen.Frequency(
            (6, Gen.Elements(0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 121, 127, 128, 129, 191, 192, 193)),
            (6, Gen.Choose(0, 1_000)),
            (3, Gen.Choose(1_000, 70_000)),
            (1, Gen.Choose((1 << 20) + 1, (1 << 20) + 200_000)));

    public static Gen<ChunkedBytes> ChunkedBytesGen() =>
        from length in HashLengthGen()
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        from count in Gen.Choose(0, 8)
        from cuts in Gen.ArrayOf(Gen.Frequency((3, Gen.Choose(0, length)), (1, Gen.Elements(0, 1, 55, 56, 63, 64, 65).Select(c => Math.Min(c, length)))), count)
        select new ChunkedBytes(Bytes(seed, length), cuts.Order().ToArray());

    private static byte[] Bytes(int seed, int length)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
