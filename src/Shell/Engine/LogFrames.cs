using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// Reads the engine's log stream as pieces of stdout or stderr. A multiplexed stream's header is
/// <c>[kind, 0, 0, 0, size (4 bytes, big-endian)]</c> (kind 1 stdout, 2 stderr; 0, stdin, is not sent for logs
/// and is read as stdout); a piece larger than the buffer comes in several reads.
/// </summary>
public sealed class LogFrames(Stream body, bool multiplexed)
{
    private readonly byte[] header = new byte[8];
    private long left;
    private bool stderr;

    /// <summary>The next bytes into <paramref name="buffer"/>: how many (0 at the end) and whether stderr's.</summary>
    public async Task<(int Count, bool Stderr)> Read(byte[] buffer, CancellationToken ct)
    {
        if (!multiplexed)
            return (await body.ReadAsync(buffer, ct).ConfigureAwait(false), false);
        while (left == 0)
        {
            if (!await Fill(header, ct).ConfigureAwait(false))
                return (0, false);
            stderr = header[0] == 2;
            left = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
        }

        var n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct).ConfigureAwait(false);
        if (n == 0)
            throw new IOException("the engine's log stream ended inside a piece of output");
        left -= n;
        return (n, stderr);
    }

    /// <summary>A whole header, or false at a clean end of the stream (before its first byte).</summary>
    private async Task<bool> Fill(byte[] into, CancellationToken ct)
    {
        var got = 0;
        while (got < into.Length)
        {
            var n = await body.ReadAsync(into.AsMemory(got), ct).ConfigureAwait(false);
            if (n == 0)
                return got == 0 ? false : throw new IOException("the engine's log stream ended inside a header");
            got += n;
        }

        return true;
    }
}
