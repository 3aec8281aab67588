using System;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

/// <summary>Generators for job.toml configurations and plan inputs.</summary>
public static partial class Generators
{
    private static readonly string[] Words = { "app", "data", "work", "out", "in", "cache", "models", "x", "job-1", "a_b", "v2.0" };

    public static Gen<string> Segment() => Gen.Elements(Words);

    /// <summary>A normalised absolute container path of 1..3 segments (never "/").</summary>
    public static Gen<string> ContainerPath() =>
        from n in Gen.Choose(1, 3)
        from segs in Gen.ArrayOf(Segment(), n)
        select "/" + string.Join('/', segs);

    public static Gen<string> RelativePath() =>
        from n in Gen.Choose(1, 3)
        from segs in Gen.ArrayOf(Segment(), n)
        select string.Join('/', segs);

    /// <summary>Strings with the characters that need escaping in TOML and quoting for a shell.</summary>
    public static Gen<string> AwkwardText() =>
        Gen.OneOf(
            Gen.Elements("", "plain", "with space", "quote\"d", "single'q", "back\\slash", "tab\there", "new\nline",
                "unicode é ü 漢", "$HOME", "`cmd`", "a=b=c", "semi;colon", "#hash", "--looks-like-an-option"),
            ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get).Where(IsWellFormedText));

    /// <summary>Text a UTF-8 file can hold: no NUL, no lone surrogate.</summary>
    public static bool IsWellFormedText(string s) =>
        !s.Contains('\0') && System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(s)) == s;

    public static Gen<KeyValue> EnvPair() =>
        from k in Gen.Elements("FOO", "BAR_1", "_x", "OMP_NUM_THREADS", "LANG")
        from v in AwkwardText()
        select new KeyValue(k, v);

    public static Gen<long> Size() =>
        Gen.OneOf(
            Gen.Choose(1, 4096).Select(n => (long)n << 20),
            Gen.Choose(1, 64).Select(n => (long)n << 30),
            Gen.Choose(1, int.MaxValue).Select(n => (long)n));

    /// <summary>stop_grace values job.toml may hold: 0 to the 45 s cap (QuitBudget.MaxStopGrace), in milliseconds.</summary>
    public static Gen<TimeSpan> StopGrace() =>
        Gen.OneOf(
            Gen.Choose(0, 45_000).Select(ms => TimeSpan.FromMilliseconds(ms)),
            Gen.Choose(1, 45).Select(s => TimeSpan.FromSeconds(s)));

    public static Gen<TimeSpan> Duration() =>
        Gen.OneOf(
            Gen.Choose(0, 100_000).Select(ms => TimeSpan.FromMilliseconds(ms)),
            Gen.Choose(1, 600).Select(s => TimeSpan.FromSeconds(s)));

    public static Gen<CreateOptions> CreateOptionsGen() =>
        from env in Between(EnvPair(), 0, 3)
        from labels in Between(from k in Gen.Elements("app", "team", "version") from v in AwkwardText() select new KeyValue(k, v), 0, 2)
        from ulimits in Between(from n in Gen.Elements("nofile", "nproc", "core") from s in Gen.Choose(0, 100_000) from h in Gen.Choose(0, 100_000) select new Ulimit(n, Math.Min(s, h), Math.Max(s, h)), 0, 2)
        from tmpfs in Between(from t in Gen.Elements("/scratch", "/var/tmp", "/run/x") from s in Opt(Size()) select new TmpfsSpec(t, s), 0, 1)
        from shm in Opt(Size())
        from host in Opt(Gen.Elements("worker", "node-1"))
        from entry in Opt(Gen.Elements("/bin/sh", "./run job.sh"))
        from init in ArbMap.Default.GeneratorFor<bool>()
        from stop in Opt(Gen.Choose(0, 3600))
        from sig in Opt(Gen.Elements("SIGTERM", "SIGUSR1", "15"))
        select new CreateOptions(env, labels, ulimits, tmpfs, shm, host, entry, init, stop, sig);

    public static Gen<BuildOptions> BuildOptionsGen() =>
        from args in Between(EnvPair(), 0, 3)
        from target in Opt(Gen.Elements("build", "final", "runtime-1"))
        from labels in Between(from v in AwkwardText() select new KeyValue("app.version", v), 0, 1)
        from noCache in ArbMap.Default.GeneratorFor<bool>()
        from platform in Opt(Gen.Elements("linux/amd64", "linux/arm64"))
        select new BuildOptions(args, target, labels, noCache, platform);

    public static Gen<MountSpec> MountGen() =>
        from source in Gen.OneOf(RelativePath(), ContainerPath().Select(p => "/srv" + p))
        from target in ContainerPath().Select(p => "/mnt" + p)
        from ro in ArbMap.Default.GeneratorFor<bool>()
        from rl in Gen.Elements(Relabel.None, Relabel.Shared, Relabel.Private)
        select new MountSpec(source, target, ro, rl);

    public static Gen<PortMap> PortGen() =>
        from ip in Gen.Elements("127.0.0.1", "0.0.0.0", "::1")
        from h in Gen.Choose(1, 65535)
        from g in Gen.Choose(1, 65535)
        from p in Gen.Elements(PortProtocol.Tcp, PortProtocol.Udp)
        select new PortMap(ip, h, g, p);

    public static Gen<UserMode> UserGen() =>
        Gen.OneOf(
            Gen.Constant<UserMode>(new UserMode.SlotOwner()),
            Gen.Constant<UserMode>(new UserMode.Image()),
            from u in Gen.Choose(0, 65534) from g in Gen.Choose(0, 65534) select (UserMode)new UserMode.Explicit(u, g));

    public static Gen<JobConfig> JobConfigGen() =>
        from workdir in Opt(ContainerPath())
        from project in Opt(Gen.Elements("/project", "/opt/project"))
        from image in Opt(Gen.Elements("myproject/app:1.0", "localhost/x", "registry.example.org:5000/a/b:v2"))
        from build in BuildOptionsGen()
        from create in CreateOptionsGen()
        from gpu in ArbMap.Default.GeneratorFor<bool>()
        from network in Gen.Elements(NetworkMode.None, NetworkMode.Bridge, NetworkMode.Host)
        from web in network == NetworkMode.None ? Gen.Constant(Option<int>.None) : Opt(Gen.Choose(1, 65535))
        from mounts in Between(MountGen(), 0, 3)
        from ports in network == NetworkMode.None ? Gen.Constant(Seq<PortMap>.Empty) : Between(PortGen(), 0, 2)
        from verbose in Gen.Choose(0, 2)
        from files in Between(Gen.Elements("state.bin", "ckpt/*.dat", "progress.txt", "out/model.pt"), 0, 3)
        from marker in files.Count == 0 ? Gen.Constant(Option<string>.None) : Opt(Gen.Elements("checkpoint_done", "ckpt/.done"))
        from quiet in Duration()
        from keep in Gen.Choose(2, 10)
        from ro in ArbMap.Default.GeneratorFor<bool>()
        from nnp in ArbMap.Default.GeneratorFor<bool>()
        from caps in Gen.SubListOf(new[] { "NET_BIND_SERVICE", "SYS_PTRACE", "CHOWN" })
        from user in UserGen()
        from pw in ArbMap.Default.GeneratorFor<bool>()
        from mismatch in ArbMap.Default.GeneratorFor<bool>()
        from hostMounts in ArbMap.Default.GeneratorFor<bool>()
        from memory in Opt(Size())
        from cpus in Opt(Gen.Elements(0.5, 1.0, 2.0, 1.25, 16.0))
        from pids in Gen.Choose(1, 100_000)
        from tmp in Size()
        from quit in Gen.Elements(QuitPolicy.CheckpointAndStop, QuitPolicy.Pause)
        from grace in StopGrace()
        from linkFiles in Gen.Elements(LinkFileMode.AsWritten, LinkFileMode.Resolve)
        from sporadic in ArbMap.Default.GeneratorFor<bool>()
        select new JobConfig(
            workdir, project, image, build, create, gpu, web,
            mounts, ports, verbose,
            new CheckpointConfig(files.Distinct().ToSeq(), marker, quiet, keep),
            new ConfinementConfig(network, ro, nnp, caps.ToSeq(), user, pw, mismatch, hostMounts),
            new Limits(memory, cpus, pids, tmp),
            new LifecycleConfig(quit, grace)) { Inputs = new InputsConfig(linkFiles), Sporadic = sporadic };

    public static Arbitrary<JobConfig> JobConfigArb() => Arb.From(JobConfigGen());

    /// <summary>None about a third of the time, else Some of the generated value.</summary>
    public static Gen<Option<T>> Opt<T>(Gen<T> g) =>
        Gen.Frequency((1, Gen.Constant(Option<T>.None)), (2, g.Select(Option<T>.Some)));

    /// <summary>A Seq of min..max generated items.</summary>
    public static Gen<Seq<T>> Between<T>(Gen<T> g, int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.ListOf(g, n)).Select(l => l.ToSeq());
}
