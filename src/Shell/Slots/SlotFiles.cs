using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Core.Hashing;
using LanguageExt;
using Microsoft.Win32.SafeHandles;
using static Boinc.Persist.Shell.Slots.SlotNative;

namespace Boinc.Persist.Shell.Slots;

/// <summary>
/// <see cref="ISlotFiles"/> on the real disk. Every name is resolved from a handle on the slot directory with
/// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV), or, where the kernel
/// lacks openat2 (before 5.6: ENOSYS), by a walk that opens one component at a time with O_NOFOLLOW |
/// O_DIRECTORY, which refuses a symlink just the same. Files are opened first and checked after (fstat of the
/// handle: regular files only), with O_NONBLOCK so opening a FIFO never waits for a writer. Creating, renaming
/// and unlinking act on a single name inside a parent directory's handle. Disposing closes the slot handle.
/// </summary>
public sealed class SlotFiles : ISlotFiles, IDisposable
{
    private const ulong Resolve = ResolveBeneath | ResolveNoSymlinks | ResolveNoMagicLinks | ResolveNoXDev;
    private const int MaxDepth = 4096;

    /// <summary>Whether the kernel has openat2 (cleared at the first ENOSYS).</summary>
    private static volatile bool kernelHasOpenat2 = true;

    private readonly SafeFileHandle root;
    private readonly bool walkOnly;

    private SlotFiles(string rootPath, SafeFileHandle root, bool walkOnly)
    {
        Root = rootPath;
        this.root = root;
        this.walkOnly = walkOnly;
    }

    public string Root { get; }

    /// <summary>Whether this accessor resolves with openat2 (false: the O_NOFOLLOW walk).</summary>
    public bool UsesOpenat2 => !walkOnly && kernelHasOpenat2;

    /// <summary>
    /// The accessor of a slot directory (the path BOINC gave; the slot itself is trusted, what is in it is not).
    /// <paramref name="walkOnly"/> forces the O_NOFOLLOW walk, so the fallback is tested on kernels with openat2.
    /// </summary>
    public static SlotFiles Open(string slotDir, bool walkOnly = false)
    {
        var full = Path.GetFullPath(slotDir);
        var fd = SlotNative.Open(full, OPath | ODirectory);
        return new SlotFiles(full, new SafeFileHandle(fd, ownsHandle: true), walkOnly);
    }

    public void Dispose() => root.Dispose();

    private int RootFd => (int)root.DangerousGetHandle();

    private string Show(string path) => path == "." ? Root : Root + "/" + path;

    /// <summary>Open a slot-relative path beneath the slot, following no symlink; returns the fd or throws.</summary>
    private int OpenBeneath(string path, int flags, int mode = 0)
    {
        var parts = SlotPath.Components(path);
        var r = parts.Length == 0 ? Openat(RootFd, ".", flags, mode) : OpenParts(parts, path, flags | ONoFollow, mode);
        // O_DIRECTORY | O_NOFOLLOW on a symlink says ENOTDIR: name the link for what it is.
        if (r == -ENotDir && SymlinkOnTheWay(parts))
            r = -ELoop;
        if (r < 0)
            throw Fail($"cannot open {Show(path)}", -r);
        return r;
    }

    private int OpenParts(string[] parts, string path, int flags, int mode)
    {
        if (!walkOnly && kernelHasOpenat2)
        {
            var r = Openat2(RootFd, path, flags, mode, Resolve);
            if (r != -ENoSys)
                return r;
            kernelHasOpenat2 = false;
        }

        // The fallback: one component at a time, each directory opened with O_NOFOLLOW | O_DIRECTORY (a symlink
        // there fails with ENOTDIR or ELOOP), the last one with the caller's flags and O_NOFOLLOW.
        var dir = Openat(RootFd, ".", OPath | ODirectory);
        if (dir < 0)
            return dir;
        try
        {
            for (var i = 0; i < parts.Length - 1; i++)
            {
                var next = Openat(dir, parts[i], OPath | ODirectory | ONoFollow);
                if (next < 0)
                    return next;
                Close(dir);
                dir = next;
            }

            return Openat(dir, parts[^1], flags, mode);
        }
        finally
        {
            Close(dir);
        }
    }

