using System.Linq;
using Boinc.Persist.Properties.LoopSimulation;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

/// <summary>Generated runs of the world around the shipped wrapper loop (see <see cref="SimWorld"/>).</summary>
public static partial class Generators
{
    public static Gen<Act> ActGen() =>
        Gen.Frequency(
            (8, Gen.Constant<Act>(new Act.AppStep())),
            (2, Gen.Elements(0, 0, 3).Select(c => (Act)new Act.AppExits(c))),
            (1, Gen.Elements(false, true).Select(oom => (Act)new Act.ContainerKilled(oom))),
            (1, Gen.Constant<Act>(new Act.EngineRestart())),
            (1, Gen.Constant<Act>(new Act.Vanish())),
            (2, Gen.Constant<Act>(new Act.Quit())),
            (1, Gen.Constant<Act>(new Act.Suspend())),
            (1, Gen.Constant<Act>(new Act.Resume())),
            (2, Gen.Elements(1, 3, 31).Select(s => (Act)new Act.Advance(s))),
            (2, Gen.Constant<Act>(new Act.WrapperKilled())),
            (3, Gen.Constant<Act>(new Act.Restart())),
            (1, Gen.Constant<Act>(new Act.EngineOutage())),
            (1, Gen.Constant<Act>(new Act.Abort())));

    /// <summary>A run of 2 to 8 acts (the Properties pass's default size keeps every run's crash states enumerable in seconds).</summary>
    public static Arbitrary<SimRun> SimRunArb() =>
        Arb.From(
            from n in Gen.Choose(2, 8)
            from acts in Gen.ListOf(ActGen(), n)
            from pause in Gen.Elements(false, false, true)
            from keep in Gen.Elements(true, false)
            select new SimRun(acts.ToSeq(), pause, keep),
            run => Enumerable.Range(0, run.Acts.Count).Select(i => run with { Acts = run.Acts.Take(i).Concat(run.Acts.Skip(i + 1)).ToSeq() }));
}
