using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Boinc.Persist.Properties.Engine;

/// <summary>A stream that gives at most <c>cut</c> bytes a read, as a socket may.</summary>
internal sealed class Trickle(byte[] data, int cut) : MemoryStream(data)
{
    public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, cut));

    public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, cut)]);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
        base.ReadAsync(buffer[..Math.Min(buffer.Length, cut)], ct);
}
