#if F_SHA
using System;
using System.Security.Cryptography;

namespace Floor;

internal static class ShaWork
{
    public static string Run()
    {
        var buffer = new byte[1 << 20];
        for (var i = 0; i < buffer.Length; i++)
            buffer[i] = (byte)(i * 31 + (i >> 8));
        var hash = SHA256.HashData(buffer);
        return Convert.ToHexStringLower(hash).Substring(0, 16);
    }
}
#endif
