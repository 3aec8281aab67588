using Boinc.Persist.Shell.Checkpoints;
using System;
using System.IO;
using System.Linq;
using System.Text;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Hashing;
using Boinc.Persist.Core.Verification.Model;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Simulation;

/// <summary>
/// The wrapper process dying (SIGKILL) under simulation: thrown by <see cref="ModelSlotFiles"/> instead of the
/// mutating operation its budget does not allow. Not an <see cref="IOException"/>, so no code of the store
/// catches it: like a real kill, nothing after it runs.
/// </summary>
public sealed class SimulatedKill() : Exception("the wrapper was killed here (simulation)");

/// <summary>
/// <see cref="ISlotFiles"/> over Core's model file system, so the shipped <see cref="CheckpointStore"/> runs
/// under crash simulation (verification tooling: only model-check and the tests use it). Every mutating call
/// becomes model operations (pending until fsynced) and counts against a budget: the call past it throws
/// <see cref="SimulatedKill"/>. A write call is atomic for a process kill (not for a host crash: the explorer
/// tears it). Contents are stored one char per byte (Latin-1), so sizes are byte counts. Not thread-safe.
/// </summary>
public sealed class ModelSlotFiles(ModelFs fs, int budget) : ISlotFiles
{
    public const int EIsDir = 21;
    public const int EFBig = 27;
    public const int ENotDir = 20;
    public const int EIo = 5;

    /// <summary>The model file system as the calls so far left it.</summary>
    public ModelFs Fs { get; private set; } = fs;

    /// <summary>How many mutating operations ran.</summary>
    public int Used { get; private set; }

    public string Root => "<model slot>";

    public Seq<SlotDirEntry> List(string dir)
    {
        var v = Fs.Volatile;
        if (!v.DirExists(dir)) throw Errno(v.Names.ContainsKey(dir) ? ENotDir : ModelFs.ENoEnt, $"list {dir}");
        var dirs = v.Dirs.Where(d => d != "." && StoreLayout.Parent(d) == dir).Select(d => new SlotDirEntry(Leaf(d), SlotFileKind.Directory));
        var files = v.Names.Keys.Where(n => StoreLayout.Parent(n) == dir).Select(n => new SlotDirEntry(Leaf(n), SlotFileKind.File));
        return dirs.Concat(files).OrderBy(e => e.Name, StringComparer.Ordinal).ToSeq();
    }

    public Option<SlotFileKind> Kind(string path) =>
        Fs.Volatile.DirExists(path) ? SlotFileKind.Directory
        : Fs.Volatile.Names.ContainsKey(path) ? SlotFileKind.File
        : Option<SlotFileKind>.None;

    public Option<FileIdentity> Identity(string path) =>
        Fs.Volatile.Names.Find(path).Map(inode => new FileIdentity(1, (ulong)inode, Fs.Volatile.Read(path).IfNone("").Length, 0, 0))
        | (Fs.Volatile.DirExists(path) ? Option<FileIdentity>.Some(new FileIdentity(1, 0, 0, 0, 0)) : Option<FileIdentity>.None);

    public ISlotReadFile OpenRead(string path)
    {
        var content = File(path);
        return new ReadFile(new MemoryStream(Encoding.Latin1.GetBytes(content), writable: false), Identity(path).IfNone(default(FileIdentity)));
    }

    public Stream CreateFresh(string path)
    {
        Fresh(path);
        return new WriteStream(this, path);
    }

    public void Fsync(string path)
    {
        if (Fs.Volatile.DirExists(path)) Mutate(new FsEffect.FsyncDir(path));
        else Mutate(new FsEffect.Fsync(path));
    }

    public void FsyncDir(string dir) => Mutate(new FsEffect.FsyncDir(dir));

    public void CreateDir(string dir)
    {
        if (Fs.Volatile.Names.ContainsKey(dir)) throw Errno(ModelFs.EExist, $"mkdir {dir}: a file is there");
        if (!Fs.Volatile.DirExists(dir)) Mutate(new FsEffect.CreateDir(dir));
    }

    public void Rename(string from, string to) => Mutate(new FsEffect.Rename(from, to));

    public void Delete(string path)
    {
        if (Fs.Volatile.DirExists(path)) throw Errno(EIsDir, $"unlink {path}: is a directory");
        if (Fs.Volatile.Names.ContainsKey(path)) Mutate(new FsEffect.Delete(path));
    }

    public void DeleteTree(string dir)
    {
        if (Fs.Volatile.Names.ContainsKey(dir)) Mutate(new FsEffect.Delete(dir));
        else if (Fs.Volatile.DirExists(dir)) Mutate(new FsEffect.DeleteTree(dir));
    }

