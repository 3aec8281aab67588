using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

/// <summary>Generators of whole plan inputs.</summary>
public static partial class Generators
{
    public const string SlotPath = "/var/lib/boinc-client/slots/3";
    public const string ProjectPath = "/var/lib/boinc-client/projects/example.org_proj";

    public static Gen<TaskIdentity> TaskGen() =>
        from wu in Gen.Elements("wu1", "job_2024_07_x", "Big.WU-9")
        from n in Gen.Choose(0, 9)
        from slot in Gen.Choose(0, 63)
        from cpus in Gen.Elements(1.0, 2.0, 0.5, 8.0)
        from mem in Gen.Elements(0.0, 5e8, 2e9, 1.6e10)
        select new TaskIdentity("example.org_proj", wu, $"{wu}_{n}", slot, cpus, mem);

    /// <summary>
    /// A job that should plan without error: WORKDIR agreed between job.toml and Dockerfile, extra mounts
    /// under /mnt with distinct targets, absolute sources only with allow_host_mounts.
    /// </summary>
    public static Gen<PlanInput> ValidPlanInputGen() =>
        from config in JobConfigGen()
        from workdir in Gen.Elements("/app", "/srv/job", "/home/boinc/work")
        from inJob in ArbMap.Default.GeneratorFor<bool>()
        from inDockerfile in ArbMap.Default.GeneratorFor<bool>()
        from task in TaskGen()
        from args in Between(Gen.Elements("--nsecs", "1", "in", "out"), 0, 3)
        let mounts = config.Mounts.GroupBy(m => m.Target).Select(g => g.First()).ToSeq()
        let needsHost = mounts.Exists(m => !m.IsSlotRelative)
        let c = config with
        {
            Workdir = inJob ? workdir : Option<string>.None,
            Mounts = mounts,
            Create = config.Create with { Tmpfs = Seq<TmpfsSpec>.Empty, Labels = Seq<KeyValue>.Empty },
            Build = config.Build with { Labels = Seq<KeyValue>.Empty },
            Confinement = config.Confinement with { AllowHostMounts = config.Confinement.AllowHostMounts || needsHost },
        }
        select new PlanInput(
            new JobFile("job.toml", c, Map<string, int>.Empty),
            new DockerfileFacts("Dockerfile", "FROM base\nWORKDIR " + workdir + "\n",
                inDockerfile || !inJob ? Option<(string, int)>.Some((workdir, 2)) : Option<(string, int)>.None,
                Option<string>.None),
            task,
            new HostFacts(SlotPath, ProjectPath, 1000, 1000),
            args);
}
