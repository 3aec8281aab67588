using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// The engine's HTTP API (the Docker Engine API, which Podman also serves) over its socket: requests, status
/// codes, JSON bodies and streams, and nothing else. Our own instead of Docker.DotNet (issue 17): that library,
/// with the serializer models it brings, cost 8.7 MB of peak RSS over a small client (docs/MEMORY.md,
/// bench/rss-floor (f) against (g)); and HTTP/1.1 by hand (<see cref="EngineHttp"/>) instead of HttpClient, whose
/// TLS, HTTP/2 and HTTP/3 code a unix socket never uses but the binary carried (about 2 MB of it). Requests are
/// unversioned, as Docker.DotNet sent them, so Docker 20.10 (API 1.41) and Podman answer the same as current
/// engines. No call here has a limit of its own: <see cref="EngineCalls.Run{T}"/> gives each one its limit and
/// the caller's token.
/// </summary>
public sealed class EngineApi
{
    private readonly EndPoint? endpoint;
    private readonly string host = "localhost";
    private readonly string? unsupported;

    public EngineApi(Uri endpoint)
    {
        switch (endpoint.Scheme)
        {
            case "unix":
                this.endpoint = new UnixDomainSocketEndPoint(endpoint.LocalPath);
                break;
            case "tcp" or "http":
                this.endpoint = new DnsEndPoint(endpoint.Host, endpoint.Port < 0 ? 2375 : endpoint.Port);
                host = endpoint.Authority;
                break;
            default:
                // Said on every call (an engine error naming the endpoint), not thrown here: the wrapper reports it
                // as it reports an engine that does not answer.
                unsupported = $"engine endpoint {endpoint}: only unix:// sockets and tcp:// (plain HTTP) are supported";
                break;
        }
    }

