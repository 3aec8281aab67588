using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Shell.Engine;
using LanguageExt;
using Xunit;
using static Boinc.Persist.Integration.Engine.AdapterSpecs;

namespace Boinc.Persist.Integration.Engine;

/// <summary>The engine adapter against the real engine: what each call does, and how failures come back.</summary>
[Collection(EngineCollection.Name)]
public sealed class EngineAdapterTests(EngineFixture engine) : IDisposable
{
    private readonly DockerEngine adapter = new(new EngineEndpoint(engine.Endpoint, "test"));
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromMinutes(2));

    private CancellationToken Ct => timeout.Token;

    public void Dispose()
    {
        adapter.Dispose();
        timeout.Dispose();
    }

    [Fact]
    public async Task Create_start_and_wait_report_the_exit_code_and_create_is_idempotent_by_name()
    {
        // Given a container that exits with 7
        var name = NewName(engine, "exit");
        var spec = Container(engine, name, engine.BaseImage);
        try
        {
            // When it is created twice, started, and waited for
            var id = Ok(await adapter.Create(spec, Sh("exit 7"), Ct));
            var again = Ok(await adapter.Create(spec, Sh("exit 7"), Ct));
            Assert.Equal(new Observation.Created(id), Plain(Ok(await adapter.Inspect(name, Ct))));
            Ok(await adapter.Start(name, Ct));
            var code = Ok(await adapter.WaitForExit(name, TimeSpan.FromSeconds(60), Ct));

            // Then one container, its exit code from the wait API, and the engine agrees
            Assert.Equal(id, again);
            Assert.Equal(7, code);
            var exited = Ok(await adapter.Inspect(name, Ct));
            Assert.Equal(new Observation.Exited(id, 7), Plain(exited));
            // The engine's record of that run, which the decider's exit rule reads: it started, ended, was not OOM-killed.
            Assert.True(exited.Run.StartedAt.IsSome && exited.Run.FinishedAt.IsSome, $"run facts: {exited.Run}");
            Assert.False(exited.Run.OomKilled);
        }
        finally
        {
            Ok(await adapter.Remove(name, Ct));
        }

        Assert.Equal(new Observation.Absent(), Ok(await adapter.Inspect(name, Ct)));
        Ok(await adapter.Remove(name, Ct));
    }

    [Fact]
    public async Task Pause_and_unpause_are_observed_and_cpu_time_grows_only_while_running()
    {
        // Given a container burning CPU
        var name = NewName(engine, "cpu");
        try
        {
            var id = Ok(await adapter.Create(Container(engine, name, engine.BaseImage), Sh("while :; do :; done"), Ct));
            Ok(await adapter.Start(name, Ct));

            // When it runs: its cumulative CPU time grows (nanoseconds, not percentages; how fast depends on the
            // host's load, so only that it grows is asserted, waited for until the test's token runs out)
            var t0 = Ok(await adapter.CpuNanos(name, Ct));
            var t1 = t0;
            while (t1 <= t0)
            {
                await Task.Delay(100, Ct);
                t1 = Ok(await adapter.CpuNanos(name, Ct));
            }

            // When it is paused (twice: pausing is idempotent)
            Ok(await adapter.Pause(name, Ct));
            Ok(await adapter.Pause(name, Ct));
            Assert.Equal(new Observation.Paused(id), Plain(Ok(await adapter.Inspect(name, Ct))));
            var p0 = Ok(await adapter.CpuNanos(name, Ct));
            await Task.Delay(1500, Ct);
            var p1 = Ok(await adapter.CpuNanos(name, Ct));

            // Then the counter stands still (a frozen cgroup runs nothing: not one nanosecond), and it runs again
            // after unpause
            Assert.True(p1 == p0, $"CPU grew by {p1 - p0} ns while paused");
            Ok(await adapter.Unpause(name, Ct));
            Ok(await adapter.Unpause(name, Ct));
            Assert.Equal(new Observation.Running(id), Plain(Ok(await adapter.Inspect(name, Ct))));
        }
        finally
        {
            Ok(await adapter.Remove(name, Ct));
        }
    }

    [Fact]
    public async Task Logs_are_streamed_with_the_prefix_while_the_container_still_runs()
    {
        // Given a container that writes a line to stdout and one to stderr, then waits before a last line
        var name = NewName(engine, "logs");
        var sink = new StringWriter();
        var synced = TextWriter.Synchronized(sink);
        try
        {
            Ok(await adapter.Create(Container(engine, name, engine.BaseImage),
                Sh("echo first; echo oops >&2; sleep 4; echo last"), Ct));
            Ok(await adapter.Start(name, Ct));

            // When the logs are followed
            var streaming = adapter.StreamLogs(name, "[job] ", synced, Ct);

            // Then the first lines arrive, prefixed, while the container is still running
            var sw = Stopwatch.StartNew();
            while (!sink.ToString().Contains("[job] oops") && sw.Elapsed < TimeSpan.FromSeconds(20))
                await Task.Delay(50, Ct);
            Assert.Contains("[job] first" + Environment.NewLine, sink.ToString());
            Assert.Contains("[job] oops" + Environment.NewLine, sink.ToString());
            Assert.DoesNotContain("last", sink.ToString());
            Assert.IsType<Observation.Running>(Ok(await adapter.Inspect(name, Ct)));

            // And the stream ends by itself with the last line when the container exits
            Ok(await streaming.WaitAsync(TimeSpan.FromSeconds(30), Ct));
            Assert.EndsWith("[job] last" + Environment.NewLine, sink.ToString());
        }
        finally
        {
            Ok(await adapter.Remove(name, Ct));
        }
    }

    [Fact]
    public async Task A_call_over_its_limit_is_a_timeout_value_not_an_exception()
    {
        // Given a container that will not exit soon
        var name = NewName(engine, "slow");
        try
        {
            Ok(await adapter.Create(Container(engine, name, engine.BaseImage), Sh("sleep 60"), Ct));
            Ok(await adapter.Start(name, Ct));

            // When we wait for it with a short limit
            var r = await adapter.WaitForExit(name, TimeSpan.FromMilliseconds(500), Ct);

            // Then the result is the timeout, naming the operation and the limit, and it is temporary
            var error = r.Match(_ => null!, e => e);
            var t = Assert.IsType<EngineError.Timeout>(error);
            Assert.Contains(name, t.Operation);
            Assert.True(t.IsTemporary);
        }
        finally
        {
            Ok(await adapter.Remove(name, Ct));
        }
    }

    [Fact]
    public async Task Stop_honours_the_grace_and_ends_a_container_that_ignores_sigterm()
    {
        var name = NewName(engine, "stop");
        try
        {
            Ok(await adapter.Create(Container(engine, name, engine.BaseImage), Sh("trap '' TERM; while :; do sleep 1; done"), Ct));
            Ok(await adapter.Start(name, Ct));

            var sw = Stopwatch.StartNew();
            Ok(await adapter.Stop(name, TimeSpan.FromSeconds(2), Ct));

            Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(1.5), $"stopped after {sw.Elapsed}, before the grace");
            Assert.Equal(137, Assert.IsType<Observation.Exited>(Ok(await adapter.Inspect(name, Ct))).Code);

            // And stop, kill and remove are idempotent: on the exited container and on an absent one
            Ok(await adapter.Stop(name, TimeSpan.FromSeconds(1), Ct));
            Ok(await adapter.Kill(name, Ct));
            Ok(await adapter.Remove(name, Ct));
            Ok(await adapter.Stop(name, TimeSpan.FromSeconds(1), Ct));
            Ok(await adapter.Kill(name, Ct));
            Ok(await adapter.Remove(name, Ct));
        }
        finally
        {
            Ok(await adapter.Remove(name, Ct));
        }
    }

    [Fact]
    public async Task An_engine_that_is_not_there_is_the_unreachable_kind()
    {
        // Given a socket path nobody listens on, and a socket file whose server is gone
        // (short paths: a unix socket path has at most 107 bytes)
        var missing = $"/tmp/bp-{Guid.NewGuid().ToString("N")[..8]}-missing.sock";
        var dead = $"/tmp/bp-{Guid.NewGuid().ToString("N")[..8]}-dead.sock";
        using (var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
        {
            listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(dead));
        }

        var policy = EnginePolicy.Default with { Attempts = 2, FirstBackoff = TimeSpan.FromMilliseconds(10) };
        foreach (var socket in new[] { missing, dead })
        {
            using var nowhere = new DockerEngine(EngineEndpoint.FromUri("unix://" + socket), policy);

            // When we ask it anything
            var version = await nowhere.Version(Ct);
            var inspect = await nowhere.Inspect("anything", Ct);

            // Then both are Unreachable (a temporary condition), not a failure of the job
            var error = version.Match(_ => null!, e => e);
            Assert.True(error is EngineError.Unreachable, $"{socket}: {error}");
            Assert.True(inspect.Match(_ => false, e => e is EngineError.Unreachable && e.IsTemporary));
        }

        File.Delete(dead);
    }

    [Fact]
    public async Task Version_answers_and_an_absent_container_is_observed_as_absent()
    {
        var v = Ok(await adapter.Version(Ct));

        Assert.False(string.IsNullOrEmpty(v.ApiVersion));
        Assert.Equal(new Observation.Absent(), Ok(await adapter.Inspect(NewName(engine, "none"), Ct)));
    }

    /// <summary>The observation without the engine's run record (start and end times differ every run).</summary>
    private static Observation Plain(Observation o) => o with { Run = RunFacts.Unknown };
}