    /// <summary>Whether a component of the path is a symlink (lstat one component at a time, from the slot handle).</summary>
    private bool SymlinkOnTheWay(string[] parts)
    {
        var dir = Openat(RootFd, ".", OPath | ODirectory);
        if (dir < 0) return false;
        try
        {
            foreach (var part in parts)
            {
                if (Stat(dir, part, out var mode, out _) != 0) return false;
                if (KindOf(mode) == SlotFileKind.Symlink) return true;
                if (KindOf(mode) != SlotFileKind.Directory) return false;
                var next = Openat(dir, part, OPath | ODirectory | ONoFollow);
                if (next < 0) return false;
                Close(dir);
                dir = next;
            }

            return false;
        }
        finally
        {
            Close(dir);
        }
    }

    private SafeFileHandle Handle(int fd) => new(fd, ownsHandle: true);

    /// <summary>The parent directory's handle (O_PATH) and the leaf name of a path other than ".".</summary>
    private (SafeFileHandle Dir, string Leaf) Parent(string path)
    {
        var (parent, leaf) = SlotPath.Split(path);
        return (Handle(OpenBeneath(parent, OPath | ODirectory)), leaf);
    }

    public Seq<SlotDirEntry> List(string dir)
    {
        using var h = Handle(OpenBeneath(dir, ORdOnly | ODirectory));
        return ListOpen(h, dir);
    }

    private Seq<SlotDirEntry> ListOpen(SafeFileHandle h, string pathForErrors)
    {
        var fd = (int)h.DangerousGetHandle();
        return ReadDir(fd, Show(pathForErrors))
            .Select(e => new SlotDirEntry(e.Name, e.Kind ?? (Stat(fd, e.Name, out var m, out _) == 0 ? KindOf(m) : SlotFileKind.Other)))
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToSeq();
    }

    public Option<SlotFileKind> Kind(string path) => Lstat(path).Map(s => s.Kind);

    public Option<FileIdentity> Identity(string path) => Lstat(path).Map(s => s.Identity);

    private Option<(SlotFileKind Kind, FileIdentity Identity)> Lstat(string path)
    {
        if (path == ".")
        {
            var r0 = Stat(RootFd, "", out var m0, out var id0);
            if (r0 < 0) throw Fail($"cannot stat {Root}", -r0);
            return (KindOf(m0), id0);
        }

        SafeFileHandle dir;
        string leaf;
        try
        {
            (dir, leaf) = Parent(path);
        }
        catch (ErrnoException e) when (e.Errno == ENoEnt)
        {
            return None;
        }

        using (dir)
        {
            var r = Stat((int)dir.DangerousGetHandle(), leaf, out var mode, out var id);
            if (r == -ENoEnt) return None;
            if (r < 0) throw Fail($"cannot stat {Show(path)}", -r);
            return (KindOf(mode), id);
        }
    }

    private static Option<(SlotFileKind, FileIdentity)> None => Option<(SlotFileKind, FileIdentity)>.None;

    public ISlotReadFile OpenRead(string path)
    {
        var fd = OpenBeneath(path, ORdOnly | ONonBlock | ONoCtty);
        var r = Stat(fd, "", out var mode, out _);
        if (r < 0 || KindOf(mode) != SlotFileKind.File)
        {
            Close(fd);
            throw r < 0
                ? Fail($"cannot stat {Show(path)}", -r)
                : new ErrnoException($"{Show(path)} is not a regular file ({KindOf(mode).ToString().ToLowerInvariant()}); the wrapper reads regular files only", EInval);
        }

        return new ReadFile(Handle(fd), Show(path));
    }

