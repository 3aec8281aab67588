using System;
using System.Linq;
using Boinc.Persist.Core.Gc;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

public static partial class Generators
{
    public static readonly DateTimeOffset GcNow = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    /// <summary>One image as the collector sees it: ours or not, any size, recorded use or none, users or none.</summary>
    public static Gen<ImageFacts> ImageFactsGen(int index) =>
        from ours in Gen.Frequency((9, Gen.Constant(true)), (1, Gen.Constant(false)))
        from size in Gen.Choose(0, 5000).Select(s => (long)s * 1_000_000)
        from hours in Gen.Choose(0, 24 * 40)
        from hasRecord in Gen.Frequency((8, Gen.Constant(true)), (2, Gen.Constant(false)))
        from containers in Gen.Frequency((7, Gen.Constant(0)), (3, Gen.Choose(1, 2)))
        from slots in Gen.Frequency((8, Gen.Constant(0)), (2, Gen.Constant(1)))
        from held in Gen.Frequency((8, Gen.Constant(false)), (2, Gen.Constant(true)))
        select new ImageFacts(
            $"sha256:{index:x4}",
            $"boinc-persist/job:{index:x4}",
            ours,
            size,
            hasRecord ? Option<DateTimeOffset>.Some(GcNow - TimeSpan.FromHours(hours)) : Option<DateTimeOffset>.None,
            Seq(containers, i => $"c{index}-{i}"),
            Seq(slots, i => $"/var/lib/boinc-client/slots/{index}"),
            held);

    public static Gen<Seq<ImageFacts>> ImageSetGen() =>
        from n in Gen.Choose(0, 12)
        from xs in Gen.ArrayOf(ImageFactsGen(0), n)
        select Enumerable.Range(0, xs.Length)
            .Select(i => xs[i] with { Id = $"sha256:{i:x4}", Name = $"boinc-persist/job:{i:x4}" })
            .ToSeq().Strict();

    /// <summary>An age (0 to 20 days) and maybe a total size bound (up to 20 GB).</summary>
    public static Gen<(TimeSpan Age, Option<long> Bound)> GcPolicyGen() =>
        from days in Gen.Choose(0, 20 * 24).Select(h => TimeSpan.FromHours(h))
        from bounded in Gen.Elements(true, false)
        from bound in Gen.Choose(1, 20_000).Select(mb => (long)mb * 1_000_000)
        select (days, bounded ? Option<long>.Some(bound) : Option<long>.None);

    private static Seq<string> Seq(int n, Func<int, string> f) => System.Linq.Enumerable.Range(0, n).Select(f).ToSeq().Strict();
}
