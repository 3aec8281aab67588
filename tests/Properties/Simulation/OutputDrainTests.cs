using System;
using System.IO;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Shell.Verification.Simulation;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.LoopSimulation;

/// <summary>
/// The container's last output reaches the wrapper's log (stderr.txt) before the wrapper removes the container:
/// the SHIPPED loop under simulation, with an engine whose log reaches the follower a while after the container
/// ended and is gone with the container (as Podman's is when its follow stream ends early). Nothing here waits on
/// the clock: the lag only makes a wrong order lose the line.
/// </summary>
public class OutputDrainTests
{
    private static readonly TimeSpan Lag = TimeSpan.FromMilliseconds(200);

    private static Task<(SimWorld World, string Log)> Run(params Act[] acts) => Run(pausePolicy: false, acts);

    private static async Task<(SimWorld World, string Log)> Run(bool pausePolicy, params Act[] acts)
    {
        var log = new StringWriter();
        var world = SimWorld.New(new SimRun(Seq<Act>.Empty, pausePolicy, ContainersSurviveReboot: true));
        world.Log = log;
        world.Engine.OutputLag = Lag;
        await world.StartWrapper();
        foreach (var act in acts)
            await world.Do(act);
        var text = log.ToString();
        world.Abandon();
        Assert.Empty(world.Violations);
        return (world, text);
    }

    [Fact]
    public async Task A_job_that_exits_on_its_own_has_its_last_line_in_the_log_before_the_finish()
    {
        var (world, log) = await Run(new Act.AppStep(), new Act.AppExits(0));
        Assert.Equal(Option<int>.Some(0), world.Reported);
        Assert.Contains("[job] " + SimulatedEngine.LastWords(SimWorld.ContainerName, 0), log);
        Assert.Contains($"{SimWorld.ContainerName} removed by the wrapper", string.Join("\n", world.Engine.History));
    }

    [Fact]
    public async Task A_killed_container_has_its_last_line_in_the_log_before_it_is_removed_and_started_again()
    {
        var (world, log) = await Run(new Act.AppStep(), new Act.ContainerKilled(Oom: false));
        Assert.Equal(2, world.Starts);
        Assert.Contains("[job] " + SimulatedEngine.LastWords(SimWorld.ContainerName, 137), log);
    }

    [Fact]
    public async Task An_aborted_job_has_its_last_line_in_the_log_before_its_container_is_removed()
    {
        var (world, log) = await Run(new Act.AppStep(), new Act.Abort());
        Assert.True(world.Aborted);
        Assert.Contains("[job] " + SimulatedEngine.LastWords(SimWorld.ContainerName, 137), log);
    }

    /// <summary>A quit that leaves the container paused has no end of its output to wait for: the wrapper exits at
    /// once (the drain waited for a stream that only ends with the container; the timeout guards that hang).</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_quit_that_leaves_the_container_paused_exits_without_waiting_for_its_output()
    {
        var (world, log) = await Run(pausePolicy: true, new Act.AppStep(), new Act.Quit());
        Assert.False(world.Alive);
        Assert.IsType<Observation.Paused>(world.Engine.Observe(SimWorld.ContainerName));
        Assert.DoesNotContain("still being relayed", log);
        Assert.DoesNotContain("[job] ", log);
    }
}