    public CopyResult Copy(string from, string to)
    {
        var content = File(from);
        var before = Identity(from).IfNone(default(FileIdentity));
        Fresh(to);
        Write(to, content);
        // As the real accessor's plain copy: the size and SHA-256 of the bytes written, hashed while copying.
        var bytes = Encoding.Latin1.GetBytes(content);
        var written = new FileFacts(bytes.Length, Sha256.HexOf(bytes));
        return new CopyResult(before, Identity(from).IfNone(default(FileIdentity)), Reflinked: false, written);
    }

    /// <summary>As the real accessor's pack: a fresh file, then one model write per source of everything so far, so a kill can land after any file.</summary>
    public Seq<CopyResult> Pack(Seq<string> from, string to)
    {
        Fresh(to);
        var packed = new StringBuilder();
        var results = new System.Collections.Generic.List<CopyResult>(from.Count);
        foreach (var path in from)
        {
            var content = File(path);
            var before = Identity(path).IfNone(default(FileIdentity));
            packed.Append(content);
            Write(to, packed.ToString());
            var bytes = Encoding.Latin1.GetBytes(content);
            results.Add(new CopyResult(before, Identity(path).IfNone(default(FileIdentity)), Reflinked: false, new FileFacts(bytes.Length, ContentDigest.Of(DigestKind.Xxh3_128, bytes))));
        }

        return results.ToSeq();
    }

    /// <summary>One model data write of the inode (old bytes and the new ones): the name keeps its inode, as with O_APPEND.</summary>
    public void Append(string path, ReadOnlySpan<byte> bytes)
    {
        var content = File(path);
        Write(path, content + Encoding.Latin1.GetString(bytes));
    }

    public void CopyRange(string from, long offset, long length, string to)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var content = File(from);
        if (offset > content.Length || length > content.Length - offset)
            throw Errno(EIo, $"copy {from}: shorter ({content.Length} bytes) than the range to copy from it ({length} bytes from byte {offset})");
        Fresh(to);
        Write(to, content.Substring((int)offset, (int)length));
    }

    public Option<string> ReadText(string path, int maxBytes)
    {
        if (Fs.Volatile.DirExists(path)) throw Errno(EIsDir, $"read {path}: is a directory");
        return Fs.Volatile.Read(path).Map(c => c.Length > maxBytes
            ? throw Errno(EFBig, $"read {path}: larger than {maxBytes} bytes")
            : Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(c)));
    }

    private string File(string path)
    {
        if (Fs.Volatile.DirExists(path)) throw Errno(EIsDir, $"open {path}: is a directory");
        return Fs.Volatile.Read(path).IfNone(() => throw Errno(ModelFs.ENoEnt, $"open {path}: no such file"));
    }

    /// <summary>As the real accessor: whatever non-directory is at the name is unlinked, then a new file is created exclusively.</summary>
    private void Fresh(string path)
    {
        if (Fs.Volatile.DirExists(path)) throw Errno(EIsDir, $"create {path}: is a directory");
        if (Fs.Volatile.Names.ContainsKey(path)) Mutate(new FsEffect.Delete(path));
        Step(() => Fs.CreateEmpty(path));
    }

    private void Write(string path, string content) => Mutate(new FsEffect.WriteFile(path, content));

    private void Mutate(FsEffect e) => Step(() => Fs.Apply(e));

    private void Step(Func<Fin<ModelFs>> op)
    {
        if (budget >= 0 && Used >= budget) throw new SimulatedKill();
        Fs = op().Match(f => f, e => throw Errno(e.Code, e.Message));
        Used++;
    }

    private static ErrnoException Errno(int errno, string message) =>
        new(errno == ModelFs.ENoSpc ? $"{message}: No space left on device" : message, errno);

    private static string Leaf(string path) => path[(path.LastIndexOf('/') + 1)..];

    private sealed class ReadFile(Stream content, FileIdentity identity) : ISlotReadFile
    {
        public Stream Content => content;

        public FileIdentity Identity() => identity;

        public void Dispose() => content.Dispose();
    }

    /// <summary>Each Write call appends its bytes as one model data write (a whole-content write of the inode).</summary>
    private sealed class WriteStream(ModelSlotFiles files, string path) : Stream
    {
        private readonly StringBuilder written = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => written.Length;

        public override long Position { get => written.Length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            written.Append(Encoding.Latin1.GetString(buffer));
            files.Write(path, written.ToString());
        }

        public override void Flush() { }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
