using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
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
/// with the serializer models it brings, cost 8.7 MB of peak RSS over this (docs/MEMORY.md, bench/rss-floor (f)
/// against (g)). Requests are unversioned, as Docker.DotNet sent them, so Docker 20.10 (API 1.41) and Podman
/// answer the same as current engines. No call here has a limit of its own: <see cref="EngineCalls.Run{T}"/>
/// gives each one its limit and the caller's token.
/// </summary>
public sealed class EngineApi : IDisposable
{
    private readonly HttpClient? http;
    private readonly string? unsupported;

    public EngineApi(Uri endpoint)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            // A follow stream or a wait holds its connection for as long as the job runs; the others are reused.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        Uri baseAddress;
        switch (endpoint.Scheme)
        {
            case "unix":
                var socket = endpoint.LocalPath;
                handler.ConnectCallback = (_, ct) => ConnectUnix(socket, ct);
                baseAddress = new Uri("http://localhost/");
                break;
            case "tcp" or "http":
                baseAddress = new UriBuilder("http", endpoint.Host, endpoint.Port).Uri;
                break;
            default:
                // Said on every call (an engine error naming the endpoint), not thrown here: the wrapper reports it
                // as it reports an engine that does not answer.
                unsupported = $"engine endpoint {endpoint}: only unix:// sockets and tcp:// (plain HTTP) are supported";
                handler.Dispose();
                return;
        }

        http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Sends one request; a status outside 2xx (and <paramref name="alsoFine"/>) becomes an
    /// <see cref="EngineApiException"/> carrying the engine's own message. With <paramref name="streamed"/> the
    /// answer is returned once its headers are in, for the caller to read (and dispose).
    /// </summary>
    public async Task<HttpResponseMessage> Send(
        HttpMethod method, string pathAndQuery, HttpContent? body, bool streamed, CancellationToken ct, params HttpStatusCode[] alsoFine)
    {
        if (http is null)
            throw new NotSupportedException(unsupported);
        using var request = new HttpRequestMessage(method, pathAndQuery) { Content = body };
        var response = await http.SendAsync(
            request, streamed ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode || alsoFine.Contains(response.StatusCode))
            return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw new EngineApiException(response.StatusCode, text);
        }
    }

    /// <summary>A request whose answer is only its status (start, stop, pause, remove...).</summary>
    public async Task Call(HttpMethod method, string pathAndQuery, CancellationToken ct, params HttpStatusCode[] alsoFine)
    {
        using var _ = await Send(method, pathAndQuery, null, streamed: false, ct, alsoFine).ConfigureAwait(false);
    }

    /// <summary>A request whose answer is one JSON document (the caller disposes it).</summary>
    public async Task<JsonDocument> Json(HttpMethod method, string pathAndQuery, CancellationToken ct, HttpContent? body = null)
    {
        using var response = await Send(method, pathAndQuery, body, streamed: false, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new EngineApiException(response.StatusCode, $"the engine's answer to {method} {Path(pathAndQuery)} is not JSON: {e.Message}");
        }
    }

    public void Dispose() => http?.Dispose();

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

    private static async ValueTask<Stream> ConnectUnix(string path, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
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
        e.Get(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var n) ? n
        : e.Get(name) is { ValueKind: JsonValueKind.Number } u && u.TryGetDouble(out var d) ? (long)Math.Min(d, long.MaxValue)
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
