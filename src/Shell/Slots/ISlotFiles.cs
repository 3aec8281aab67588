using System;
using System.IO;
using LanguageExt;

namespace Boinc.Persist.Shell.Slots;

/// <summary>What a directory entry is, as seen without following it.</summary>
public enum SlotFileKind
{
    File,
    Directory,
    Symlink,

    /// <summary>A FIFO, socket or device: never read, never written, never followed.</summary>
    Other,
}

/// <summary>One entry of a slot directory: its name (one path component) and its kind, not followed.</summary>
public sealed record SlotDirEntry(string Name, SlotFileKind Kind);

/// <summary>
/// Identity facts of a file, from fstat of an open handle (or lstat of a name): device, inode, size, modification
/// and change time (nanoseconds since the epoch). Two observations of a file that is not being changed are equal;
/// a rewrite in place changes size, mtime or ctime, a replacement by rename changes the inode.
/// </summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode, long Size, long MtimeNs, long CtimeNs);

/// <summary>A regular file of the slot opened for reading: its bytes and fstat of the handle.</summary>
public interface ISlotReadFile : IDisposable
{
    /// <summary>The file's bytes, read from the handle that was checked (never re-opened by name).</summary>
    Stream Content { get; }

    /// <summary>fstat of the open handle, now.</summary>
    FileIdentity Identity();
}

/// <summary>
/// What a copy did: the source's identity when it was opened and after its last byte was read, and, when the
/// bytes passed through the wrapper (no reflink), the size and SHA-256 of exactly the bytes written to the
/// destination (hashed while copying, so the copy need not be read back; None after a reflink).
/// </summary>
public sealed record CopyResult(FileIdentity SourceBefore, FileIdentity SourceAfter, bool Reflinked, Option<Core.Checkpoints.FileFacts> Written = default)
{
    /// <summary>Whether the source was written, truncated or replaced while it was copied.</summary>
    public bool SourceChanged => SourceBefore != SourceAfter;
}

/// <summary>
/// Every file operation the wrapper does in a slot, by slot-relative path. The slot is writable by the job,
/// the wrapper often runs as root: an implementation never leaves the slot and never follows a symlink, in any
/// component (a planted <c>data -&gt; /etc</c> makes <c>data/x</c> an error, not a path into the host), never
/// opens anything but a regular file for its bytes, and never blocks on opening one (a FIFO is refused, not
/// waited on). Renames and unlinks act on the names inside directory handles, so a name swapped for a symlink
/// between two calls is acted on as the link itself, never through it.
/// <para>
/// Paths are relative to the slot, '/'-separated, without <c>..</c>, <c>.</c> components, empty components or a
/// leading '/'; <c>"."</c> alone is the slot itself. Anything else is refused with an
/// <see cref="ArgumentException"/> (a caller bug, never the job's doing).
/// </para>
/// <para>
/// Failures are thrown as <see cref="Host.ErrnoException"/> (an <see cref="IOException"/>) carrying the errno:
/// ENOENT for a missing name, ELOOP for a symlink met on the way, EXDEV for an escape, ENOSPC for a full disk,
/// EINVAL ("not a regular file") for a FIFO, device or socket opened for its bytes. Callers turn them into
/// errors once (the checkpoint store's DiskEffects, in the Checkpoints folder).
/// </para>
/// Two implementations: <see cref="SlotFiles"/> (the real disk, openat2) and the model file system's, so the
/// code that ships runs under crash simulation too.
/// </summary>
public interface ISlotFiles
{
    /// <summary>The slot directory, for messages only (never to build paths from).</summary>
    string Root { get; }

    /// <summary>The entries of a directory (not . and ..), sorted by name (ordinal). ENOENT if it is missing.</summary>
    Seq<SlotDirEntry> List(string dir);

    /// <summary>What is at a path without following it: None if nothing is there.</summary>
    Option<SlotFileKind> Kind(string path);

