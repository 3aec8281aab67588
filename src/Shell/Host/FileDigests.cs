using System;
using System.Buffers;
using System.IO;
using Boinc.Persist.Core.Hashing;

namespace Boinc.Persist.Shell.Host;

/// <summary>
/// Digests of files' bytes in either kind the store knows (<see cref="ContentDigest"/>): SHA-256 through
/// <see cref="Sha256Files"/> (libcrypto, else managed), XXH3-128 through System.IO.Hashing, as the same text Core's
/// <see cref="ContentDigest.Of"/> gives for the same bytes.
/// </summary>
public static class FileDigests
{
    /// <summary>A running digest of <paramref name="kind"/>; one thread at a time, disposed after use.</summary>
    public static IRunningDigest Start(DigestKind kind) =>
        kind == DigestKind.Xxh3_128 ? ContentDigest.StartXxh3() : new Sha256Running(Sha256Files.Start());

    /// <summary>The digest of what is left to read in <paramref name="content"/>.</summary>
    public static string Of(DigestKind kind, Stream content)
    {
        using var digest = Start(kind);
        // Sized by what is left to read where the stream knows it (a file): see Sha256Files.ChunkFor.
        var buffer = ArrayPool<byte>.Shared.Rent(Sha256Files.ChunkFor(content.CanSeek ? content.Length - content.Position : Sha256Files.MaxChunkBytes));
        try
        {
            int n;
            while ((n = content.Read(buffer, 0, buffer.Length)) > 0)
                digest.Append(buffer.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return digest.Finish();
    }

    private sealed class Sha256Running(Sha256Files sha) : IRunningDigest
    {
        public void Append(ReadOnlySpan<byte> data) => sha.Append(data);

        public string Finish() => Convert.ToHexStringLower(sha.Finish());

        public void Dispose() => sha.Dispose();
    }
}