    public Stream CreateFresh(string path)
    {
        var handle = CreateFreshHandle(path);
        return new FileStream(handle, FileAccess.Write, 0);
    }

    /// <summary>
    /// <see cref="CreateFresh"/>'s new file as a bare handle, for the copies here that write it with
    /// <see cref="RandomAccess"/> (a FileStream costs two lseeks on creation).
    /// </summary>
    private SafeFileHandle CreateFreshHandle(string path)
    {
        var (dir, leaf) = Parent(path);
        using (dir)
        {
            var dfd = (int)dir.DangerousGetHandle();
            // The job may put the name back between our unlink and create: a few rounds, then an error.
            for (var attempt = 0; attempt < 8; attempt++)
            {
                var u = Unlinkat(dfd, leaf, 0);
                if (u < 0 && u != -ENoEnt)
                    throw Fail($"cannot replace {Show(path)}", -u);
                var fd = Openat(dfd, leaf, OWrOnly | OCreat | OExcl | ONoFollow, 0x1a4 /* 0644 */);
                if (fd >= 0)
                    return Handle(fd);
                if (fd != -EExist)
                    throw Fail($"cannot create {Show(path)}", -fd);
            }

            throw Fail($"cannot create {Show(path)}: something keeps putting it back", EExist);
        }
    }

    public void Fsync(string path)
    {
        using var h = Handle(OpenBeneath(path, ORdOnly | ONonBlock | ONoCtty));
        var fd = (int)h.DangerousGetHandle();
        var s = Stat(fd, "", out var mode, out _);
        if (s < 0) throw Fail($"cannot stat {Show(path)}", -s);
        if (KindOf(mode) != SlotFileKind.File)
            throw new ErrnoException($"cannot fsync {Show(path)}: not a regular file", EInval);
        var r = SlotNative.Fsync(fd);
        if (r < 0) throw Fail($"cannot fsync {Show(path)}", -r);
    }

    public void FsyncDir(string dir)
    {
        using var h = Handle(OpenBeneath(dir, ORdOnly | ODirectory));
        var r = SlotNative.Fsync((int)h.DangerousGetHandle());
        if (r < 0) throw Fail($"cannot fsync {Show(dir)}", -r);
    }

    public void CreateDir(string dir)
    {
        if (dir == ".")
            return;
        var (parent, leaf) = Parent(dir);
        using (parent)
        {
            var pfd = (int)parent.DangerousGetHandle();
            var r = Mkdirat(pfd, leaf, 0x1ed /* 0755 */);
            if (r == 0) return;
            if (r != -EExist) throw Fail($"cannot create directory {Show(dir)}", -r);
            var s = Stat(pfd, leaf, out var mode, out _);
            if (s < 0) throw Fail($"cannot stat {Show(dir)}", -s);
            if (KindOf(mode) != SlotFileKind.Directory)
                throw KindOf(mode) == SlotFileKind.Symlink
                    ? Fail($"cannot create directory {Show(dir)}", ELoop)
                    : new ErrnoException($"cannot create directory {Show(dir)}: a {KindOf(mode).ToString().ToLowerInvariant()} is in the way", ENotDir);
        }
    }

    public void Rename(string from, string to)
    {
        var (fromDir, fromLeaf) = Parent(from);
        using (fromDir)
        {
            var (toDir, toLeaf) = Parent(to);
            using (toDir)
            {
                var r = Renameat((int)fromDir.DangerousGetHandle(), fromLeaf, (int)toDir.DangerousGetHandle(), toLeaf);
                if (r < 0) throw Fail($"cannot rename {Show(from)} to {Show(to)}", -r);
            }
        }
    }

    public void Delete(string path)
    {
        SafeFileHandle dir;
        string leaf;
        try
        {
            (dir, leaf) = Parent(path);
        }
        catch (ErrnoException e) when (e.Errno == ENoEnt)
        {
            return;
        }

        using (dir)
        {
            var r = Unlinkat((int)dir.DangerousGetHandle(), leaf, 0);
            if (r < 0 && r != -ENoEnt) throw Fail($"cannot delete {Show(path)}", -r);
        }
    }

