using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Verification.Model;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

/// <summary>Generators for checkpoint manifests and crash-sequence steps.</summary>
public static partial class Generators
{
    public static Gen<string> Sha256Gen() =>
        Gen.ArrayOf(Gen.Elements("0123456789abcdef".ToCharArray()), 64).Select(cs => new string(cs));

    public static Gen<string> CheckpointNameGen() =>
        Gen.Elements("state.bin", "ckpt/a.dat", "ckpt/b 2.dat", "deep/er/x.chk", "ünïcode.bin", "a");

    public static Gen<Generation> GenerationGen(long number) =>
        from ms in Gen.Choose(0, int.MaxValue)
        // CPU time in nanoseconds, to the largest a manifest can hold (long.MaxValue ns, about 292 years).
        from cpu in Gen.OneOf(Gen.Elements(0L, 1L, 1_500_000_000L, 12_345_678_000_001L, 86_400_250_000_000L, long.MaxValue),
            ArbMap.Default.GeneratorFor<long>().Select(x => x & long.MaxValue))
        from fraction in Gen.Elements(0.0, 0.5, 0.999, 1.0)
        from engine in Gen.Elements("docker 26.1.5 boot 3f0c", "podman 5", "", "line\nbreak")
        from names in Gen.SubListOf(new[] { "state.bin", "ckpt/a.dat", "ckpt/b 2.dat", "deep/er/x.chk", "ünïcode.bin" }).Where(l => l.Count > 0)
        from sizes in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), names.Count)
        from hashes in Gen.ArrayOf(Sha256Gen(), names.Count)
        select new Generation(number, ms, cpu, fraction, ManifestText.OneLine(engine),
            names.Select((n, i) => new StoredFile(i, n, sizes[i], hashes[i])).ToSeq());

    public static Gen<Manifest> ManifestGen() =>
        from first in Gen.Choose(1, 1000)
        from count in Gen.Choose(0, 4)
        from gens in Gen.CollectToSequence(Enumerable.Range(0, count).Select(k => GenerationGen(first + k * 3)))
        select new Manifest(gens.ToSeq());

    /// <summary>One step of a crash run, weighted like model-check's generator.</summary>
    public static Gen<Step> StepGen() =>
        Gen.Frequency(
            (24, Gen.Elements(true, false).Select(a => (Step)new Step.AppWrites(a))),
            (5, Gen.Constant((Step)new Step.AppWritesMore())),
            (18, Gen.Constant((Step)new Step.Commit(-1))),
            (7, Gen.Choose(0, 39).Select(k => (Step)new Step.Commit(k))),
            (4, Gen.Choose(0, 63).Select(k => (Step)new Step.DiskFullCommit(k * 4))),
            (8, from s in Gen.Choose(int.MinValue, int.MaxValue) from t in Gen.Choose(0, int.MaxValue) select (Step)new Step.HostCrash((ulong)(uint)s << 32 | (uint)t, 0)),
            (10, Gen.Constant((Step)new Step.Writeback())),
            (4, Gen.Constant((Step)new Step.ContainerRemoved())),
            (6, Gen.Constant((Step)new Step.WrapperKilled())),
            (14, Gen.Constant((Step)new Step.Restart())));

    /// <summary>A crash run of 1..<paramref name="max"/> steps; shrinking drops steps, so a failure reads as a short story.</summary>
    public static Arbitrary<Step[]> CrashRunArb(int max) =>
        Arb.From(Gen.Choose(1, max).SelectMany(n => StepGen().ArrayOf(n)), ShrinkRun);

    private static System.Collections.Generic.IEnumerable<Step[]> ShrinkRun(Step[] run)
    {
        for (var i = 0; i < run.Length; i++)
            yield return run.Take(i).Concat(run.Skip(i + 1)).ToArray();
    }
}