    /// <summary>lstat of a name (a symlink's own facts, never its target's); None if nothing is there.</summary>
    Option<FileIdentity> Identity(string path);

    /// <summary>Open a regular file for reading; a symlink, FIFO, device, socket or directory is refused.</summary>
    ISlotReadFile OpenRead(string path);

    /// <summary>
    /// A new, empty regular file (mode 0644) for writing: whatever non-directory entry has the name is unlinked
    /// first (a planted symlink or FIFO is removed, never written through), then the file is created exclusively.
    /// </summary>
    Stream CreateFresh(string path);

    /// <summary>fsync(2) a regular file: its data becomes durable.</summary>
    void Fsync(string path);

    /// <summary>fsync a directory: names created, renamed or removed in it become durable.</summary>
    void FsyncDir(string dir);

    /// <summary>Create a directory (mode 0755) if it does not exist; its parent must. A non-directory there is an error.</summary>
    void CreateDir(string dir);

    /// <summary>rename(2) between the two parent directories' handles: atomic, never a copy (EXDEV across devices).</summary>
    void Rename(string from, string to);

    /// <summary>Unlink a non-directory entry (a symlink itself, never its target) if it exists.</summary>
    void Delete(string path);

    /// <summary>Remove a directory and everything in it if it exists, following no symlink (a link is unlinked).</summary>
    void DeleteTree(string dir);

    /// <summary>
    /// Copy a regular file to a fresh file (as <see cref="CreateFresh"/>), by reflink where the file system can,
    /// reporting the source's identity at open and after the copy, and the size and SHA-256 of the bytes written
    /// when they passed through the wrapper. The destination is not fsynced (writeback may be started early).
    /// </summary>
    CopyResult Copy(string from, string to);

    /// <summary>
    /// A pack: a fresh file (as <see cref="CreateFresh"/>) holding the regular files of <paramref name="from"/>, in
    /// order, one directly after the other (file k starts at the sum of the bytes written for the files before it),
    /// always through the wrapper (never a reflink), hashed as they are written. One <see cref="CopyResult"/> per
    /// source, in order, as <see cref="Copy"/> reports a copy through the wrapper, but with an XXH3-128 digest
    /// (<see cref="Core.Hashing.ContentDigest"/>: what a pack's trailer records). A source that cannot be opened or
    /// read (a symlink, FIFO, missing file) is an error, and the pack written so far is left for the caller to
    /// delete. No <paramref name="from"/> makes an empty file. Not fsynced (writeback may be started early).
    /// </summary>
    Seq<CopyResult> Pack(Seq<string> from, string to);

    /// <summary>
    /// Append bytes at the end of an existing regular file (never created: ENOENT if missing), opened with O_APPEND
    /// and checked as <see cref="OpenRead"/> checks (a symlink, FIFO, device or socket is refused, never written
    /// through or waited on). Not fsynced (writeback of the appended bytes may be started early).
    /// </summary>
    void Append(string path, ReadOnlySpan<byte> bytes);

    /// <summary>
    /// A fresh file (as <see cref="CreateFresh"/>) holding exactly the bytes [<paramref name="offset"/>,
    /// <paramref name="offset"/> + <paramref name="length"/>) of a regular file, copied through the wrapper. A
    /// source shorter than the range is an error (EIO), found before <paramref name="to"/> is created or, when the
    /// source shrinks while it is copied, after (the partial file is left for the caller to delete). A negative
    /// offset or length is an <see cref="ArgumentException"/>. Not fsynced (writeback may be started early).
    /// </summary>
    void CopyRange(string from, long offset, long length, string to);

    /// <summary>
    /// A small regular file's text (UTF-8), None if nothing is there. A file larger than
    /// <paramref name="maxBytes"/> is an error (EFBIG), so a hostile file cannot make the wrapper read gigabytes.
    /// </summary>
    Option<string> ReadText(string path, int maxBytes);
}
