using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Boinc.Persist.Properties.Engine;

/// <summary>
/// The wrapper's HTTP/1.1 (<see cref="EngineHttp"/>, issue 17: it replaced HttpClient) reads every framing the
/// engines use, whatever the socket's cuts, and a connection that ends early reads as an error, never as a shorter
/// answer. Every engine call also runs against Docker and Podman in the integration tests.
/// </summary>
public class EngineHttpProperties
{
    [Property(MaxTest = 200)]
    public Property A_chunked_answer_reads_back_whole_whatever_the_chunks_and_cuts() =>
        Prop.ForAll(Arb.From(Generators.ChunkedBytesGen()), Arb.From(Gen.Choose(1, 5000)), Arb.From(Gen.Choose(1, 70_000)), (body, cut, bufferSize) =>
        {
            var wire = Head("200 OK", "Transfer-Encoding: chunked", "Content-Type: application/json; charset=utf-8")
                .Concat(Chunked(body.Data, body.Cuts)).ToArray();
            var (response, read) = ReadAll(wire, cut, bufferSize);
            return (response.Status == HttpStatusCode.OK && response.ContentType == "application/json" && read.SequenceEqual(body.Data))
                .Label($"{body.Data.Length} bytes in {body.Cuts.Length + 1} chunks, cut {cut}, buffer {bufferSize}");
        });

    [Property(MaxTest = 100)]
    public Property A_sized_answer_and_one_that_ends_with_the_connection_read_back_whole() =>
        Prop.ForAll(Arb.From(Generators.ChunkedBytesGen()), Arb.From(Gen.Choose(1, 5000)), (body, cut) =>
        {
            var sized = Head("200 OK", $"Content-Length: {body.Data.Length}").Concat(body.Data).ToArray();
            var closed = Head("200 OK").Concat(body.Data).ToArray();
            return (ReadAll(sized, cut, 4096).Body.SequenceEqual(body.Data) && ReadAll(closed, cut, 4096).Body.SequenceEqual(body.Data))
                .Label($"{body.Data.Length} bytes, cut {cut}");
        });

    [Fact]
    public void An_interim_answer_is_skipped_and_a_304_has_no_body_whatever_follows()
    {
        var wire = Head("100 Continue").Concat(Head("304 Not Modified", "Content-Length: 5")).Concat("extra"u8.ToArray()).ToArray();

        var (response, read) = ReadAll(wire, 3, 64);

        Assert.Equal(HttpStatusCode.NotModified, response.Status);
        Assert.Empty(read);
    }

    public static TheoryData<string, string> Broken() => new()
    {
        { "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "bytes before the end" },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "inside a chunk" },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n", "closed the connection inside" },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size" },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY\r\n0\r\n\r\n", "data after a chunk" },
        { "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "malformed Content-Length" },
        { "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line" },
        { "SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.x status line" },
        { "HTTP/1.1 200 OK\r\nContent-Type: x", "closed the connection inside" },
        { "", "closed the connection inside" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_answer_is_an_error_that_says_what_broke(string wire, string expected)
    {
        var e = Assert.Throws<IOException>(() => ReadAll(Encoding.ASCII.GetBytes(wire), 7, 64));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void An_endless_header_line_is_refused_without_reading_it_all()
    {
        var wire = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX: " + new string('a', 10 * EngineHttp.MaxLine));

        var e = Assert.Throws<IOException>(() => ReadAll(wire, 4096, 64));

        Assert.Contains("longer than", e.Message);
    }

    [Fact]
    public async Task The_request_is_http_1_1_closing_with_its_body_sized()
    {
        var connection = new Duplex(Head("201 Created", "Content-Length: 2").Concat("{}"u8.ToArray()).ToArray());

        using var response = await EngineHttp.Exchange(
            connection, "POST", "/containers/create?name=x", "localhost", new EngineBody("{\"a\":1}"u8.ToArray(), "application/json"), CancellationToken.None);

        Assert.Equal(HttpStatusCode.Created, response.Status);
        Assert.Equal(
            "POST /containers/create?name=x HTTP/1.1\r\nHost: localhost\r\nUser-Agent: boinc-persist\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
            Encoding.ASCII.GetString(connection.Written.ToArray()));
    }

    /// <summary>The whole path over a real socket (tcp://, as DOCKER_HOST may name one): request out, an error
    /// answer back as the engine's message, a chunked JSON answer read.</summary>
    [Fact]
    public async Task A_tcp_engine_is_asked_over_a_socket_and_its_answers_read()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var answers = new[]
        {
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 37\r\n\r\n{\"message\":\"No such container: nope\"}",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"Ver\r\n10\r\nsion\":\"26.1.5\"}\n\r\n0\r\n\r\n",
        };
        var requests = new System.Collections.Generic.List<string>();
        var engine = Task.Run(async () =>
        {
            foreach (var answer in answers)
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var head = new StringBuilder();
                var one = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one) == 1)
                    head.Append((char)one[0]);
                requests.Add(head.ToString());
                await stream.WriteAsync(Encoding.ASCII.GetBytes(answer));
            }
        });
        var api = new EngineApi(new Uri($"tcp://127.0.0.1:{port}"));

        var missing = await Assert.ThrowsAsync<EngineApiException>(() => api.Json("GET", "/containers/nope/json", CancellationToken.None));
        using var version = await api.Json("GET", "/version", CancellationToken.None);
        await engine;
        listener.Stop();

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("No such container: nope", missing.Message);
        Assert.Equal("26.1.5", version.RootElement.GetProperty("Version").GetString());
        Assert.StartsWith("GET /containers/nope/json HTTP/1.1\r\nHost: 127.0.0.1:" + port, requests[0]);
        Assert.StartsWith("GET /version HTTP/1.1\r\n", requests[1]);
    }

    private static byte[] Head(string status, params string[] headers) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\n" + string.Concat(headers.Select(h => h + "\r\n")) + "\r\n");

    private static byte[] Chunked(byte[] data, int[] cuts)
    {
        var wire = new MemoryStream();
        var from = 0;
        foreach (var to in cuts.Append(data.Length))
        {
            if (to <= from)
                continue; // a size-0 chunk would end the body
            wire.Write(Encoding.ASCII.GetBytes((to - from).ToString("x") + (to % 3 == 0 ? ";ext=1" : "") + "\r\n"));
            wire.Write(data, from, to - from);
            wire.Write("\r\n"u8);
            from = to;
        }

        wire.Write("0\r\n\r\n"u8);
        return wire.ToArray();
    }

    private static (EngineResponse Response, byte[] Body) ReadAll(byte[] wire, int cut, int bufferSize)
    {
        var response = EngineHttp.ReadResponse(new Trickle(wire, cut), "GET", CancellationToken.None).GetAwaiter().GetResult();
        var read = new MemoryStream();
        var buffer = new byte[bufferSize];
        int n;
        while ((n = response.Body.ReadAsync(buffer, CancellationToken.None).AsTask().GetAwaiter().GetResult()) > 0)
            read.Write(buffer, 0, n);
        return (response, read.ToArray());
    }

    /// <summary>A connection: what is written is kept, reads give the prepared answer.</summary>
    private sealed class Duplex(byte[] answer) : MemoryStream(answer)
    {
        public MemoryStream Written { get; } = new();

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => Written.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            Written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }
}
