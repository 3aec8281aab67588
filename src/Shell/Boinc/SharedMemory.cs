using System;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Text;
using System.Threading;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Shell.Boinc;

/// <summary>The eight channels of BOINC's shared memory (<c>lib/app_ipc.h</c> SHARED_MEM), in file order.</summary>
public enum Channel
{
    ProcessControlRequest = 0,
    ProcessControlReply = 1,
    GraphicsRequest = 2,
    GraphicsReply = 3,
    Heartbeat = 4,
    AppStatus = 5,
    TrickleUp = 6,
    TrickleDown = 7,
}

/// <summary>
/// <c>boinc_mmap_file</c>: 8 channels x 1024 bytes; byte 0 of a channel says a message is present, bytes
/// 1..1023 hold it, NUL-terminated. The client creates and zeroes the file; this class only maps it (never
/// creates or truncates). Receive copies the text and then clears the flag; send writes only into an empty
/// channel, text + NUL first, then sets the flag with release semantics (<see cref="Volatile.Write(ref byte, byte)"/>),
/// so the reader, which reads the flag with acquire semantics, never sees a flag before its text. Both sides
/// (the app here, the fake client in tests) use the same two operations on different channels.
/// </summary>
public sealed unsafe class SharedMemory : IDisposable
{
    public const string FileName = "boinc_mmap_file";
    public const int ChannelSize = 1024;
    public const int Channels = 8;
    public const int Size = ChannelSize * Channels;

    /// <summary>Longest text a channel holds: 1024 minus the flag byte and the terminating NUL.</summary>
    public const int MaxText = ChannelSize - 2;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private bool _disposed;

    private SharedMemory(MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        _file = file;
        _view = view;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + view.PointerOffset;
    }

    public string Path { get; private init; } = "";

    /// <summary>Maps an existing <c>boinc_mmap_file</c> of at least 8192 bytes, read-write.</summary>
    public static Fin<SharedMemory> Open(string path)
    {
        try
        {
            // Through the slot accessor: a boinc_mmap_file the job replaced with a symlink (to a host file the
            // wrapper would then write status into) or a FIFO is refused, never followed.
            var full = System.IO.Path.GetFullPath(path);
            using var slot = Slots.SlotFiles.Open(System.IO.Path.GetDirectoryName(full) ?? "/");
            var name = System.IO.Path.GetFileName(full);
            if (slot.Kind(name).IsNone)
                return Error.New($"{path} does not exist; the BOINC client creates it before starting the app");
            var handle = slot.OpenReadWrite(name);
            var length = RandomAccess.GetLength(handle);
            if (length < Size)
            {
                handle.Dispose();
                return Error.New($"{path} is {length} bytes, expected at least {Size}; it was not made by the BOINC client");
            }

            var file = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            try
            {
                return new SharedMemory(file, file.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite)) { Path = path };
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Error.New($"cannot map {path}: {e.Message}");
        }
    }

    /// <summary>Whether a message waits in the channel (its flag is set).</summary>
    public bool HasMessage(Channel channel) => Volatile.Read(ref *Flag(channel)) != 0;

    /// <summary>If a message is present: copy it, clear the flag, return it.</summary>
    public Option<string> Receive(Channel channel)
    {
        var flag = Flag(channel);
        if (Volatile.Read(ref *flag) == 0)
            return Option<string>.None;
        var text = flag + 1;
        var length = 0;
        while (length < ChannelSize - 1 && text[length] != 0)
            length++;
        var message = Encoding.Latin1.GetString(text, length);
        Volatile.Write(ref *flag, (byte)0);
        return message;
    }

    /// <summary>
    /// Writes the message if the channel is empty; false when the previous message is still unread (the caller
    /// tries again later, as the BOINC API does). The text must be ASCII and at most <see cref="MaxText"/> long.
    /// </summary>
    public bool Send(Channel channel, string message)
    {
        if (message.Length > MaxText)
            throw new ArgumentException($"a {channel} message is {message.Length} characters; a channel holds {MaxText}", nameof(message));
        var flag = Flag(channel);
        if (Volatile.Read(ref *flag) != 0)
            return false;
        var text = flag + 1;
        for (var i = 0; i < message.Length; i++)
            text[i] = message[i] < 128 ? (byte)message[i] : (byte)'?';
        text[message.Length] = 0;
        Volatile.Write(ref *flag, (byte)1);
        return true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    private byte* Flag(Channel channel)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _base + (int)channel * ChannelSize;
    }
}