    public void DeleteTree(string dir)
    {
        SafeFileHandle parent;
        string leaf;
        try
        {
            (parent, leaf) = Parent(dir);
        }
        catch (ErrnoException e) when (e.Errno == ENoEnt)
        {
            return;
        }

        using (parent)
            RemoveEntry((int)parent.DangerousGetHandle(), leaf, Show(dir), 0);
    }

    /// <summary>Remove one entry of an open directory: a directory by emptying it through its own handle, anything else by unlink.</summary>
    private static void RemoveEntry(int dirfd, string name, string shown, int depth)
    {
        if (depth > MaxDepth)
            throw new ErrnoException($"cannot delete {shown}: nested more than {MaxDepth} directories deep", ELoop);
        var s = Stat(dirfd, name, out var mode, out _);
        if (s == -ENoEnt) return;
        if (s < 0) throw Fail($"cannot stat {shown}", -s);
        if (KindOf(mode) == SlotFileKind.Directory)
        {
            var fd = Openat(dirfd, name, ORdOnly | ODirectory | ONoFollow);
            if (fd == -ENoEnt) return;
            if (fd < 0) throw Fail($"cannot open {shown}", -fd);
            try
            {
                foreach (var (child, _) in ReadDir(fd, shown))
                    RemoveEntry(fd, child, shown + "/" + child, depth + 1);
            }
            finally
            {
                Close(fd);
            }

            var r = Unlinkat(dirfd, name, AtRemoveDir);
            if (r < 0 && r != -ENoEnt) throw Fail($"cannot delete {shown}", -r);
        }
        else
        {
            var r = Unlinkat(dirfd, name, 0);
            if (r < 0 && r != -ENoEnt) throw Fail($"cannot delete {shown}", -r);
        }
    }

    public CopyResult Copy(string from, string to)
    {
        using var src = (ReadFile)OpenRead(from);
        var before = src.Identity();
        using var dst = CreateFreshHandle(to);
        bool reflinked;
        if (Reflink((int)dst.DangerousGetHandle(), (int)src.Handle.DangerousGetHandle()))
        {
            reflinked = true;
        }
        else
        {
            // No reflink here (ext4, tmpfs, another file system): copy through the handles already open, hashing
            // the bytes as they are written (what the destination holds, so it need not be read back).
            return new CopyResult(before, src.Identity(), Reflinked: false, CopyHashing(src.Handle, dst, before.Size, DigestKind.Sha256));
        }

        return new CopyResult(before, src.Identity(), reflinked);
    }

    public Seq<CopyResult> Pack(Seq<string> from, string to)
    {
        using var dst = CreateFreshHandle(to);
        var results = new System.Collections.Generic.List<CopyResult>(from.Count);
        long at = 0;
        foreach (var path in from)
        {
            // Each source opened in its turn (and checked: a regular file only), copied through the wrapper at the end
            // of what the files before it wrote: never a reflink, which would need block-aligned offsets.
            using var src = (ReadFile)OpenRead(path);
            var before = src.Identity();
            var written = CopyHashing(src.Handle, dst, before.Size, DigestKind.Xxh3_128, at);
            results.Add(new CopyResult(before, src.Identity(), Reflinked: false, written));
            at += written.Size;
        }

        return results.ToSeq();
    }

