using System;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Properties.LifecycleTests;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

/// <summary>Generators of journals, observations and crash scenarios for the lifecycle.</summary>
public static partial class Generators
{
    public const string TaskContainer = "boinc__example.org_proj__wu1_0";
    public const string TaskImage = "boinc-persist/job:0123abcd";

    public static TaskFacts Facts(QuitPolicy policy = QuitPolicy.CheckpointAndStop, string boot = "boot-1") =>
        new(TaskContainer, TaskImage, boot, policy, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5));

    private static Gen<string> AnyText() =>
        Gen.OneOf(
            Gen.Elements("", "abc", "%", "%25", "a\nb", "x\r\ny", "sha256=00", "=", "é ü", "container=evil"),
            ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get));

    public static Gen<Journal> JournalGen() =>
        from container in Gen.OneOf(Gen.Constant(TaskContainer), AnyText().Where(s => s.Length > 0))
        from id in OptionOf(AnyText().Where(s => s.Length > 0))
        from image in OptionOf(Gen.Elements("sha256:1234", "sha256:ffff"))
        from gen in OptionOf(Gen.Choose(0, int.MaxValue).Select(n => (long)n * 3))
        from boot in OptionOf(Gen.Elements("6a1f0c2e-1111-4d2e-9d7b-0a0b0c0d0e0f", "b"))
        from cpu in Gen.Choose(0, int.MaxValue).Select(n => (long)n * 1000)
        from exit in OptionOf(Gen.Choose(-1, 255))
        from intent in Gen.Elements(Intent.Run, Intent.Stop, Intent.Abort)
        select new Journal(container, id, image, gen, boot, cpu, exit, intent);

    public static Gen<Observation> ObservationGen() =>
        Gen.OneOf(
            Gen.Constant<Observation>(new Observation.Absent()),
            Gen.Constant<Observation>(new Observation.Created("c1")),
            Gen.Constant<Observation>(new Observation.Running("c1")),
            Gen.Constant<Observation>(new Observation.Paused("c1")),
            Gen.Choose(0, 255).Select(c => (Observation)new Observation.Exited("c1", c)),
            Gen.Constant<Observation>(new Observation.Dead("c1")),
            Gen.Constant<Observation>(new Observation.Unknown("c1", "restarting")));

    /// <summary>A crash story: what happens to the wrapper, the app and the host, with kill points.</summary>
    public static Gen<Step> LifecycleStepGen() =>
        from kill in Gen.Frequency((2, Gen.Constant(-1)), (3, Gen.Choose(0, 6)))
        from step in Gen.Frequency(
            (4, Gen.Constant<Step>(new Step.Checkpoint(kill))),
            (4, Gen.Constant<Step>(new Step.Restart(kill))),
            (1, Gen.Constant<Step>(new Step.Suspend(kill))),
            (1, Gen.Constant<Step>(new Step.Resume(kill))),
            (1, Gen.Constant<Step>(new Step.Quit(kill))),
            (1, Gen.Elements(0, 1, 3).Select(c => (Step)new Step.JobExits(c, kill))),
            (1, Gen.Constant<Step>(new Step.Abort(kill))),
            (1, Gen.Constant<Step>(new Step.DaemonRestart())),
            (1, Gen.Constant<Step>(new Step.HostReboot())),
            (1, Gen.Constant<Step>(new Step.ContainerRemoved())),
            (1, Gen.Constant<Step>(new Step.EngineDown(kill))))
        select step;

    public static Arbitrary<Step[]> StoryArb() =>
        Arb.From(Gen.Sized(n => Gen.Choose(1, Math.Max(1, n)).SelectMany(k => LifecycleStepGen().ArrayOf(k))));
}
