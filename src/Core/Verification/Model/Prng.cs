using Boinc.Persist.Core.Checkpoints;
namespace Boinc.Persist.Core.Verification.Model;

/// <summary>SplitMix64 as an immutable value: Core may not use System.Random, and a seed must replay exactly.</summary>
public readonly record struct Prng(ulong State)
{
    public (ulong Value, Prng Next) NextULong()
    {
        var s = State + 0x9E3779B97F4A7C15UL;
        var z = s;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (z ^ (z >> 31), new Prng(s));
    }

    /// <summary>A value in [0, bound).</summary>
    public (int Value, Prng Next) Below(int bound)
    {
        var (v, n) = NextULong();
        return (bound <= 0 ? 0 : (int)(v % (ulong)bound), n);
    }
}