    public void Append(string path, ReadOnlySpan<byte> bytes)
    {
        int fd;
        try
        {
            fd = OpenBeneath(path, OWrOnly | OAppend | ONonBlock | ONoCtty);
        }
        catch (ErrnoException e) when (e.Errno == ENxIo)
        {
            // O_WRONLY | O_NONBLOCK on a FIFO without a reader, a socket or a driverless device: never a regular file.
            throw new ErrnoException($"{Show(path)} is not a regular file; the wrapper appends to regular files only", EInval);
        }

        using var h = Handle(fd);
        var s = Stat(fd, "", out var mode, out var before);
        if (s < 0) throw Fail($"cannot stat {Show(path)}", -s);
        if (KindOf(mode) != SlotFileKind.File)
            throw new ErrnoException($"{Show(path)} is not a regular file ({KindOf(mode).ToString().ToLowerInvariant()}); the wrapper appends to regular files only", EInval);
        var rest = bytes;
        while (!rest.IsEmpty)
        {
            var n = SlotNative.Write(fd, rest);
            if (n < 0) throw Fail($"cannot append to {Show(path)}", -n);
            if (n == 0) throw Fail($"cannot append to {Show(path)}: nothing was written", EIo);
            rest = rest[n..];
        }

        if (!bytes.IsEmpty)
            _ = StartWriteback(fd, before.Size, bytes.Length); // a hint only (and the end as fstat saw it before the write)
    }

