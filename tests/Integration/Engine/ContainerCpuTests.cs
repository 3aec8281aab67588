using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using Xunit;
using static Boinc.Persist.Integration.Engine.AdapterSpecs;

namespace Boinc.Persist.Integration.Engine;

/// <summary>
/// The status tick's CPU sampler against the real engine: it reads the container's own cgroup counter (no
/// engine call per sample), agrees with the engine's stats, and finds the new counter after a restart.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ContainerCpuTests(EngineFixture engine) : IDisposable
{
    private readonly DockerEngine adapter = new(new EngineEndpoint(engine.Endpoint, "test"));
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromMinutes(2));
    private readonly List<string> warnings = new();

    private CancellationToken Ct => timeout.Token;

    public void Dispose()
    {
        adapter.Dispose();
        timeout.Dispose();
    }

    /// <summary>Tests of this collection run one at a time, so the process-wide call counter is ours here.</summary>
    [Fact]
    public async Task Samples_come_from_the_cgroup_without_engine_calls_and_agree_with_engine_stats()
    {
        // Given a container burning CPU
        var name = NewName(engine, "cgcpu");
        using var cpu = new ContainerCpu(adapter, _ => { }, warnings.Add);
        try
        {
            Ok(await adapter.Create(Container(engine, name, engine.BaseImage), Sh("while :; do :; done"), Ct));
            Ok(await adapter.Start(name, Ct));

            // When it is sampled once (locating its counter), then ten times more
            var first = Ok(await cpu.Sample(name, Ct));
            var callsBefore = EngineCallCounter.Total;
            long last = first;
            for (var i = 0; i < 10; i++)
            {
                await Task.Delay(100, Ct);
                var now = Ok(await cpu.Sample(name, Ct));
                Assert.True(now >= last, $"the counter went back from {last} to {now}");
                last = now;
            }

            var callsDuring = EngineCallCounter.Total - callsBefore;
            var stats = Ok(await adapter.CpuNanos(name, Ct));
            var after = Ok(await cpu.Sample(name, Ct));

            // Then the samples came from the cgroup file (no engine call), grew while it ran, and bracket stats
            Assert.Empty(warnings);
            Assert.StartsWith("/", cpu.Source);
            // (the counter is process-wide; the engine collection runs one test at a time)
            Assert.Equal(0, callsDuring);
            Assert.True(last - first > 300_000_000, $"CPU grew by only {last - first} ns in a busy second");
            Assert.InRange(stats, last, after);
        }
        finally
        {
            Ok(await adapter.Remove(name, Ct));
        }
    }
    [Fact]
    public async Task A_restarted_container_gets_its_new_counter_and_a_stopped_one_no_sample()
    {
        // Given a sampled container
        var name = NewName(engine, "cgre");
        using var cpu = new ContainerCpu(adapter, _ => { }, warnings.Add);
        try
        {
            Ok(await adapter.Create(Container(engine, name, engine.BaseImage), Sh("while :; do :; done"), Ct));
            Ok(await adapter.Start(name, Ct));
            Ok(await cpu.Sample(name, Ct));

            // When it is stopped: no sample (its cgroup is gone), and no fall back to engine stats
            Ok(await adapter.Kill(name, Ct));
            Ok(await adapter.WaitForExit(name, TimeSpan.FromSeconds(30), Ct));
            Assert.True((await cpu.Sample(name, Ct)).IsLeft);

            // When it is started again: the new cgroup's counter is found and read
            Ok(await adapter.Start(name, Ct));
            await Task.Delay(300, Ct);
            var again = Ok(await cpu.Sample(name, Ct));

            // Then samples come from the cgroup file again, and nothing was said about falling back
            Assert.True(again > 0);
            Assert.StartsWith("/", cpu.Source);
            Assert.Empty(warnings);
        }
        finally
        {
            Ok(await adapter.Remove(name, Ct));
        }
    }
}
