using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using Xunit;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using LanguageExt;
using static Boinc.Persist.Integration.Engine.AdapterSpecs;

namespace Boinc.Persist.Integration.Engine;

/// <summary>
/// The status tick's CPU sampler against the real engine: it reads the container's own cgroup counter (no
/// engine call per sample), agrees with the engine's stats, and finds the new counter after a restart.
/// </summary>
[Collection(EngineAloneCollection.Name)]
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
            Assert.True(last > first, $"the counter of a busy container did not grow over ten samples: {first} -> {last}");
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

            // When it is stopped: its figure at the end is there, no sample (its cgroup is gone), and no fall
            // back to engine stats
            var sampled = Ok(await cpu.Sample(name, Ct));
            Ok(await adapter.Kill(name, Ct));
            Ok(await adapter.WaitForExit(name, TimeSpan.FromSeconds(30), Ct));
            var atEnd = await cpu.AtExit(TimeSpan.FromSeconds(10), Ct);
            Assert.True(atEnd.Exists(n => n >= sampled), $"figure at the end {atEnd} below the sample {sampled} before it");
            Assert.True((await cpu.Sample(name, Ct)).IsLeft);

            // When it is started again: the new cgroup's counter is found and read
            Ok(await adapter.Start(name, Ct));
            await Task.Delay(300, Ct);
            var again = Ok(await cpu.Sample(name, Ct));

            // Then samples come from the cgroup file again, and nothing was said about falling back. (The read at
            // the kill races the engine's removal of the cgroup, ProcessExit: on a loaded machine it can lose, which
            // the wrapper says; that race is the next test's subject, not this one's.)
            Assert.True(again > 0);
            Assert.StartsWith("/", cpu.Source);
            Assert.All(warnings, w => Assert.StartsWith(ContainerCpu.LostAtEnd, w));
        }
        finally
        {
            Ok(await adapter.Remove(name, Ct));
        }
    }

    /// <summary>
    /// The issue-15 shortfall: the container burns CPU after its only sample and exits before another, so the
    /// last sample misses the whole burn; the figure at exit must be the cgroup's own counter at the container's
    /// end. The reference is read straight from the counter while the container, its work done, waits on a FIFO
    /// (using no CPU); after that it only returns from read(2) and exits, a path of microseconds, so the bound is
    /// one 10 ms scheduler tick (the counters count nanoseconds, v2 microseconds).
    /// <para>
    /// The read at the end races the engine's removal of the cgroup (ProcessExit; the watch's thread runs at nice
    /// -20 to win it, but on a loaded 2-core machine the engine can still come first: in stop 27's CI it did, in
    /// the test before this one). A lost race is said (<see cref="ContainerCpu.LostAtEnd"/>) and reports the last sample;
    /// so the scenario is run up to <see cref="Attempts"/> times, each lost race must be said and report the
    /// last sample, and at least one must read the counter at the end within the bound.
    /// </para>
    /// </summary>
    [Fact]
    public async Task The_figure_at_exit_is_the_counters_value_at_the_containers_end_not_the_last_sample()
    {
        var lost = new List<string>();
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            warnings.Clear();
            if (await FigureAtExit(attempt))
                return;
            lost.Add(warnings[0]);
        }

        Assert.Fail($"the read at the container's end lost the race in all {Attempts} attempts: {string.Join(" | ", lost)}");
    }

    private const int Attempts = 5;

    /// <summary>One run of the scenario: true when the counter was read at the end (and checked), false on a lost race.</summary>
    private async Task<bool> FigureAtExit(int attempt)
    {
        const long ExitPathNanos = 10_000_000;
        var name = NewName(engine, $"cgexit{attempt}");
        var dir = Directory.CreateTempSubdirectory("boinc-persist-cgexit-");
        using var cpu = new ContainerCpu(adapter, _ => { }, warnings.Add);
        try
        {
            // Given a container that waits to be sampled, then burns CPU, then waits again before it exits
            var spec = Container(engine, name, engine.BaseImage) with
            {
                Mounts = Seq.create(new PlannedMount(dir.FullName, "/w", false, Relabel.None, MountRole.Extra, "test")),
            };
            Ok(await adapter.Create(spec, Sh(
                "mkfifo /w/go /w/end && echo > /w/ready && read x < /w/go && " +
                "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo > /w/burnt && read x < /w/end"), Ct));
            Ok(await adapter.Start(name, Ct));
            await FileAppears(Path.Combine(dir.FullName, "ready"));

            // When it is sampled once (locating its counter), burns, is read directly at its end, and exits
            var first = Ok(await cpu.Sample(name, Ct));
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "go"), "go\n", Ct);
            await FileAppears(Path.Combine(dir.FullName, "burnt"));
            var process = Ok(await adapter.MainProcess(name, Ct));
            long atEnd;
            using (var direct = CgroupCpu.Open(process.Pid).Match(c => c, why => throw new Xunit.Sdk.XunitException(why)))
                atEnd = direct.Read().Match(v => v, why => throw new Xunit.Sdk.XunitException(why));
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "end"), "end\n", Ct);
            Assert.Equal(0, Ok(await adapter.WaitForExit(name, TimeSpan.FromSeconds(60), Ct)));
            var final = await cpu.AtExit(TimeSpan.FromSeconds(10), Ct);
            Assert.True(atEnd > first, $"the burn after the sample did not show in the counter: {first} -> {atEnd}");
            Assert.True(final.IsSome, "no figure at exit");
            var f = final.IfNone(0);
            Assert.True((await cpu.Sample(name, Ct)).IsLeft, "a stopped container still gave a sample");

            // Then either the race was lost, said as such, and the figure is the last sample
            if (warnings.Count > 0)
            {
                Assert.Single(warnings);
                Assert.StartsWith(ContainerCpu.LostAtEnd, warnings[0]);
                Assert.Equal(first, f);
                return false;
            }

            // or the figure is the counter at the end (the burn after the only sample included), read before the
            // engine deleted the cgroup: a later read finds nothing
            Assert.InRange(f, atEnd, atEnd + ExitPathNanos);
            return true;
        }
        finally
        {
            Ok(await adapter.Remove(name, Ct));
            dir.Delete(true);
        }
    }

    /// <summary>Waits for the container to create <paramref name="path"/> (bounded only by the test's token).</summary>
    private async Task FileAppears(string path)
    {
        while (!File.Exists(path))
            await Task.Delay(20, Ct);
    }
}