    public void CopyRange(string from, long offset, long length, string to)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        using var src = (ReadFile)OpenRead(from);
        var size = src.Identity().Size;
        if (offset > size || length > size - offset)
            throw Short(from, offset, length, size);
        using var dst = CreateFreshHandle(to);
        var dstFd = (int)dst.DangerousGetHandle();
        var chunkBytes = Sha256Files.ChunkFor(length);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(chunkBytes);
        try
        {
            long done = 0;
            while (done < length)
            {
                var n = RandomAccess.Read(src.Handle, buffer.AsSpan(0, (int)Math.Min(chunkBytes, length - done)), offset + done);
                if (n == 0)
                    throw Short(from, offset, length, offset + done); // it shrank while it was copied
                RandomAccess.Write(dst, buffer.AsSpan(0, n), done);
                _ = StartWritebackOfWholePages(dstFd, done, n); // a hint only: see StartWriteback
                done += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private ErrnoException Short(string from, long offset, long length, long size) =>
        new($"{Show(from)} is shorter ({size} bytes) than the range to copy from it ({length} bytes from byte {offset})", EIo);

    /// <summary>The largest copy chunk (buffers are rented per copy): a read, a write and a hash each cost one call per chunk.</summary>
    public const int CopyBufferBytes = Sha256Files.MaxChunkBytes;

    /// <summary>A file larger than this is hashed on a thread of the copy's own while the next chunk is read and
    /// written; a smaller one in line (below it, starting a thread cost more than the overlap saved: measured, 1 MB
    /// commits took 2.9 ms instead of 2.5 with 256 KiB chunks on a thread).</summary>
    public const int PipelineFromBytes = 4 * CopyBufferBytes;

    /// <summary>
    /// Copy by pread/pwrite, the source from its start to its end, into the destination from
    /// <paramref name="toOffset"/> on (0 for a copy, the bytes before it for a file of a pack), asking the kernel to
    /// start writing each chunk back as soon as it is written (so the disk works while the CPU goes on; the fsync that
    /// follows waits for less), and hashing each chunk after it is written: in line for a small file, else on a thread
    /// of the copy's own (<see cref="HashingCopy"/>), so reading, writing and hashing overlap on two cores. Returns the
    /// size and digest (of <paramref name="kind"/>) of the bytes written, which are the destination's bytes: a fresh file only the wrapper writes
    /// (the store is hidden from the container).
    /// </summary>
    private static Core.Checkpoints.FileFacts CopyHashing(SafeFileHandle from, SafeFileHandle to, long sizeHint, DigestKind kind, long toOffset = 0)
    {
        if (sizeHint > PipelineFromBytes)
            return HashingCopy.Run(from, to, CopyBufferBytes, kind, toOffset);
        // A buffer of the file's size (a page at least), not of the largest chunk: a 1 MiB buffer is a large object
        // that stays resident in the pool for the life of the wrapper, for checkpoints of a few KB (peak RSS,
        // docs/MEMORY.md). A file that grew since it was opened is still copied whole, in more chunks.
        var chunkBytes = Sha256Files.ChunkFor(sizeHint);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(chunkBytes);
        try
        {
            using var digest = FileDigests.Start(kind);
            var toFd = (int)to.DangerousGetHandle();
            long offset = 0;
            int n;
            while ((n = RandomAccess.Read(from, buffer.AsSpan(0, chunkBytes), offset)) > 0)
            {
                var chunk = buffer.AsSpan(0, n);
                RandomAccess.Write(to, chunk, toOffset + offset);
                _ = StartWritebackOfWholePages(toFd, toOffset + offset, n); // a hint only: see StartWriteback
                digest.Append(chunk);
                offset += n;
            }

            return new Core.Checkpoints.FileFacts(offset, digest.Finish());
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A copy whose hashing runs on a thread of its own, one chunk behind the copy: two buffers take turns, the
    /// copier reads and writes chunk k into one while the hasher hashes chunk k-1 from the other, in order. A
    /// dedicated thread (not the thread pool, where a commit waiting on a queued hash could wait for the pool to
    /// grow). A zero-length chunk ends the hasher; every path out of the copy, a failed read or write included,
    /// sends it and joins the thread before the buffers go back.
    /// </summary>
    private sealed class HashingCopy
    {
        private readonly byte[][] buffers;
        private readonly int[] lengths = new int[2];
        private readonly SemaphoreSlim toHash = new(0, 2);
        private readonly SemaphoreSlim free = new(2, 2);
        private readonly IRunningDigest digest;
        private Exception? failure;

        private HashingCopy(int chunk, DigestKind kind)
        {
            digest = FileDigests.Start(kind);
            buffers = new[] { System.Buffers.ArrayPool<byte>.Shared.Rent(chunk), System.Buffers.ArrayPool<byte>.Shared.Rent(chunk) };
        }

        public static Core.Checkpoints.FileFacts Run(SafeFileHandle from, SafeFileHandle to, int chunk, DigestKind kind, long toOffset)
        {
            var copy = new HashingCopy(chunk, kind);
            var hasher = new Thread(copy.Hash, 256 * 1024) { IsBackground = true, Name = "copy hash" };
            hasher.Start();
            var toFd = (int)to.DangerousGetHandle();
            long offset = 0;
            var k = 0;
            var holding = false;
            try
            {
                while (true)
                {
                    copy.free.Wait();
                    holding = true;
                    var buffer = copy.buffers[k % 2];
                    var n = RandomAccess.Read(from, buffer.AsSpan(0, chunk), offset);
                    if (n > 0)
                    {
                        RandomAccess.Write(to, buffer.AsSpan(0, n), toOffset + offset);
                        _ = StartWritebackOfWholePages(toFd, toOffset + offset, n); // a hint only: see StartWriteback
                    }

                    copy.Send(k++, n);
                    holding = false;
                    if (n == 0)
                        break;
                    offset += n;
                }

                hasher.Join();
                if (copy.failure is { } e)
                    throw new IOException($"hashing the copy failed: {e.Message}", e);
                return new Core.Checkpoints.FileFacts(offset, copy.digest.Finish());
            }
            finally
            {
                if (hasher.IsAlive)
                {
                    // A read or write failed: end the hasher (in its turn) before its buffers go back.
                    if (!holding)
                        copy.free.Wait();
                    copy.Send(k, 0);
                    hasher.Join();
                }

                copy.digest.Dispose();
                foreach (var b in copy.buffers)
                    System.Buffers.ArrayPool<byte>.Shared.Return(b);
            }
        }

        private void Send(int k, int length)
        {
            lengths[k % 2] = length;
            toHash.Release();
        }

        private void Hash()
        {
            for (var i = 0; ; i++)
            {
                toHash.Wait();
                var n = lengths[i % 2];
                if (n == 0)
                    return;
                try
                {
                    if (failure is null)
                        digest.Append(buffers[i % 2].AsSpan(0, n));
                }
                catch (Exception e)
                {
                    failure = e; // reported by the copier once the thread is joined
                }

                free.Release();
            }
        }
    }

    public Option<string> ReadText(string path, int maxBytes)
    {
        ReadFile f;
        try
        {
            f = (ReadFile)OpenRead(path);
        }
        catch (ErrnoException e) when (e.Errno == ENoEnt)
        {
            return Option<string>.None;
        }

        using (f)
        {
            // A buffer of the file's size, not a 64 KB one per read (a commit reads both manifest slots).
            var bytes = SlotFileOps.ReadUpTo(f.Content, f.Identity().Size, maxBytes);
            if (bytes.Length > maxBytes)
                throw new ErrnoException($"{Show(path)} is larger than the {maxBytes} bytes the wrapper reads from it", EFBig);
            return Encoding.UTF8.GetString(bytes);
        }
    }

    /// <summary>
    /// Open (creating it if missing, never truncating) a regular file for reading and writing, following no
    /// symlink: for a lock file whose contents do not matter but whose handle does. A non-regular file is refused.
    /// </summary>
    public SafeFileHandle OpenOrCreate(string path)
    {
        var (dir, leaf) = Parent(path);
        using (dir)
        {
            var dfd = (int)dir.DangerousGetHandle();
            var fd = Openat(dfd, leaf, 0x2 /* O_RDWR */ | OCreat | ONoFollow | ONonBlock | ONoCtty, 0x1a4);
            if (fd < 0) throw Fail($"cannot open {Show(path)}", -fd);
            var s = Stat(fd, "", out var mode, out _);
            if (s < 0 || KindOf(mode) != SlotFileKind.File)
            {
                Close(fd);
                throw new ErrnoException($"{Show(path)} is not a regular file; the wrapper opens regular files only", EInval);
            }

            return Handle(fd);
        }
    }

    /// <summary>A symlink's own target text (never followed), as the job wrote it.</summary>
    public string ReadLink(string path)
    {
        var (dir, leaf) = Parent(path);
        using (dir)
        {
            var r = Readlinkat((int)dir.DangerousGetHandle(), leaf, out var target);
            if (r < 0) throw Fail($"cannot read the link {Show(path)}", -r);
            return target;
        }
    }

    /// <summary>An existing regular file opened for reading and writing (a shared-memory file), following no symlink.</summary>
    public SafeFileHandle OpenReadWrite(string path)
    {
        var fd = OpenBeneath(path, 0x2 /* O_RDWR */ | ONonBlock | ONoCtty);
        var s = Stat(fd, "", out var mode, out _);
        if (s < 0 || KindOf(mode) != SlotFileKind.File)
        {
            Close(fd);
            throw new ErrnoException($"{Show(path)} is not a regular file; the wrapper opens regular files only", EInval);
        }

        return Handle(fd);
    }

    private sealed class ReadFile : ISlotReadFile
    {
        private readonly string shown;

        private readonly SafeFileHandle handle;
        private FileStream? content;

        public ReadFile(SafeFileHandle handle, string shown)
        {
            this.handle = handle;
            this.shown = shown;
        }

        public SafeFileHandle Handle => handle;

        /// <summary>A stream over <see cref="Handle"/>, made on first use: the copies read the handle with RandomAccess, and a FileStream costs two lseeks.</summary>
        public Stream Content => content ??= new FileStream(handle, FileAccess.Read, 0);

        public FileIdentity Identity()
        {
            var r = Stat((int)Handle.DangerousGetHandle(), "", out _, out var id);
            if (r < 0) throw Fail($"cannot stat {shown}", -r);
            return id;
        }

        public void Dispose()
        {
            content?.Dispose();
            Handle.Dispose();
        }
    }
}
