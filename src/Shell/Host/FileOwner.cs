using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Boinc.Persist.Shell.Host;

/// <summary>The uid and gid that own a path (not following a final symlink). .NET exposes neither.</summary>
public static partial class FileOwner
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxUid = 0x8;
    private const uint StatxGid = 0x10;

    // struct statx: stx_mask u32 @0, stx_blksize u32 @4, stx_attributes u64 @8, stx_nlink u32 @16,
    // stx_uid u32 @20, stx_gid u32 @24; the same layout on every Linux architecture.
    private const int UidOffset = 20;
    private const int GidOffset = 24;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte[] buffer);

    public static (long Uid, long Gid) Of(string path)
    {
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxUid | StatxGid, buffer) != 0)
            throw new IOException($"cannot stat {path} (errno {Marshal.GetLastPInvokeError()})");
        return (BitConverter.ToUInt32(buffer, UidOffset), BitConverter.ToUInt32(buffer, GidOffset));
    }
}
