using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Boinc.Persist.Shell.Slots;

/// <summary>
/// The wrapper's stderr (the slot's stderr.txt, which the BOINC client opened for it), bounded whatever the job
/// prints: lines longer than <see cref="MaxLineChars"/> are split, and when the file itself is stderr it keeps
/// its first <see cref="HeadBytes"/> and its last <see cref="TailBytes"/> (the client uploads only the tail),
/// with a note of how much was cut between them. Memory is bounded by one line and the tail. Not thread-safe:
/// The wrapper's log (WrapperLog, in the Run folder) wraps it in a synchronized writer.
/// </summary>
public sealed partial class BoundedLogWriter : TextWriter
{
    public const int MaxLineChars = 8 * 1024;
    public const int HeadBytes = 256 * 1024;
    public const int TailBytes = 256 * 1024;

    private readonly TextWriter inner;
    private readonly int fd;
    private readonly int head;
    private readonly int tail;
    private readonly StringBuilder line = new();
    private readonly byte[] ring;
    private long ringWritten;
    private long cut;

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteNative(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long Lseek(int fd, long offset, int whence);

    private BoundedLogWriter(TextWriter inner, int fd, int head, int tail)
    {
        this.inner = inner;
        this.fd = fd;
        this.head = head;
        this.tail = tail;
        ring = fd >= 0 ? new byte[tail] : [];
    }

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>Total bytes cut out of the middle of the file so far.</summary>
    public long CutBytes => cut;

    /// <summary>
    /// Bound <paramref name="writer"/>. When it is the process's stderr and that is a regular file (stderr.txt),
    /// the file is kept to head + tail; otherwise (a terminal, a test's writer) lines are split and passed on.
    /// </summary>
    public static BoundedLogWriter Wrap(TextWriter writer) =>
        ReferenceEquals(writer, Console.Error) && IsRegularFile(2) ? new(writer, 2, HeadBytes, TailBytes) : new(writer, -1, 0, 0);

    /// <summary>For tests: bound a file descriptor with small head and tail sizes.</summary>
    public static BoundedLogWriter ForFile(int fd, int head, int tail) => new(TextWriter.Null, fd, head, tail);

    private static bool IsRegularFile(int fd) =>
        SlotNative.Stat(fd, "", out var mode, out _) == 0 && SlotNative.KindOf(mode) == SlotFileKind.File;

    public override void Write(char value)
    {
        if (value == '\n')
        {
            Emit(line.ToString(), true);
            line.Clear();
            return;
        }

        line.Append(value);
        if (line.Length >= MaxLineChars)
        {
            Emit(line.ToString(), false);
            line.Clear();
            line.Append("  … ");
        }
    }

    public override void Write(string? value)
    {
        if (value is null) return;
        foreach (var c in value) Write(c);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        for (var i = 0; i < count; i++) Write(buffer[index + i]);
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        Write('\n');
    }

    public override void Flush()
    {
        if (fd < 0) inner.Flush();
    }

    private void Emit(string text, bool complete)
    {
        var s = complete ? text + "\n" : text + " …[line split]\n";
        if (fd < 0)
        {
            inner.Write(s);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(s);
        WriteAll(bytes);
        Remember(bytes);
        var size = Lseek(fd, 0, 2 /* SEEK_END */);
        if (size > (long)head + 2L * tail)
            CutMiddle(size);
    }

    /// <summary>Keep the file's first <c>head</c> bytes and the last <c>tail</c> bytes written, with a note between.</summary>
    private void CutMiddle(long size)
    {
        var kept = (int)Math.Min(tail, ringWritten);
        cut += size - head - kept;
        if (Ftruncate(fd, head) != 0) return; // not truncatable after all: leave it, the line cap still holds
        Lseek(fd, 0, 2);
        WriteAll(Encoding.UTF8.GetBytes(
            $"\n[boinc-persist: {cut} bytes of output cut here; stderr.txt keeps its first {head / 1024} KiB and its last {tail / 1024} KiB]\n"));
        var start = (int)((ringWritten - kept) % tail);
        if (start + kept <= tail)
        {
            WriteAll(ring.AsSpan(start, kept));
        }
        else
        {
            WriteAll(ring.AsSpan(start));
            WriteAll(ring.AsSpan(0, kept - (tail - start)));
        }
    }

    private void Remember(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= tail)
        {
            bytes[^tail..].CopyTo(ring);
            ringWritten += bytes.Length;
            // Re-align: the ring now starts at index (ringWritten % tail).
            var shift = (int)(ringWritten % tail);
            if (shift != 0)
            {
                var copy = (byte[])ring.Clone();
                for (var i = 0; i < tail; i++) ring[(shift + i) % tail] = copy[i];
            }

            return;
        }

        var pos = (int)(ringWritten % tail);
        var first = Math.Min(bytes.Length, tail - pos);
        bytes[..first].CopyTo(ring.AsSpan(pos));
        bytes[first..].CopyTo(ring);
        ringWritten += bytes.Length;
    }

    private unsafe void WriteAll(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var n = WriteNative(fd, p + done, bytes.Length - done);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == 4) continue; // EINTR
                    return; // a full disk or a closed stderr: nothing better to do with a log line
                }

                done += (int)n;
            }
        }
    }
}
