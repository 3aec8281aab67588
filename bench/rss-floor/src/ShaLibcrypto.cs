#if F_LIBCRYPTO
using System;
using System.Runtime.InteropServices;

namespace Floor;

/// <summary>
/// The same SHA-256 of 1 MB as ShaWork, through libcrypto.so.3's low-level SHA256_Init/Update/Final as the wrapper
/// calls them (src/Shell/Host/Sha256Files.cs): no .NET OpenSSL shim, no libssl, no EVP providers.
/// </summary>
internal static unsafe class ShaLibcryptoWork
{
    public static string Run()
    {
        var buffer = new byte[1 << 20];
        for (var i = 0; i < buffer.Length; i++)
            buffer[i] = (byte)(i * 31 + (i >> 8));
        if (!NativeLibrary.TryLoad("libcrypto.so.3", out var lib))
            return "no-libcrypto";
        var init = (delegate* unmanaged<void*, int>)NativeLibrary.GetExport(lib, "SHA256_Init");
        var update = (delegate* unmanaged<void*, byte*, nuint, int>)NativeLibrary.GetExport(lib, "SHA256_Update");
        var final = (delegate* unmanaged<byte*, void*, int>)NativeLibrary.GetExport(lib, "SHA256_Final");
        var ctx = NativeMemory.AllocZeroed(256);
        var hash = new byte[32];
        try
        {
            fixed (byte* data = buffer)
            fixed (byte* md = hash)
            {
                init(ctx);
                update(ctx, data, (nuint)buffer.Length);
                final(md, ctx);
            }
        }
        finally
        {
            NativeMemory.Free(ctx);
        }

        return Convert.ToHexStringLower(hash).Substring(0, 16);
    }
}
#endif
