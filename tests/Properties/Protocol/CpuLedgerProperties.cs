using System;
using System.Collections.Generic;
using System.Linq;
using Boinc.Persist.Core.Protocol;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Boinc.Persist.Properties.ClientProtocol;

/// <summary>
/// Runs generated stories (use, sample, commit, report, container and wrapper restarts) through the ledger and a
/// model of the client, checking BOINC issues #6824/#6830 cannot happen: the CPU time the client sees never
/// resets below its checkpoint, never counts a second twice, and the checkpoint is always a committed value.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 400)]
public class CpuLedgerProperties
{
    private sealed class World
    {
        public CpuLedger Ledger = CpuLedger.Start(0);
        public int Run;
        public double Counter;                       // the engine's counter for the current container run
        public double ObservedThisWrapper;           // sum over this wrapper's runs of their last sampled counter
        public Dictionary<int, double> LastSampled = new();
        public double ClientCurrent;
        public double ClientCheckpoint;
        public List<double> CommittedValues = new();
    }

    private static bool Near(double a, double b) => Math.Abs(a - b) <= 1e-6 * Math.Max(1, Math.Abs(b));

    [Property]
    public Property The_client_never_sees_cpu_time_go_back_or_count_twice(CpuStory story)
    {
        var w = new World { Ledger = CpuLedger.Start(story.WuCpuTime), ClientCheckpoint = story.WuCpuTime, ClientCurrent = story.WuCpuTime };
        w.CommittedValues.Add(story.WuCpuTime);
        var step = 0;
        foreach (var s in story.Steps)
        {
            step++;
            var before = w.Ledger;
            var clientCheckpointBefore = w.ClientCheckpoint;
            switch (s)
            {
                case CpuStep.Use u:
                    w.Counter += u.Seconds;
                    break;
                case CpuStep.Sample:
                    w.Ledger = w.Ledger.Observe(new CpuSample($"run{w.Run}", w.Counter));
                    var prev = w.LastSampled.GetValueOrDefault(w.Run);
                    w.ObservedThisWrapper += w.Counter - prev;
                    w.LastSampled[w.Run] = w.Counter;
                    break;
                case CpuStep.RestartContainer:
                    w.Run++;
                    w.Counter = 0;
                    break;
                case CpuStep.Commit:
                    var snapshot = w.Ledger.SnapshotCpu;
                    w.CommittedValues.Add(snapshot);
                    w.Ledger = w.Ledger.Committed(snapshot);
                    break;
                case CpuStep.Report:
                    var read = ClientStatusReading.Parse(w.Ledger.Status(0.5).Format());
                    if (read.CurrentCpuTime + 1e-6 * Math.Max(1, w.ClientCurrent) < w.ClientCurrent)
                        return false.Label($"step {step}: client current went back {w.ClientCurrent} -> {read.CurrentCpuTime}");
                    w.ClientCurrent = read.CurrentCpuTime;
                    w.ClientCheckpoint = read.CheckpointCpuTime;
                    break;
                case CpuStep.RestartWrapper:
                    // The client restarts the app with what it recorded; CPU since then is dropped, as for native apps.
                    w.Ledger = CpuLedger.Start(w.ClientCheckpoint);
                    w.ClientCurrent = w.ClientCheckpoint;
                    w.Run++;
                    w.Counter = 0;
                    w.ObservedThisWrapper = 0;
                    w.LastSampled.Clear();
                    break;
            }

            var l = w.Ledger;
            if (s is not CpuStep.RestartWrapper && l.Current < before.Current)
                return false.Label($"step {step} ({s}): current decreased {before.Current} -> {l.Current}");
            if (l.CheckpointCpu > l.Current + 1e-9)
                return false.Label($"step {step}: checkpoint {l.CheckpointCpu} above current {l.Current}");
            if (l.CheckpointCpu < before.CheckpointCpu && s is not CpuStep.RestartWrapper)
                return false.Label($"step {step}: checkpoint decreased");
            if (w.ClientCheckpoint < clientCheckpointBefore - 1e-6 * Math.Max(1, clientCheckpointBefore))
                return false.Label($"step {step}: the client's checkpoint went back {clientCheckpointBefore} -> {w.ClientCheckpoint}");
            if (!w.CommittedValues.Any(c => Near(c, l.CheckpointCpu)))
                return false.Label($"step {step}: checkpoint {l.CheckpointCpu} is not a committed generation's value");
            if (!Near(l.Current, l.ClientBase + w.ObservedThisWrapper))
                return false.Label($"step {step}: counted {l.Counted}, but the container was seen using {w.ObservedThisWrapper}");
        }

        return true.ToProperty().Classify(story.Steps.Any(s => s is CpuStep.RestartWrapper), "with wrapper restart")
            .Classify(story.Steps.Any(s => s is CpuStep.RestartContainer), "with container restart");
    }

    [Fact]
    public void A_repeated_sample_counts_once_and_a_new_run_counts_from_zero()
    {
        var l = CpuLedger.Start(100)
            .Observe(new CpuSample("a", 5)).Observe(new CpuSample("a", 5)).Observe(new CpuSample("a", 7))
            .Observe(new CpuSample("b", 3));
        Assert.Equal(110, l.Current);
        Assert.Equal(100, l.CheckpointCpu);
    }

    [Fact]
    public void A_counter_going_back_within_a_run_adds_nothing()
    {
        var l = CpuLedger.Start(0).Observe(new CpuSample("a", 10)).Observe(new CpuSample("a", 4)).Observe(new CpuSample("a", 6));
        Assert.Equal(12, l.Current);
    }

    [Fact]
    public void The_checkpoint_is_the_committed_value_not_the_current_one()
    {
        var l = CpuLedger.Start(50).Observe(new CpuSample("a", 10));
        var snapshot = l.SnapshotCpu;
        l = l.Observe(new CpuSample("a", 20)).Committed(snapshot);
        Assert.Equal(60, l.CheckpointCpu);
        Assert.Equal(70, l.Current);
        Assert.Equal(60, l.Committed(55).CheckpointCpu);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    public void A_bad_wu_cpu_time_starts_at_zero(double wu) => Assert.Equal(0, CpuLedger.Start(wu).Current);
}
