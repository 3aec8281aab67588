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

    /// <summary>When the model host booted; containers' run times are drawn around it.</summary>
    public static readonly DateTimeOffset Boot = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Exit codes a job can give on its own: anything but 128 + an outside signal (HUP, INT, QUIT, KILL, TERM) and the engine's 255.</summary>
    public static Gen<int> OwnExitCodeGen() =>
        Gen.Frequency((3, Gen.Constant(0)), (3, Gen.Choose(1, 254))).Where(c => !ExitRule.OutsideSignals.Exists(s => s + 128 == c));

    /// <summary>The exit codes of a container killed from outside: 128 + HUP, INT, QUIT, KILL, TERM.</summary>
    public static Gen<int> OutsideSignalCodeGen() => Gen.Elements(129, 130, 131, 137, 143);

    /// <summary>Run facts of a container that ran and ended within this boot (started and finished after it).</summary>
    public static Gen<RunFacts> ThisBootRunGen() =>
        from start in Gen.Choose(1, 100_000)
        from length in Gen.Choose(0, 100_000)
        select new RunFacts(Boot.AddSeconds(start), Boot.AddSeconds(start + length), false);

    /// <summary>Run facts of a container that ended before the current boot (it finished before the host went down).</summary>
    public static Gen<RunFacts> BeforeBootRunGen() =>
        from ago in Gen.Choose(1, 100_000)
        from length in Gen.Choose(0, 100_000)
        select new RunFacts(Boot.AddSeconds(-ago - length), Boot.AddSeconds(-ago), false);

    /// <summary>Run facts of a container the host went down under: started before the boot, end recorded after it or not at all.</summary>
    public static Gen<RunFacts> AcrossRebootRunGen() =>
        from start in Gen.Choose(1, 100_000)
        from end in OptionOf(Gen.Choose(0, 100_000))
        select new RunFacts(Boot.AddSeconds(-start), end.Map(e => Boot.AddSeconds(e)), false);

    /// <summary>A journal of this task that records no result and no abort (boot ids of any boot).</summary>
    public static Gen<Journal> UnfinishedJournalGen() =>
        from j in JournalGen()
        from boot in Gen.Elements("boot-0", "boot-1", "boot-other")
        from intent in Gen.Elements(Intent.Run, Intent.Run, Intent.Run)
        select j with { Container = TaskContainer, FinishedExitCode = Option<int>.None, Intent = intent, BootId = boot };

    /// <summary>Generations as recovery or a commit would report them.</summary>
    public static Gen<StoreSummary> StoreGen() =>
        OptionOf(Gen.Choose(1, 1000).Select(n => new GenerationSummary(n, n * 1_000_000L))).Select(g => new StoreSummary(g));

    /// <summary>Anything that can reach a running wrapper.</summary>
    public static Gen<Command> CommandGen() =>
        Gen.Frequency(
            (3, Gen.Constant<Command>(new Command.CheckpointDetected())),
            (3, Gen.Choose(1, 1000).Select(n => (Command)new Command.CheckpointCommitted(new GenerationSummary(n, n * 1_000_000L)))),
            (1, Gen.Constant<Command>(new Command.CheckpointNotCommitted("disk full"))),
            (2, Gen.Choose(0, 1_000_000).Select(n => (Command)new Command.CpuSampled(n * 1000L))),
            (1, Gen.Constant<Command>(new Command.Suspend())),
            (1, Gen.Constant<Command>(new Command.Resume())),
            (1, Gen.Constant<Command>(new Command.Quit())),
            (1, Gen.Constant<Command>(new Command.ClientLost())),
            (1, Gen.Constant<Command>(new Command.GraceElapsed())),
            (1, OutsideSignalCodeGen().Select(c => (Command)new Command.ContainerEnded(new Observation.Exited("c1", c)))),
            (1, OwnExitCodeGen().Select(c => (Command)new Command.ContainerEnded(new Observation.Exited("c1", c)))),
            (1, Gen.Constant<Command>(new Command.EngineEvent(new Observation.Absent()))),
            (1, StoreGen().Select(s => (Command)new Command.StoreRecovered(s))),
            (1, Gen.Elements<Observation>(new Observation.Absent(), new Observation.Running("c1"), new Observation.Exited("c1", 137))
                .Select(o => (Command)new Command.WorldObserved(Option<Journal>.None, o))));

    /// <summary>stop_grace as job.toml may say it (0 to 10 minutes, in milliseconds).</summary>
    public static Gen<TimeSpan> StopGraceGen() =>
        Gen.Frequency((3, Gen.Choose(0, 60_000)), (1, Gen.Choose(0, 600_000))).Select(ms => TimeSpan.FromMilliseconds(ms));
}
