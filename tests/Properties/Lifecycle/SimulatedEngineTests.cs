using System;
using System.Threading;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Verification.Simulation;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>
/// The simulated engine the wrapper loop is to run against ends containers the way the engines do, as the
/// decider's <see cref="ExitRule"/> reads them: the job's own exit is its result; a signal, the OOM killer,
/// an engine restart and a host reboot are kills (run again).
/// </summary>
public class SimulatedEngineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    public enum End { OwnExit0, OwnExit3, Sigterm, Sigkill, Oom, EngineRestart, HostReboot }

    [Property(MaxTest = 60)]
    public Property Each_way_a_container_ends_is_classified_as_the_engines_would_have_it(End end) =>
        Prop.ForAll(Arb.From(Generators.ValidPlanInputGen()), input => Planner.Make(input).Value.Match(
            plan =>
            {
                // Given a created and started container of a job
                var spec = plan.Container;
                var engine = new SimulatedEngine(T0);
                var ct = CancellationToken.None;
                _ = engine.EnsureImage(spec.Image, "FROM scratch", System.IO.TextWriter.Null, ct).Result;
                _ = engine.Create(spec, ct).Result;
                _ = engine.Start(spec.Name, ct).Result;
                engine.Advance(TimeSpan.FromMinutes(5));

                // When it ends this way
                switch (end)
                {
                    case End.OwnExit0: engine.JobExits(spec.Name, 0); break;
                    case End.OwnExit3: engine.JobExits(spec.Name, 3); break;
                    case End.Sigterm: engine.Signal(spec.Name, 15); break;
                    case End.Sigkill: engine.Signal(spec.Name, 9); break;
                    case End.Oom: engine.OomKill(spec.Name); break;
                    case End.EngineRestart: engine.EngineRestart(); break;
                    case End.HostReboot: engine.HostReboot(TimeSpan.FromMinutes(1)); break;
                }

                // Then a wrapper starting now (nobody watched) classifies it as the engines' facts say
                var seen = engine.Inspect(spec.Name, ct).Result.IfLeft(new Observation.Absent());
                if (seen is not Observation.Exited exited)
                    return false.Label($"not exited: {seen}");
                var verdict = ExitRule.Classify(exited.Code, seen.Run, Intent.Run, engine.Boot, watched: false);
                var expected = end switch
                {
                    End.OwnExit0 => verdict is ContainerEnd.OwnExit { Code: 0 },
                    End.OwnExit3 => verdict is ContainerEnd.OwnExit { Code: 3 },
                    _ => verdict is ContainerEnd.Killed,
                };
                return (expected && engine.Starts == 1 && engine.WaitForExit(spec.Name, TimeSpan.FromSeconds(1), ct).Result.IsRight)
                    .Label($"{end}: {verdict}; history: {string.Join(" | ", engine.History)}");
            },
            () => false.Label("a valid input did not plan")));
}
