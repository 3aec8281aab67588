using Boinc.Persist.Core.Checkpoints;
using System.Collections.Generic;
using System.Linq;

namespace Boinc.Persist.Core.Verification.Model;

/// <summary>
/// Which crash states a crash point gets. With at most <paramref name="ExhaustiveUpTo"/> pending operations:
/// EVERY subset of them (2^n states). Beyond: every prefix (the in-order power cut), every "all but one", and
/// <paramref name="Samples"/> seeded random subsets. In both cases, in addition: every pending data write torn
/// at every block boundary (0, B, 2B, ... below its length; B = <paramref name="BlockSize"/> characters),
/// once with the operations before it kept and those after it lost, once with every other operation kept; and
/// every pending data write with one block-sized hole at every block boundary (that block keeps what the file held
/// before, the rest of the write arrived), with every other operation kept.
/// </summary>
public sealed record CrashBounds(int ExhaustiveUpTo, int Samples, int BlockSize)
{
    /// <summary>model-check's default: every subset up to 12 pending operations, 256 samples beyond, 16-character blocks.</summary>
    public static CrashBounds Default { get; } = new(12, 256, 16);

    public override string ToString() =>
        $"every subset of up to {ExhaustiveUpTo} pending operations, else all prefixes + all-but-one + {Samples} seeded subsets; every data write torn, and holed, at each {BlockSize}-char boundary";
}

/// <summary>
/// One crash state: which pending operations survive (applied in issue order) and at most one data write torn
/// (<see cref="Torn"/> = -1: none): to a prefix of <see cref="TornTo"/> chars, or, when <see cref="HoleLength"/> is
/// positive, with its chars [TornTo, TornTo + HoleLength) keeping what the file held before.
/// </summary>
public sealed record CrashChoice(bool[] Keep, int Torn, int TornTo, int HoleLength = 0)
{
    public ModelFs Apply(ModelFs fs) =>
        HoleLength > 0
            ? fs.Crash(i => Keep[i], (_, len) => len, i => i == Torn ? (TornTo, HoleLength) : (0, 0))
            : fs.Crash(i => Keep[i], (i, len) => i == Torn ? System.Math.Min(TornTo, len) : len);

    /// <summary>The crash state in words: what was lost, what was torn (what survived is the rest).</summary>
    public string Describe(ModelFs fs)
    {
        var ops = fs.PendingOps.ToArray();
        var lost = Enumerable.Range(0, ops.Length).Where(i => !Keep[i]).Select(i => fs.Describe(ops[i])).ToList();
        var kept = ops.Length - lost.Count;
        var torn = Torn < 0 || Torn >= ops.Length ? ""
            : HoleLength > 0 ? $"; chars {TornTo}..{TornTo + HoleLength} never reached the disk: {fs.Describe(ops[Torn])}"
            : $"; torn to its first {TornTo} chars: {fs.Describe(ops[Torn])}";
        return ops.Length == 0
            ? "nothing was pending"
            : $"{kept} of {ops.Length} pending operations survive" + (lost.Count == 0 ? "" : "; lost: " + string.Join(", ", lost)) + torn;
    }
}

/// <summary>The crash states of one crash point (see <see cref="CrashBounds"/>). Not an iterator: Core avoids compiler-generated iterators.</summary>
public static class CrashStates
{
    public static bool IsExhaustive(int pending, CrashBounds b) => pending <= b.ExhaustiveUpTo;

    public static List<CrashChoice> Choose(ModelFs fs, CrashBounds b, ulong seed)
    {
        var ops = fs.PendingOps.ToArray();
        var n = ops.Length;
        var result = new List<CrashChoice>();
        if (IsExhaustive(n, b))
        {
            // Every subset, the fewest losses first (a variant's counterexample is usually one lost operation).
            var masks = Enumerable.Range(0, 1 << n).OrderBy(m => n - System.Numerics.BitOperations.PopCount((uint)m)).ThenBy(m => m);
            foreach (var m in masks)
                result.Add(new CrashChoice(Enumerable.Range(0, n).Select(i => (m & (1 << i)) != 0).ToArray(), -1, 0));
        }
        else
        {
            for (var cut = n; cut >= 0; cut--)
                result.Add(new CrashChoice(Enumerable.Range(0, n).Select(i => i < cut).ToArray(), -1, 0));
            for (var drop = 0; drop < n; drop++)
                result.Add(new CrashChoice(Enumerable.Range(0, n).Select(i => i != drop).ToArray(), -1, 0));
            var rng = new Prng(seed);
            for (var s = 0; s < b.Samples; s++)
            {
                var keep = new bool[n];
                for (var i = 0; i < n; i++)
                {
                    ulong x;
                    (x, rng) = rng.NextULong();
                    keep[i] = (x & 1) == 0;
                }

                result.Add(new CrashChoice(keep, -1, 0));
            }
        }

        for (var i = 0; i < n; i++)
        {
            if (ops[i] is not Pending.Data d) continue;
            for (var at = 0; at < d.Content.Length; at += b.BlockSize)
            {
                var upTo = i;
                result.Add(new CrashChoice(Enumerable.Range(0, n).Select(k => k <= upTo).ToArray(), i, at));
                if (i < n - 1) result.Add(new CrashChoice(Enumerable.Repeat(true, n).ToArray(), i, at));
                result.Add(new CrashChoice(Enumerable.Repeat(true, n).ToArray(), i, at, b.BlockSize));
            }
        }

        return result;
    }
}
