using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Slots;
using LanguageExt;
using Microsoft.Win32.SafeHandles;

namespace Boinc.Persist.Shell.Slots;

/// <summary>
/// Reads the slot directory for <see cref="LinkFiles"/>: each entry's kind by <c>lstat</c> semantics (a
/// symlink is reported as a symlink with its target, never followed) and the first
/// <see cref="HeadBytes"/> bytes of each regular file. Bounded: at most <see cref="MaxEntries"/> entries.
/// </summary>
public static class SlotReader
{
    public const int HeadBytes = 4096;
    public const int MaxEntries = 10_000;

    public static Checked<SlotListing> Read(string slotDir)
    {
        List<string> paths;
        try
        {
            paths = Directory.EnumerateFileSystemEntries(slotDir).Take(MaxEntries + 1).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Checked<SlotListing>.Fail(Unreadable(slotDir, $"cannot list the slot directory: {e.Message}"));
        }
        if (paths.Count > MaxEntries)
            return Checked<SlotListing>.Fail(Unreadable(slotDir, $"the slot holds more than {MaxEntries} entries."));

        var findings = new List<Diagnostic>();
        var entries = new List<SlotEntry>();
        foreach (var path in paths.OrderBy(p => p, StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            try
            {
                entries.Add(new SlotEntry(name, KindOf(path)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                findings.Add(Unreadable(name, $"cannot read this slot entry: {e.Message}"));
            }
        }
        return Checked<SlotListing>.Of(new SlotListing(entries.ToSeq()), findings.ToSeq());
    }

    private static Diagnostic Unreadable(string file, string message) =>
        Diagnostic.Error(SlotCodes.SlotUnreadable, Location.InFile(file), message);

    private static SlotEntryKind KindOf(string path) =>
        Native.FileType(path) switch
        {
            Native.S_IFLNK => new SlotEntryKind.Symlink(new FileInfo(path).LinkTarget ?? ""),
            Native.S_IFDIR => new SlotEntryKind.Directory(),
            Native.S_IFREG => new SlotEntryKind.RegularFile(ReadHead(path)),
            _ => new SlotEntryKind.Other(),
        };

    /// <summary>First bytes as UTF-8, opened without following symlinks and without blocking (a file swapped
    /// for a fifo after the lstat must not hang the wrapper).</summary>
    private static string ReadHead(string path)
    {
        using var handle = Native.OpenNoFollow(path);
        var buffer = new byte[HeadBytes];
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer.AsSpan(total), total);
            if (n <= 0) break;
            total += n;
        }
        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    /// <summary>libc calls that .NET does not expose: <c>statx</c> (one struct layout on every
    /// architecture) and <c>open</c> with <c>O_NOFOLLOW|O_NONBLOCK</c>.</summary>
    private static class Native
    {
        public const int S_IFMT = 0xF000;
        public const int S_IFLNK = 0xA000;
        public const int S_IFDIR = 0x4000;
        public const int S_IFREG = 0x8000;
        private const int AT_FDCWD = -100;
        private const int AT_SYMLINK_NOFOLLOW = 0x100;
        private const uint STATX_TYPE = 0x1;
        private const int StxModeOffset = 28;
        private const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;

        [DllImport("libc", SetLastError = true)]
        private static extern int statx(int dirfd, string path, int flags, uint mask, byte[] buffer);

        [DllImport("libc", SetLastError = true)]
        private static extern int open(string path, int flags);

        private static int ONoFollow => RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm64 or Architecture.Arm => 0x8000,
            _ => 0x20000,
        };

        public static int FileType(string path)
        {
            var buffer = new byte[256];
            if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, buffer) != 0)
                throw new IOException($"lstat failed (errno {Marshal.GetLastPInvokeError()})");
            return BitConverter.ToUInt16(buffer, StxModeOffset) & S_IFMT;
        }

        public static SafeFileHandle OpenNoFollow(string path)
        {
            var fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | ONoFollow);
            if (fd < 0)
                throw new IOException($"open failed (errno {Marshal.GetLastPInvokeError()})");
            return new SafeFileHandle(fd, ownsHandle: true);
        }
    }
}
