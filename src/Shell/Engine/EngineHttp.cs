using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Boinc.Persist.Shell.Engine;

/// <summary>A request body: its bytes (all in memory: a create body, a build context of one Dockerfile) and type.</summary>
public sealed record EngineBody(ReadOnlyMemory<byte> Bytes, string ContentType);

/// <summary>An engine's answer: its status, its content type, and its body as a stream that owns the connection.</summary>
public sealed class EngineResponse(HttpStatusCode status, string contentType, Stream body) : IDisposable
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The media type without parameters, lowercase ("" when none was sent).</summary>
    public string ContentType { get; } = contentType;

    /// <summary>The body, de-chunked; reading it to its end reads the answer to its end.</summary>
    public Stream Body { get; } = body;

    /// <summary>The body as text, at most <paramref name="limit"/> bytes of it.</summary>
    public async Task<string> Text(int limit, CancellationToken ct)
    {
        var buffer = new byte[limit];
        var got = 0;
        int n;
        while (got < limit && (n = await Body.ReadAsync(buffer.AsMemory(got), ct).ConfigureAwait(false)) > 0)
            got += n;
        return Encoding.UTF8.GetString(buffer, 0, got);
    }

    public void Dispose() => Body.Dispose();
}

/// <summary>
/// One HTTP/1.1 exchange on a fresh connection to the engine: the request with <c>Connection: close</c>, then the
/// answer's status line and headers, and its body by <c>Content-Length</c>, by chunks, or to the connection's
/// end. What the engines send and no more: no redirects, no compression, no trailers kept. The answer comes from
/// the engine, which the wrapper trusts, but its framing is still checked (bounded lines, hex sizes, no body
/// cut short) so a broken connection reads as an error, never as a shorter answer.
/// </summary>
public static class EngineHttp
{
    /// <summary>Longest status or header line, and most header lines, taken from an engine.</summary>
    public const int MaxLine = 16 * 1024;

    public const int MaxHeaders = 200;

