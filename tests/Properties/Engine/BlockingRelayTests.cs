using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Engine;

/// <summary>
/// The container output relay on blocking reads (DockerEngine.StreamLogs over EngineApi.SendBlocking, issue 17
/// item 1) against a fake engine on a unix socket. The call returns at once (the relay has a thread of its own),
/// a read blocked on a quiet stream must end when the relay is cancelled, an engine that never answers must end
/// in the call's time limit, and an engine's error must come back as an engine error. Each test waits for
/// events; the limits only keep a broken relay from hanging the run.
/// </summary>
public sealed class BlockingRelayTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string dir = Directory.CreateTempSubdirectory("bp-relay-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task Lines_are_relayed_as_they_come_and_a_read_blocked_on_a_quiet_stream_ends_when_the_relay_is_cancelled()
    {
        var more = new ManualResetEventSlim();
        var closedByClient = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var requested = "";
        using var engine = new FakeEngine(Path.Combine(dir, "engine.sock"), (request, s) =>
        {
            requested = request;
            Send(s, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
            Send(s, Chunk(Frame(1, "first line\nsecond ")));
            more.Wait(Patience);
            Send(s, Chunk(Frame(2, "an error line\n")));
            Send(s, Chunk(Frame(1, "line\n")));
            // Then nothing more: the relay's read blocks until it is cancelled, which closes the connection.
            try
            {
                closedByClient.TrySetResult(s.Receive(new byte[1]) == 0);
            }
            catch (SocketException)
            {
                closedByClient.TrySetResult(true); // reset: closed as well
            }
        });
        var sink = new LineSink();
        using var cts = new CancellationTokenSource();
        var docker = new DockerEngine(new EngineEndpoint(new Uri("unix://" + engine.Path), "test"));

        var relay = docker.StreamLogs("job_1", "[job] ", sink, cts.Token);
        sink.WaitFor(1);
        Assert.False(relay.IsCompleted); // the stream is open: the caller got its task before the stream ended
        more.Set();
        sink.WaitFor(3);
        cts.Cancel();

        var result = await relay.WaitAsync(Patience); // the relay did not end when cancelled, if this times out
        Assert.True(result.IsRight);
        Assert.StartsWith("GET /containers/job_1/logs?", requested);
        Assert.Contains("follow=1", requested);
        Assert.Equal(new[] { "[job] first line", "[job] an error line", "[job] second line" }, sink.Lines);
        Assert.True(await closedByClient.Task.WaitAsync(Patience), "the relay did not close its connection");
    }

    [Fact]
    public async Task An_engine_that_never_answers_the_log_request_ends_in_the_calls_time_limit()
    {
        var accepted = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var engine = new FakeEngine(Path.Combine(dir, "engine.sock"), (_, _) =>
        {
            accepted.Set();
            release.Wait(Patience);
        });
        var policy = new EnginePolicy(TimeSpan.FromMilliseconds(300), TimeSpan.FromMinutes(1), 1, TimeSpan.FromMilliseconds(10));
        var docker = new DockerEngine(new EngineEndpoint(new Uri("unix://" + engine.Path), "test"), policy);

        var relay = docker.StreamLogs("job_1", "[job] ", new LineSink(), CancellationToken.None);

        var result = await relay.WaitAsync(Patience); // the relay did not end at its time limit, if this times out
        Assert.True(accepted.IsSet);
        var error = result.Match(_ => null!, e => e);
        Assert.IsType<EngineError.Timeout>(error);
        release.Set();
    }

    [Fact]
    public async Task An_engines_error_answer_is_an_engine_error_with_its_message()
    {
        using var engine = new FakeEngine(Path.Combine(dir, "engine.sock"), (_, s) =>
        {
            const string body = """{"message":"No such container: job_1"}""";
            Send(s, $"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        });
        var docker = new DockerEngine(new EngineEndpoint(new Uri("unix://" + engine.Path), "test"));

        var relay = docker.StreamLogs("job_1", "[job] ", new LineSink(), CancellationToken.None);

        var error = (await relay.WaitAsync(Patience)).Match(_ => null!, e => e);
        Assert.Equal("No such container: job_1", Assert.IsType<EngineError.NotFound>(error).Message);
    }

    [Fact]
    public async Task A_stream_torn_inside_a_frame_is_followed_again_from_where_it_broke_and_the_break_is_said()
    {
        var logs = 0;
        var inspects = 0;
        var requests = new ConcurrentQueue<string>();
        using var engine = new FakeEngine(Path.Combine(dir, "engine.sock"), (request, s) =>
        {
            requests.Enqueue(request);
            if (request.Contains("/json", StringComparison.Ordinal))
            {
                // Running when asked after the break, exited when asked after the second stream's clean end.
                Json(s, Interlocked.Increment(ref inspects) == 1 ? "running" : "exited");
                return;
            }

            Send(s, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
            if (Interlocked.Increment(ref logs) == 1)
            {
                // The first stream: a line and a half, then a frame that says 100 bytes and ends after three.
                Send(s, Chunk(Frame(1, "one\ntwo ")));
                Send(s, Chunk(Frame(1, "thr" + new string('x', 97))[..(8 + 3)]));
            }
            else
            {
                // Every later read: the whole log from its start, as the engine keeps it.
                Send(s, Chunk(Frame(1, "one\ntwo three\n")));
                Send(s, Chunk(Frame(2, "an error line\n")));
                Send(s, Chunk(Frame(1, "four\n")));
            }

            Send(s, "0\r\n\r\n");
        });
        var sink = new LineSink();
        var notices = new ConcurrentQueue<string>();
        var docker = new DockerEngine(new EngineEndpoint(new Uri("unix://" + engine.Path), "test"));

        var result = await docker.StreamLogs("job_1", "[job] ", sink, CancellationToken.None, notice: notices.Enqueue).WaitAsync(Patience);

        Assert.True(result.IsRight, $"the relay ended with {result}");
        // Nothing lost, nothing twice: the read after the break skipped the 11 bytes of stdout already relayed.
        Assert.Equal(new[] { "[job] one", "[job] two three", "[job] an error line", "[job] four" }, sink.Lines);
        var said = Assert.Single(notices);
        Assert.Contains("broke", said);
        Assert.Contains("inside a piece of output", said);
        Assert.Contains("following it again", said);
        // Followed again while running, then read once more without following once it had exited.
        var logRequests = requests.Where(r => r.Contains("/logs", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, logRequests.Count);
        Assert.Contains("follow=1", logRequests[1]);
        Assert.Contains("follow=0", logRequests[2]);
    }

    [Fact]
    public async Task A_stream_that_keeps_breaking_without_new_output_is_given_up_and_that_is_said()
    {
        var logs = 0;
        using var engine = new FakeEngine(Path.Combine(dir, "engine.sock"), (request, s) =>
        {
            if (request.Contains("/json", StringComparison.Ordinal))
            {
                Json(s, "running");
                return;
            }

            Interlocked.Increment(ref logs);
            // Three bytes of a header, then the end: nothing relayed, every time.
            Send(s, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
            Send(s, Chunk(new byte[] { 1, 0, 0 }));
            Send(s, "0\r\n\r\n");
        });
        var notices = new ConcurrentQueue<string>();
        var docker = new DockerEngine(new EngineEndpoint(new Uri("unix://" + engine.Path), "test"));

        var result = await docker.StreamLogs("job_1", "[job] ", new LineSink(), CancellationToken.None, notice: notices.Enqueue).WaitAsync(Patience);

        Assert.True(result.IsLeft, "a relay that gave up returns the last error");
        Assert.Equal(DockerEngine.MaxBreaksWithoutOutput + 1, Volatile.Read(ref logs));
        Assert.Equal(DockerEngine.MaxBreaksWithoutOutput, notices.Count(n => n.Contains("following it again", StringComparison.Ordinal)));
        Assert.Contains($"broke {DockerEngine.MaxBreaksWithoutOutput + 1} times in a row without new output", notices.Last());
        Assert.Contains("inside a header", notices.Last());
    }

    private static void Json(Socket s, string status)
    {
        var body = "{\"Id\":\"c0ffee\",\"State\":{\"Status\":\"" + status + "\",\"ExitCode\":0}}";
        Send(s, $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}");
    }

    [Fact]
    public async Task Cancelling_a_connect_to_an_engine_that_accepts_nothing_never_blocks_the_thread_that_cancels()
    {
        // Disposing a socket waits for the calls blocked on it; a shutdown does not.
        using var frozen = new FrozenEngine(Path.Combine(dir, "frozen.sock"));
        var api = new EngineApi(new Uri("unix://" + frozen.Path));
        using var cts = new CancellationTokenSource();
        var entered = new ManualResetEventSlim();
        var call = Task.Factory.StartNew(() =>
        {
            entered.Set();
            return api.SendBlocking("GET", "/containers/job_1/logs?follow=1", cts.Token, connectLimit: TimeSpan.FromSeconds(2));
        }, TaskCreationOptions.LongRunning).Unwrap();
        Assert.True(entered.Wait(Patience));

        // Cancel from another thread, as the loop does: it must return whatever the connect is doing.
        var cancelled = Task.Factory.StartNew(cts.Cancel, TaskCreationOptions.LongRunning);
        await cancelled.WaitAsync(Patience); // Cancel() hung on the blocked connect, if this times out

        // The call itself ends at its connect limit at the latest, as cancelled (EngineCalls: not an engine fault).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_connect_to_an_engine_that_accepts_nothing_fails_at_its_limit_as_a_socket_error()
    {
        using var frozen = new FrozenEngine(Path.Combine(dir, "frozen.sock"));
        var api = new EngineApi(new Uri("unix://" + frozen.Path));

        var call = Task.Factory.StartNew(() => api.SendBlocking("GET", "/version", CancellationToken.None, connectLimit: TimeSpan.FromMilliseconds(200)),
            TaskCreationOptions.LongRunning).Unwrap();

        // A socket error is what EngineCalls classifies as an unreachable engine (and retries).
        await Assert.ThrowsAsync<SocketException>(() => call.WaitAsync(Patience));
    }

    private static void Send(Socket s, string text) => Send(s, Encoding.UTF8.GetBytes(text));

    private static void Send(Socket s, byte[] bytes) => s.Send(bytes);

    private static byte[] Frame(byte stream, string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new byte[8 + payload.Length];
        frame[0] = stream;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame, 8);
        return frame;
    }

    private static byte[] Chunk(byte[] data)
    {
        var head = Encoding.ASCII.GetBytes($"{data.Length:x}\r\n");
        var chunk = new byte[head.Length + data.Length + 2];
        head.CopyTo(chunk, 0);
        data.CopyTo(chunk, head.Length);
        chunk[^2] = (byte)'\r';
        chunk[^1] = (byte)'\n';
        return chunk;
    }

    /// <summary>What the relay writes, line by line; waits for a number of lines.</summary>
    private sealed class LineSink : TextWriter
    {
        private readonly List<string> lines = new();

        public override Encoding Encoding => Encoding.UTF8;

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (lines)
                    return lines.ToArray();
            }
        }

        public override void WriteLine(string? value)
        {
            lock (lines)
            {
                lines.Add(value ?? "");
                Monitor.PulseAll(lines);
            }
        }

        public override void Write(char value) => throw new NotSupportedException("the relay writes whole lines");

        public void WaitFor(int count)
        {
            lock (lines)
                while (lines.Count < count)
                    Assert.True(Monitor.Wait(lines, Patience), $"waited for {count} lines, got {lines.Count}");
        }
    }

    /// <summary>
    /// A frozen engine: it listens but never accepts, and one waiting connection fills its backlog, so the next
    /// connect blocks in the kernel.
    /// </summary>
    private sealed class FrozenEngine : IDisposable
    {
        private readonly Socket listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly Socket filler = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

        public FrozenEngine(string path)
        {
            Path = path;
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(0);
            filler.Connect(new UnixDomainSocketEndPoint(path));
        }

        public string Path { get; }

        public void Dispose()
        {
            filler.Dispose();
            listener.Dispose();
        }
    }

    /// <summary>An engine on a unix socket: each connection's request head is read, then given to the handler.</summary>
    private sealed class FakeEngine : IDisposable
    {
        private readonly Socket listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly ConcurrentBag<Socket> connections = new();

        public FakeEngine(string path, Action<string, Socket> handle)
        {
            Path = path;
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen();
            new Thread(() =>
            {
                while (true)
                {
                    Socket s;
                    try
                    {
                        s = listener.Accept();
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                        return;
                    }

                    connections.Add(s);
                    new Thread(() =>
                    {
                        try
                        {
                            handle(RequestLine(s), s);
                        }
                        catch (Exception e) when (e is SocketException or ObjectDisposedException)
                        {
                            // The client went away.
                        }
                        finally
                        {
                            s.Dispose();
                        }
                    }) { IsBackground = true }.Start();
                }
            }) { IsBackground = true }.Start();
        }

        public string Path { get; }

        public void Dispose()
        {
            listener.Dispose();
            foreach (var c in connections)
                c.Dispose();
        }

        private static string RequestLine(Socket s)
        {
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (s.Receive(one) == 0)
                    throw new SocketException((int)SocketError.ConnectionReset);
                head.Append((char)one[0]);
            }

            return head.ToString().Split("\r\n")[0];
        }
    }
}
