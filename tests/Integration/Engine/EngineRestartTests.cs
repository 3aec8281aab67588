using System;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Shell.Engine;
using Xunit;
using static Boinc.Persist.Integration.Engine.AdapterSpecs;

namespace Boinc.Persist.Integration.Engine;

/// <summary>The adapter when the engine dies under it and comes back (on a private dockerd).</summary>
[Collection(EngineAloneCollection.Name)]
public sealed class EngineRestartTests(EngineFixture engine)
{
    [Fact]
    public async Task A_killed_daemon_is_unreachable_to_every_call_and_after_its_restart_the_container_is_observed_again()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var priv = await PrivateEngine.Start(engine.BaseImage, cts.Token);
        using var adapter = new DockerEngine(priv.Endpoint, EnginePolicy.Default with
        {
            Attempts = 3, FirstBackoff = TimeSpan.FromMilliseconds(100), CallLimit = TimeSpan.FromSeconds(20),
        });

        // Given a running container and a wrapper waiting for its exit
        var name = NewName(engine, "daemon");
        Ok(await adapter.Create(Container(engine, name, engine.BaseImage), Sh("sleep 300"), cts.Token));
        Ok(await adapter.Start(name, cts.Token));
        var waiting = adapter.WaitForExit(name, TimeSpan.FromMinutes(2), cts.Token);
        await Task.Delay(500, cts.Token);

        // When the daemon is killed
        await priv.KillDaemon();

        // Then the wait ends with the unreachable kind (not an exit code, not a hang), and so does inspect
        var waited = await waiting.WaitAsync(TimeSpan.FromSeconds(30), cts.Token);
        Assert.True(waited.Match(_ => false, e => e.IsTemporary), $"wait gave {waited}");
        var inspected = await adapter.Inspect(name, cts.Token);
        Assert.True(inspected.Match(_ => false, e => e is EngineError.Unreachable), $"inspect gave {inspected}");

        // When it comes back on the same data
        await priv.Launch(cts.Token);

        // Then the container is there again, observed as a state the lifecycle handles (exited or running)
        var after = Ok(await adapter.Inspect(name, cts.Token));
        Assert.True(after is Observation.Exited or Observation.Running, $"after restart: {after}");
        Ok(await adapter.Remove(name, cts.Token));
        Assert.Equal(new Observation.Absent(), Ok(await adapter.Inspect(name, cts.Token)));
    }
}