    public static async Task<EngineResponse> Exchange(
        Stream connection, string method, string pathAndQuery, string host, EngineBody? body, CancellationToken ct)
    {
        var head = new StringBuilder()
            .Append(method).Append(' ').Append(pathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(host).Append("\r\n")
            .Append("User-Agent: boinc-persist\r\n")
            .Append("Connection: close\r\n");
        if (body is not null)
            head.Append("Content-Type: ").Append(body.ContentType).Append("\r\n");
        if (body is not null || method is "POST" or "PUT")
            head.Append("Content-Length: ").Append((body?.Bytes.Length ?? 0).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        head.Append("\r\n");
        await connection.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct).ConfigureAwait(false);
        if (body is not null)
            await connection.WriteAsync(body.Bytes, ct).ConfigureAwait(false);
        await connection.FlushAsync(ct).ConfigureAwait(false);
        return await ReadResponse(connection, method, ct).ConfigureAwait(false);
    }

    /// <summary>Reads an answer's status and headers from <paramref name="connection"/>; its body is left to read.</summary>
    public static async Task<EngineResponse> ReadResponse(Stream connection, string method, CancellationToken ct)
    {
        var reader = new Reader(connection);
        while (true)
        {
            var statusLine = await reader.Line(ct).ConfigureAwait(false);
            var parts = statusLine.Split(' ', 3);
            if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
                || parts[1].Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code))
                throw new IOException($"the engine's answer does not start with an HTTP/1.x status line: {Shown(statusLine)}");

            long? length = null;
            var chunked = false;
            var type = "";
            for (var i = 0; ; i++)
            {
                var line = await reader.Line(ct).ConfigureAwait(false);
                if (line.Length == 0)
                    break;
                if (i >= MaxHeaders)
                    throw new IOException($"the engine's answer has more than {MaxHeaders} header lines");
                var colon = line.IndexOf(':');
                if (colon <= 0)
                    throw new IOException($"the engine's answer has a malformed header line: {Shown(line)}");
                var name = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                        throw new IOException($"the engine's answer has a malformed Content-Length: {Shown(value)}");
                    length = n;
                }
                else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                {
                    chunked = value.Contains("chunked", StringComparison.OrdinalIgnoreCase);
                }
                else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    var semi = value.IndexOf(';');
                    type = (semi < 0 ? value : value[..semi]).Trim().ToLowerInvariant();
                }
            }

            if (code is >= 100 and < 200)
                continue; // an interim answer (100 Continue): the real one follows
            Stream body = method == "HEAD" || code is 204 or 304 ? new LengthBody(reader, 0)
                : chunked ? new ChunkedBody(reader)
                : length is { } n2 ? new LengthBody(reader, n2)
                : new CloseBody(reader);
            return new EngineResponse((HttpStatusCode)code, type, body);
        }
    }

    private static string Shown(string text) => text.Length <= 120 ? text : text[..120] + "...";

    /// <summary>The connection with a little buffer in front: lines for the framing, raw bytes for the body.</summary>
    private sealed class Reader(Stream connection)
    {
        private readonly byte[] buffer = new byte[8192];
        private int start;
        private int end;

        public Stream Connection => connection;

        /// <summary>One line without its CRLF (a bare LF is taken too); the connection's end inside one is an error.</summary>
        public async ValueTask<string> Line(CancellationToken ct)
        {
            var line = new StringBuilder();
            while (true)
            {
                if (start == end && !await Fill(ct).ConfigureAwait(false))
                    throw new IOException("the engine closed the connection inside its answer's framing");
                var lf = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                var stop = lf < 0 ? end : lf;
                line.Append(Encoding.Latin1.GetString(buffer, start, stop - start));
                start = lf < 0 ? end : lf + 1;
                if (line.Length > MaxLine)
                    throw new IOException($"the engine's answer has a line longer than {MaxLine} bytes");
                if (lf >= 0)
                    return line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();
            }
        }

        /// <summary>Up to <paramref name="into"/>'s length of body bytes: what is buffered, else one read; 0 at the end.</summary>
        public async ValueTask<int> Some(Memory<byte> into, CancellationToken ct)
        {
            if (into.Length == 0)
                return 0;
            if (start < end)
            {
                var n = Math.Min(into.Length, end - start);
                buffer.AsMemory(start, n).CopyTo(into);
                start += n;
                return n;
            }

            return await connection.ReadAsync(into, ct).ConfigureAwait(false);
        }

        private async ValueTask<bool> Fill(CancellationToken ct)
        {
            start = 0;
            end = await connection.ReadAsync(buffer, ct).ConfigureAwait(false);
            return end > 0;
        }
    }

    /// <summary>A body read by a stream's async reads only; the connection goes with it.</summary>
    private abstract class Body(Reader reader) : Stream
    {
        protected Reader Reader { get; } = reader;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                Reader.Connection.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Exactly <c>Content-Length</c> bytes; fewer is an error.</summary>
    private sealed class LengthBody(Reader reader, long length) : Body(reader)
    {
        private long left = length;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (left == 0 || buffer.Length == 0)
                return 0;
            var n = await Reader.Some(buffer[..(int)Math.Min(buffer.Length, left)], ct).ConfigureAwait(false);
            if (n == 0)
                throw new IOException($"the engine closed the connection {left} bytes before the end of its answer");
            left -= n;
            return n;
        }
    }

    /// <summary>No length given and not chunked: the body ends with the connection (we asked to close it).</summary>
    private sealed class CloseBody(Reader reader) : Body(reader)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => Reader.Some(buffer, ct);
    }

    /// <summary>
    /// <c>Transfer-Encoding: chunked</c>: a hex size line (extensions after <c>;</c> ignored), that many bytes,
    /// CRLF, until a size of 0 and the trailer's empty line. Each read returns as soon as some bytes arrived, so a
    /// followed log reaches stderr.txt as the engine sends it.
    /// </summary>
    private sealed class ChunkedBody(Reader reader) : Body(reader)
    {
        private long left;
        private bool afterChunk;
        private bool done;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (done || buffer.Length == 0)
                return 0;
            if (left == 0)
            {
                if (afterChunk && (await Reader.Line(ct).ConfigureAwait(false)).Length != 0)
                    throw new IOException("the engine's chunked answer has data after a chunk's end");
                var line = await Reader.Line(ct).ConfigureAwait(false);
                var semi = line.IndexOf(';');
                var size = (semi < 0 ? line : line[..semi]).Trim();
                if (size.Length is 0 or > 15 || !long.TryParse(size, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out left))
                    throw new IOException($"the engine's chunked answer has a malformed chunk size: {Shown(line)}");
                if (left == 0)
                {
                    // The last chunk: trailer lines (none from the engines) up to the empty line.
                    for (var i = 0; (await Reader.Line(ct).ConfigureAwait(false)).Length != 0; i++)
                    {
                        if (i >= MaxHeaders)
                            throw new IOException("the engine's chunked answer has too many trailer lines");
                    }

                    done = true;
                    return 0;
                }

                afterChunk = true;
            }

            var n = await Reader.Some(buffer[..(int)Math.Min(buffer.Length, left)], ct).ConfigureAwait(false);
            if (n == 0)
                throw new IOException("the engine closed the connection inside a chunk of its answer");
            left -= n;
            return n;
        }
    }
}