    /// <summary>
    /// Sends one request on a connection of its own; a status outside 2xx (and <paramref name="alsoFine"/>)
    /// becomes an <see cref="EngineApiException"/> carrying the engine's own message. The answer's body is the
    /// caller's to read and dispose (with the connection).
    /// </summary>
    public async Task<EngineResponse> Send(
        string method, string pathAndQuery, EngineBody? body, CancellationToken ct, params HttpStatusCode[] alsoFine)
    {
        if (endpoint is null)
            throw new NotSupportedException(unsupported);
        var socket = NewSocket(endpoint);
        NetworkStream? stream = null;
        try
        {
            await socket.ConnectAsync(endpoint, ct).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            var response = await EngineHttp.Exchange(stream, method, pathAndQuery, host, body, ct).ConfigureAwait(false);
            if ((int)response.Status is >= 200 and < 300 || alsoFine.Contains(response.Status))
                return response;
            using (response)
            {
                var text = await response.Text(ErrorBodyLimit, ct).ConfigureAwait(false);
                throw new EngineApiException(response.Status, text);
            }
        }
        catch
        {
            if (stream is null)
                socket.Dispose();
            else
                await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// As <see cref="Send"/>, on a connection whose I/O blocks the calling thread: for a stream a thread of its own
    /// follows for hours (the container's output, <see cref="DockerEngine.StreamLogs"/>). The returned task is
    /// complete when this returns. Why: an async read of a socket wakes the runtime's socket thread and then a pool
    /// worker (which wakes another) for every piece that arrives; a blocking read wakes only the reading thread,
    /// and a quiet stream costs nothing. <paramref name="ct"/> shuts the connection down, which ends a read blocked
    /// on it: the connect and the answer's head end in <see cref="OperationCanceledException"/> as with
    /// <see cref="Send"/>; for the body, the caller ties its own token to disposing the answer.
    /// <para>
    /// A blocking connect to an engine that has stopped accepting (its backlog full: frozen, wedged) is not ended by
    /// a shutdown, and disposing a socket waits for every call blocked on it, so the token's callback only shuts
    /// the socket down (the thread that cancels never waits), and the connect is bounded by
    /// <paramref name="connectLimit"/> (<see cref="BlockingConnectLimit"/> unless given): past it the call fails as
    /// unreachable, or as cancelled when the token was cancelled meanwhile.
    /// </para>
    /// </summary>
    public Task<EngineResponse> SendBlocking(string method, string pathAndQuery, CancellationToken ct, TimeSpan? connectLimit = null)
    {
        if (endpoint is null)
            throw new NotSupportedException(unsupported);
        ct.ThrowIfCancellationRequested();
        var socket = NewSocket(endpoint);
        Stream? stream = null;
        EngineResponse? response = null;
        try
        {
            using (ct.Register(static s => ShutDown((Socket)s!), socket))
            {
                try
                {
                    // SO_SNDTIMEO bounds a blocking connect (Linux waits for room in the listener's backlog that long);
                    // cleared once connected, so writes of the request block as before.
                    socket.SendTimeout = (int)Math.Clamp((connectLimit ?? BlockingConnectLimit).TotalMilliseconds, 1, int.MaxValue);
                    socket.Connect(endpoint);
                    socket.SendTimeout = 0;
                    stream = new BlockingStream(new NetworkStream(socket, ownsSocket: true));
                    // Every read and write of a BlockingStream completes before it returns: so does the exchange.
                    response = EngineHttp.Exchange(stream, method, pathAndQuery, host, null, ct).GetAwaiter().GetResult();
                    if ((int)response.Status is < 200 or >= 300)
                    {
                        var text = response.Text(ErrorBodyLimit, ct).GetAwaiter().GetResult();
                        throw new EngineApiException(response.Status, text);
                    }
                }
                catch (Exception e) when (ct.IsCancellationRequested && e is not OperationCanceledException)
                {
                    throw new OperationCanceledException("the engine call was cancelled", e, ct);
                }
            }

            // The token may have fired after the head was read and before its registration ended: the connection is
            // shut down then, and a cancelled call answers nothing.
            ct.ThrowIfCancellationRequested();
            return Task.FromResult(response);
        }
        catch
        {
            response?.Dispose();
            if (stream is null)
                socket.Dispose();
            else
                stream.Dispose();
            throw;
        }
    }

    /// <summary>How long <see cref="SendBlocking"/> waits for an engine to accept its connection.</summary>
    public static readonly TimeSpan BlockingConnectLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Ends what is blocked on <paramref name="socket"/> without waiting for it (a token's callback: the thread that
    /// cancels may be the loop's). A socket already closed, or not yet connected, has nothing to end.
    /// </summary>
    private static void ShutDown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Nothing blocked on it can be woken by a shutdown: the connect limit ends a connect.
        }
    }

    private static Socket NewSocket(EndPoint endpoint) =>
        endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp); // dual mode: the host name may resolve to IPv4 or IPv6

