using System;
using System.Linq;
using Boinc.Persist.Core.Lifecycle;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;
using static Boinc.Persist.Properties.Generators;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>
/// Quit, SIGTERM/SIGHUP and a lost client end the wrapper within stop_grace in total (checkpoint wait plus the
/// engine's stop), and stop_grace is bounded by what the BOINC client tolerates (60 s, less a margin).
/// </summary>
public class QuitBudgetTests
{
    [Theory]
    [InlineData(30, 20, 10)]
    [InlineData(5, 4, 1)]
    [InlineData(45, 35, 10)]
    [InlineData(300, 35, 10)]
    [InlineData(0.5, 0.5, 0)]
    public void Stop_grace_splits_into_checkpoint_wait_and_stop_timeout(double grace, double wait, double stop)
    {
        var b = QuitBudget.Of(TimeSpan.FromSeconds(grace));

        Assert.Equal(TimeSpan.FromSeconds(wait), b.CheckpointWait);
        Assert.Equal(TimeSpan.FromSeconds(stop), b.StopTimeout);
    }

    [Fact]
    public void The_cap_leaves_a_margin_below_the_clients_quit_timeout()
    {
        Assert.True(QuitBudget.MaxStopGrace + TimeSpan.FromSeconds(10) <= QuitBudget.ClientQuitTimeout);
    }

    [Property(MaxTest = 500)]
    public Property The_budget_never_exceeds_stop_grace_nor_the_cap() =>
        Prop.ForAll(Arb.From(StopGraceGen()), grace =>
        {
            var b = QuitBudget.Of(grace);
            return (b.Total <= grace && b.Total <= QuitBudget.MaxStopGrace && b.CheckpointWait >= TimeSpan.Zero
                    && b.StopTimeout >= TimeSpan.Zero && b.StopTimeout.Ticks % TimeSpan.TicksPerSecond == 0)
                .Label($"{grace} -> {b}");
        });

    [Property(MaxTest = 300)]
    public Property Whatever_happens_after_a_quit_the_waits_and_stop_timeouts_add_up_to_at_most_stop_grace() =>
        Prop.ForAll(Arb.From(StopGraceGen()), Arb.From(CommandGen().ListOf()), (grace, commands) =>
        {
            var facts = Facts() with { StopGrace = grace };
            var running = Drive.Started(facts, new StoreSummary(new GenerationSummary(1, 1))).State;
            var d = Drive.Decide(running, new Command[] { new Command.Quit() }.Concat(commands));
            var waited = d.Effects.OfType<Effect.AwaitCheckpoint>().Aggregate(TimeSpan.Zero, (t, a) => t + a.Grace);
            var stopped = d.Effects.OfType<Effect.StopContainer>().Aggregate(TimeSpan.Zero, (t, s) => t + s.Grace);
            return (waited + stopped <= QuitBudget.Effective(grace) && d.Effects.OfType<Effect.AwaitCheckpoint>().Count() <= 1
                    && d.Effects.OfType<Effect.StopContainer>().Count() <= 1)
                .Label($"{grace}: {d.Effects}");
        });
}
