using System;
using System.Buffers;
using System.IO;
using System.Runtime.InteropServices;
using Boinc.Persist.Core.Hashing;

namespace Boinc.Persist.Shell.Host;

/// <summary>
/// SHA-256 for the bytes of files (checkpoint copies, a slot file read back): OpenSSL's low-level
/// <c>SHA256_Init/Update/Final</c> from libcrypto.so.3, loaded at first use, else Core's managed <see cref="Sha256"/>.
/// <para>Why not <c>System.Security.Cryptography</c>: on Linux it loads .NET's OpenSSL shim, libssl and libcrypto
/// and initialises OpenSSL's providers, about 4.9 MB of resident memory per wrapper (issue 17); libcrypto alone,
/// called below the provider layer, costs about 1.8 MB. Why not the managed hash alone: .NET has no SHA
/// instructions, and OpenSSL's SHA-NI path hashes a 100 MB checkpoint in about 60 ms, several times faster.</para>
/// <para>Without libcrypto.so.3 (or its symbols, or with a library that fails the known answer) every hash is
/// the managed one: correct, slower; <see cref="Native"/> and <see cref="Implementation"/> say which one is in
/// use (<c>doctor</c> prints it). One instance per hash, used by one thread at a time; <see cref="Dispose"/> frees
/// the native context.</para>
/// </summary>
public sealed unsafe class Sha256Files : IDisposable
{
    /// <summary>True when hashes go through libcrypto.so.3; false when through the managed fallback.</summary>
    public static bool Native => Libcrypto.Missing is null;

    /// <summary>Which implementation hashes files and, for the fallback, why.</summary>
    public static string Implementation => Libcrypto.Missing is { } why
        ? $"managed (slower: {why})"
        : $"{Libcrypto.Name} (SHA256_Init/Update/Final)";

    // SHA256_CTX is 112 bytes on 64-bit Linux; the allocation leaves room for any layout a later build might use.
    private const int ContextBytes = 256;

    private void* context;
    private readonly Sha256? managed;
    private bool finished;

    private Sha256Files(void* context, Sha256? managed)
    {
        this.context = context;
        this.managed = managed;
    }

    /// <summary>A new hash through libcrypto when it is loaded, else through the managed implementation.</summary>
    public static Sha256Files Start()
    {
        if (!Native)
            return StartManaged();
        var ctx = NativeMemory.AllocZeroed(ContextBytes);
        if (Libcrypto.Init(ctx) != 1)
        {
            NativeMemory.Free(ctx);
            throw new InvalidOperationException("SHA256_Init failed");
        }

        return new Sha256Files(ctx, null);
    }

    /// <summary>A new hash through the managed implementation, whatever is loaded: the fallback, which the tests
    /// also run where libcrypto is present.</summary>
    public static Sha256Files StartManaged() => new(null, new Sha256());

    /// <summary>The largest chunk a file is read (and copied) in: one call per chunk to read, write and hash.</summary>
    public const int MaxChunkBytes = 1 << 20;

    /// <summary>
    /// The buffer for reading a file of <paramref name="size"/> bytes: its size, a page at least, at most
    /// <see cref="MaxChunkBytes"/>. Not always the largest: a 1 MiB buffer is a large object that stays resident in
    /// the array pool for the wrapper's life, for checkpoints of a few KB (peak RSS, docs/MEMORY.md). A file that
    /// grew since its size was taken is still read whole, in more chunks.
    /// </summary>
    public static int ChunkFor(long size) => (int)Math.Clamp(size, 4096, MaxChunkBytes);

    public void Append(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(finished, this);
        if (managed is not null)
        {
            managed.Append(data);
            return;
        }

        fixed (byte* p = data)
        {
            if (Libcrypto.Update(context, p, (nuint)data.Length) != 1)
                throw new InvalidOperationException("SHA256_Update failed");
        }
    }

    /// <summary>The 32-byte SHA-256 of everything appended; the hash takes nothing more after it.</summary>
    public byte[] Finish()
    {
        ObjectDisposedException.ThrowIf(finished, this);
        finished = true;
        if (managed is not null)
            return managed.Finish();
        var hash = new byte[Sha256.HashBytes];
        fixed (byte* p = hash)
        {
            if (Libcrypto.Final(p, context) != 1)
                throw new InvalidOperationException("SHA256_Final failed");
        }

        return hash;
    }

    public void Dispose()
    {
        finished = true;
        if (context is not null)
        {
            NativeMemory.Free(context);
            context = null;
        }
    }

    /// <summary>
    /// libcrypto.so.3's low-level SHA-256, looked up once, at the first hash. The library stays loaded for the
    /// life of the process. OpenSSL 3 marks these functions deprecated but exports them; they call the
    /// CPU-specific block function directly, with none of the provider machinery EVP would initialise.
    /// </summary>
    private static class Libcrypto
    {
        public const string Name = "libcrypto.so.3";

        public static readonly delegate* unmanaged<void*, int> Init;
        public static readonly delegate* unmanaged<void*, byte*, nuint, int> Update;
        public static readonly delegate* unmanaged<byte*, void*, int> Final;

        /// <summary>Why the native functions are not used; null when they are.</summary>
        public static readonly string? Missing;

        static Libcrypto()
        {
            if (!NativeLibrary.TryLoad(Name, out var lib))
            {
                Missing = $"{Name} cannot be loaded";
                return;
            }

            if (!NativeLibrary.TryGetExport(lib, "SHA256_Init", out var init)
                || !NativeLibrary.TryGetExport(lib, "SHA256_Update", out var update)
                || !NativeLibrary.TryGetExport(lib, "SHA256_Final", out var final))
            {
                Missing = $"{Name} has no SHA256_Init/Update/Final";
                return;
            }

            Init = (delegate* unmanaged<void*, int>)init;
            Update = (delegate* unmanaged<void*, byte*, nuint, int>)update;
            Final = (delegate* unmanaged<byte*, void*, int>)final;
            if (!KnownAnswer())
            {
                Missing = $"{Name}'s SHA256 does not give FIPS 180-4's hash of \"abc\"";
                Init = null;
                Update = null;
                Final = null;
            }
        }

        /// <summary>
        /// FIPS 180-4's first example through the loaded functions: a library that answers wrongly (a broken build,
        /// a different context layout) would put wrong names into manifests, which recovery would then refuse.
        /// </summary>
        private static bool KnownAnswer()
        {
            var ctx = NativeMemory.AllocZeroed(ContextBytes);
            try
            {
                var hash = stackalloc byte[Sha256.HashBytes];
                var abc = stackalloc byte[] { (byte)'a', (byte)'b', (byte)'c' };
                return Init(ctx) == 1 && Update(ctx, abc, 3) == 1 && Final(hash, ctx) == 1
                       && Convert.ToHexStringLower(new ReadOnlySpan<byte>(hash, Sha256.HashBytes))
                       == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
            }
            finally
            {
                NativeMemory.Free(ctx);
            }
        }
    }
}
