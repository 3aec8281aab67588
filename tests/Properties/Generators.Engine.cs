using Boinc.Persist.Shell.Engine;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

public static partial class Generators
{
    /// <summary>Hard limits as hosts have them: unlimited, tiny, this sandbox's, above Podman's defaults.</summary>
    public static Gen<Option<long>> HardLimitGen() =>
        Gen.OneOf(
            Gen.Constant(Option<long>.None),
            Gen.Elements(256L, 1024L, 3700L, 20000L, 32768L, 96365L, 524288L, 1048576L, 4194304L, 1L << 40).Select(Option<long>.Some),
            Gen.Choose(1, int.MaxValue).Select(n => Option<long>.Some(n)));

    public static Gen<EngineTraits> EngineTraitsGen() =>
        from kind in Gen.Elements(EngineKind.Docker, EngineKind.Podman)
        from rootless in ArbMap.Default.GeneratorFor<bool>()
        from selinux in ArbMap.Default.GeneratorFor<bool>()
        from cgroup in Gen.Elements(1, 2)
        from nofile in HardLimitGen()
        from nproc in HardLimitGen()
        select new EngineTraits(kind, rootless, selinux, cgroup, new HostLimits(nofile, nproc));

    /// <summary>Image references as a job names them: with or without a repository path and a tag.</summary>
    public static Gen<string> ImageNameGen() =>
        from repo in Gen.Elements("busybox", "boinc-persist/job", "boinc-persist/busybox", "my-project/app", "a")
        from tag in Gen.Elements("", ":1", ":latest", ":0123456789abcdef0123456789abcdef")
        select repo + tag;

    /// <summary>
    /// A container's log as the engine multiplexes it: pieces of stdout (kind 1) or stderr (kind 2), empty ones
    /// included (an engine may send a header with size 0), some larger than a reader's buffer.
    /// </summary>
    public static Gen<Seq<(bool Stderr, byte[] Bytes)>> LogPiecesGen() =>
        (from stderr in ArbMap.Default.GeneratorFor<bool>()
         from size in Gen.Frequency((6, Gen.Choose(0, 64)), (3, Gen.Choose(65, 5000)), (1, Gen.Choose(16_000, 70_000)))
         from seed in Gen.Choose(0, int.MaxValue)
         select (stderr, Bytes(seed, size)))
        .ListOf().Select(l => l.ToSeq().Strict());
}
