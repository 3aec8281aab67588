using System.Collections.Generic;
using System.Linq;
using Boinc.Persist.Core.Lifecycle;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>
/// The CPU time the shipped decider (<see cref="JobLifecycle.Decide"/>) tells BOINC while a container runs, fed
/// as the wrapper loop feeds it: samples of the container's counter (which may come back lower, e.g. a stats
/// answer older than the cgroup file read before it) and commits, each recording the kept work plus the counter
/// sampled at that commit (as the interpreter does), in any order, newer or stale. In every status: the current
/// CPU is the kept work plus the highest counter seen (each nanosecond counted once, never going back); the
/// checkpoint CPU is the newest committed generation's (or the kept work's) and never above the current.
/// </summary>
public class CpuAccountingProperties
{
    private const long KeptNanos = 100;

    private abstract record Step
    {
        public sealed record Sample(long Counter) : Step;

        public sealed record Commit(long Number, long CounterAtCommit) : Step;
    }

    private static readonly Gen<Step> StepGen = Gen.Frequency(
        (4, Gen.Choose(0, 1_000_000).Select(c => (Step)new Step.Sample(c * 1_000L))),
        (1, from n in Gen.Choose(1, 8)
            from c in Gen.Choose(0, 1_000_000)
            select (Step)new Step.Commit(n, c * 1_000L)));

    [Property(MaxTest = 300)]
    public Property Every_status_counts_each_nanosecond_once_and_the_checkpoint_is_the_newest_commits() =>
        Prop.ForAll(Arb.From(StepGen.ListOf()), steps =>
        {
            // Running after a restart from generation 2, whose CPU (the kept work) is KeptNanos.
            var state = Drive.Started(Generators.Facts(), new StoreSummary(new GenerationSummary(2, KeptNanos))).State;
            var highest = 0L;
            var newest = (Number: 2L, Cpu: KeptNanos);
            var lastCurrent = KeptNanos;
            var problems = new List<string>();
            foreach (var step in steps)
            {
                Command command;
                switch (step)
                {
                    case Step.Sample s:
                        highest = System.Math.Max(highest, s.Counter);
                        command = new Command.CpuSampled(s.Counter);
                        break;
                    case Step.Commit c:
                        // What the interpreter commits: the decider's CommitCheckpoint effect, at a counter sampled now.
                        var cpu = new Effect.CommitCheckpoint(state.Journal.CpuBaseNanos, state.ContainerCpuNanos).CpuAt(c.CounterAtCommit);
                        if (c.Number > newest.Number)
                        {
                            newest = (c.Number, cpu);
                            highest = System.Math.Max(highest, cpu - KeptNanos);
                        }

                        command = new Command.CheckpointCommitted(new GenerationSummary(c.Number, cpu));
                        break;
                    default:
                        throw new System.InvalidOperationException();
                }

                var d = JobLifecycle.Decide(state, command);
                state = d.State;
                foreach (var status in d.Effects.OfType<Effect.ReportStatus>())
                {
                    if (status.CpuNanos != KeptNanos + highest)
                        problems.Add($"after {step}: current {status.CpuNanos}, expected {KeptNanos + highest}");
                    if (status.CpuNanos < lastCurrent)
                        problems.Add($"after {step}: current went back {lastCurrent} -> {status.CpuNanos}");
                    if (status.CheckpointCpuNanos != newest.Cpu)
                        problems.Add($"after {step}: checkpoint {status.CheckpointCpuNanos}, newest commit {newest.Number} has {newest.Cpu}");
                    if (status.CheckpointCpuNanos > status.CpuNanos)
                        problems.Add($"after {step}: checkpoint {status.CheckpointCpuNanos} above current {status.CpuNanos}");
                    lastCurrent = status.CpuNanos;
                }
            }

            return (problems.Count == 0).Label(string.Join("; ", problems.Take(3)))
                .Classify(steps.Any(s => s is Step.Commit), "with commits");
        });
}