    /// <summary>A stream whose async reads and writes are its blocking ones (see <see cref="SendBlocking"/>).</summary>
    private sealed class BlockingStream(NetworkStream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            ValueTask.FromResult(inner.Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            Task.FromResult(inner.Read(buffer, offset, count));

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            inner.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
        {
            inner.Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken ct)
        {
            inner.Flush();
            return Task.CompletedTask;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>A request whose answer is only its status (start, stop, pause, remove...).</summary>
    public async Task Call(string method, string pathAndQuery, CancellationToken ct, params HttpStatusCode[] alsoFine)
    {
        using var _ = await Send(method, pathAndQuery, null, ct, alsoFine).ConfigureAwait(false);
    }

    /// <summary>A request whose answer is one JSON document (the caller disposes it).</summary>
    public async Task<JsonDocument> Json(string method, string pathAndQuery, CancellationToken ct, EngineBody? body = null)
    {
        using var response = await Send(method, pathAndQuery, body, ct).ConfigureAwait(false);
        var bytes = new MemoryStream();
        await response.Body.CopyToAsync(bytes, ct).ConfigureAwait(false);
        try
        {
            return JsonDocument.Parse(bytes.GetBuffer().AsMemory(0, (int)bytes.Length));
        }
        catch (JsonException e)
        {
            throw new EngineApiException(response.Status, $"the engine's answer to {method} {Path(pathAndQuery)} is not JSON: {e.Message}");
        }
    }

    /// <summary>How much of an error answer is read: the engines' messages are a line or two.</summary>
    private const int ErrorBodyLimit = 64 * 1024;

    /// <summary>
    /// A path segment (a container or image name): kept as the engine's router reads it (an image name's
    /// <c>/</c> and <c>:</c> stay, as Docker.DotNet sent them), anything else escaped, so no name can add a query
    /// or another path.
    /// </summary>
    public static string Segment(string name)
    {
        var b = new StringBuilder(name.Length);
        foreach (var by in Encoding.UTF8.GetBytes(name))
        {
            var c = (char)by;
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '.' or '_' or '~' or '/' or ':' or '@')
                b.Append(c);
            else
                b.Append('%').Append(by.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return b.ToString();
    }

    /// <summary>A path with its query: arguments without a value are left out, values are escaped.</summary>
    public static string Query(string path, params (string Key, string? Value)[] args)
    {
        var given = args.Where(a => a.Value is not null).Select(a => a.Key + "=" + Uri.EscapeDataString(a.Value!)).ToList();
        return given.Count == 0 ? path : path + "?" + string.Join('&', given);
    }

    /// <summary>An engine filter argument: <c>{"key":{"value":true}}</c>.</summary>
    public static string Filter(string key, string value)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject(key);
            w.WriteBoolean(value, true);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A JSON object of strings, as the build's <c>labels</c> and <c>buildargs</c> arguments take them.</summary>
    public static string StringMap(IEnumerable<KeyValuePair<string, string>> entries)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (k, v) in entries)
                w.WriteString(k, v);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Path(string pathAndQuery)
    {
        var q = pathAndQuery.IndexOf('?');
        return q < 0 ? pathAndQuery : pathAndQuery[..q];
    }
}

/// <summary>The engine answered with an error status; <see cref="Exception.Message"/> is the engine's own message.</summary>
public sealed class EngineApiException(HttpStatusCode statusCode, string responseBody)
    : Exception(MessageOf(statusCode, responseBody))
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>The body as the engine sent it (Docker and Podman: <c>{"message": "..."}</c>).</summary>
    public string ResponseBody { get; } = responseBody;

    private static string MessageOf(HttpStatusCode status, string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var m = doc.RootElement.Str("message");
            if (m.Length > 0)
                return m;
        }
        catch (JsonException)
        {
            // Not the engines' JSON error: the text as it came.
        }

        return string.IsNullOrWhiteSpace(body) ? $"{(int)status} {status}" : body.Trim();
    }
}

/// <summary>
/// Reading the engines' JSON answers: a missing or null field reads as empty (as the models of a client library
/// did), and a field the engine spells in another case (Podman's compatibility API differs in places) is found.
/// </summary>
public static class JsonFields
{
    public static JsonElement Get(this JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object)
            return default;
        if (e.TryGetProperty(name, out var v))
            return v;
        foreach (var p in e.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                return p.Value;
        }

        return default;
    }

    public static string Str(this JsonElement e, string name) =>
        e.Get(name) is { ValueKind: JsonValueKind.String } v ? v.GetString() ?? "" : "";

    public static long Long(this JsonElement e, string name) =>
        e.Get(name) is not { ValueKind: JsonValueKind.Number } v ? 0
        : v.TryGetInt64(out var n) ? n
        : v.TryGetDouble(out var d) ? (long)Math.Min(d, long.MaxValue)
        : 0;

    public static bool Bool(this JsonElement e, string name) => e.Get(name).ValueKind == JsonValueKind.True;

    public static IEnumerable<JsonElement> Items(this JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : Enumerable.Empty<JsonElement>();

    public static Seq<string> Strings(this JsonElement e, string name) =>
        e.Get(name).Items().Where(i => i.ValueKind == JsonValueKind.String).Select(i => i.GetString() ?? "").ToSeq().Strict();

    public static IReadOnlyDictionary<string, string> StringMap(this JsonElement e, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var o = e.Get(name);
        if (o.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in o.EnumerateObject())
                map[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText();
        }

        return map;
    }
}
