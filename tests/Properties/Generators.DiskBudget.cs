using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

/// <summary>Generators for the disk budget: bounds, slot usage and stores of checkpoints of comparable sizes.</summary>
public static partial class Generators
{
    /// <summary>Sizes around a few megabytes, so bounds, usage and checkpoints meet in every order.</summary>
    public static Gen<long> BudgetBytesGen() =>
        Gen.Frequency(
            (1, Gen.Constant(0L)),
            (6, Gen.Choose(0, 8 << 20).Select(x => (long)x)),
            (2, Gen.Choose(0, 1 << 16).Select(x => (long)x)),
            (1, Gen.Choose(0, int.MaxValue).Select(x => (long)x * 4)));

    public static Gen<Generation> BudgetGenerationGen(long number) =>
        from files in Gen.Choose(1, 3)
        from sizes in BudgetBytesGen().ArrayOf(files)
        select new Generation(number, number * 1000, number, 0.5, "docker",
            sizes.Select((s, i) => new StoredFile(i, $"ckpt/{i}.bin", s, new string('a', 64))).ToSeq());

    public static Gen<DiskBudgetInput> DiskBudgetInputGen() =>
        from bound in Gen.Frequency(
            (1, Gen.Elements(0.0, -1.0, double.NaN, double.PositiveInfinity, 0.5)),
            (8, BudgetBytesGen().Select(b => (double)b * 3)))
        from job in BudgetBytesGen()
        from count in Gen.Choose(0, 4)
        from gens in Gen.CollectToSequence(Enumerable.Range(0, count).Select(k => BudgetGenerationGen(10 + k)))
        from extra in Gen.Choose(0, 1 << 17)
        from complete in Gen.Frequency((9, Gen.Constant(true)), (1, Gen.Constant(false)))
        from newBytes in BudgetBytesGen()
        from files in Gen.Choose(1, 5)
        from keep in Gen.Choose(1, 5)
        let manifest = new Manifest(gens.ToSeq())
        let listed = manifest.Generations.Fold(0L, (s, g) => s + g.TotalBytes)
        select new DiskBudgetInput(bound, new SlotUsage(job, listed + extra, complete), manifest, newBytes, files, files * 12L,
            System.Math.Min(extra, 4096 + 300L * count), System.Math.Max(2, keep));
}
