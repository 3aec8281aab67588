using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Slots;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Security;

/// <summary>The slot accessor and the checkpoint store over it, against the attacks of issue 14 on the real disk.</summary>
public sealed class SlotFilesTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bp-slotfiles-").FullName;

    public SlotFilesTests()
    {
        Slot = Directory.CreateDirectory(Path.Combine(root, "slot")).FullName;
        Host = Directory.CreateDirectory(Path.Combine(root, "host")).FullName;
        File.WriteAllText(Path.Combine(Host, "host-only"), "host secret");
    }

    private string Slot { get; }

    private string Host { get; }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static CheckpointConfig Files(params string[] patterns) => CheckpointConfig.Default with { Files = patterns.ToSeq() };

    /// <summary>
    /// A plain copy hashes what it writes, 1 MiB chunk by chunk: in line up to
    /// <see cref="SlotFiles.PipelineFromBytes"/>, on a thread of its own through two buffers beyond. Sizes around
    /// every edge (empty, one byte, pages, the pipeline's threshold, one chunk and one more byte, several chunks)
    /// must copy and hash whole. On a file system with reflinks the copy is a clone whose hash is read back later:
    /// the bytes must still be whole.
    /// </summary>
    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(4095L)]
    [InlineData(4096L)]
    [InlineData(4097L)]
    [InlineData(SlotFiles.CopyBufferBytes - 1L)]
    [InlineData((long)SlotFiles.CopyBufferBytes)]
    [InlineData(SlotFiles.CopyBufferBytes + 1L)]
    [InlineData(3L * SlotFiles.CopyBufferBytes + 5)]
    [InlineData((long)SlotFiles.PipelineFromBytes)]
    [InlineData(SlotFiles.PipelineFromBytes + 1L)]
    [InlineData(SlotFiles.PipelineFromBytes + SlotFiles.CopyBufferBytes)]
    [InlineData(9L * SlotFiles.CopyBufferBytes + 4095)]
    public void A_copy_of_any_size_holds_the_whole_file_and_its_hash(long size)
    {
        var bytes = new byte[size];
        new Random((int)size).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(Slot, "state.bin"), bytes);
        using var slot = SlotFiles.Open(Slot);

        var r = slot.Copy("state.bin", "copy.bin");

        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(Slot, "copy.bin")));
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        r.Written.Match(
            f =>
            {
                Assert.Equal(size, f.Size);
                Assert.Equal(expected, f.Digest);
            },
            () => Assert.True(r.Reflinked, "a plain copy must say what it wrote"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_symlink_anywhere_on_the_path_is_refused(bool walkOnly)
    {
        // Given data -> the host directory
        Directory.CreateSymbolicLink(Path.Combine(Slot, "data"), Host);
        using var slot = SlotFiles.Open(Slot, walkOnly);

        // When / Then: reading, creating, listing, renaming through it all fail with ELOOP or EXDEV
        Assert.Contains(Assert.Throws<ErrnoException>(() => slot.OpenRead("data/host-only")).Errno, new[] { 40, 18 });
        Assert.Contains(Assert.Throws<ErrnoException>(() => slot.CreateFresh("data/new")).Errno, new[] { 40, 18 });
        Assert.Contains(Assert.Throws<ErrnoException>(() => slot.List("data")).Errno, new[] { 40, 18, 20 });
        Assert.Throws<ErrnoException>(() => slot.Rename("data/host-only", "stolen"));
        slot.DeleteTree("data");
        Assert.True(File.Exists(Path.Combine(Host, "host-only")), "DeleteTree of a link removes the link, never the target's files");
        Assert.False(Path.Exists(Path.Combine(Slot, "data")));
        Assert.False(File.Exists(Path.Combine(Host, "new")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_fifo_is_refused_at_once_and_never_waited_on(bool walkOnly)
    {
        // Given a FIFO nobody writes to (opening it for reading without O_NONBLOCK would block forever)
        Assert.Equal(0, MkFifo(Path.Combine(Slot, "fraction_done"), 0x1b6));
        using var slot = SlotFiles.Open(Slot, walkOnly);

        // When / Then (a blocking open would hang this test, not fail it: the run's own timeout is the bound)
        Assert.Equal(22, Assert.Throws<ErrnoException>(() => slot.OpenRead("fraction_done")).Errno);
        Assert.Throws<ErrnoException>(() => slot.ReadText("fraction_done", 100));
        Assert.Equal(Option<SlotFileKind>.Some(SlotFileKind.Other), slot.Kind("fraction_done"));
    }

    [Fact]
    public void Create_fresh_replaces_a_planted_symlink_instead_of_writing_through_it()
    {
        File.CreateSymbolicLink(Path.Combine(Slot, "boinc_lockfile"), Path.Combine(Host, "created-by-root"));
        using var slot = SlotFiles.Open(Slot);

        using (var s = slot.CreateFresh("boinc_lockfile")) s.Write("x"u8);
        slot.OpenOrCreate("boinc_lockfile").Dispose();

        Assert.False(File.Exists(Path.Combine(Host, "created-by-root")));
        Assert.Null(new FileInfo(Path.Combine(Slot, "boinc_lockfile")).LinkTarget);
    }

    [Fact]
    public void Open_or_create_refuses_a_planted_symlink()
    {
        File.CreateSymbolicLink(Path.Combine(Slot, "boinc_lockfile"), Path.Combine(Host, "created-by-root"));
        using var slot = SlotFiles.Open(Slot);

        Assert.Throws<ErrnoException>(() => slot.OpenOrCreate("boinc_lockfile"));
        Assert.False(File.Exists(Path.Combine(Host, "created-by-root")));
    }

    [Fact]
    public void Restore_never_writes_through_a_directory_symlink_planted_under_a_checkpoint_dir()
    {
        // Given a committed generation with data/ckpt/state
        Directory.CreateDirectory(Path.Combine(Slot, "data", "ckpt"));
        File.WriteAllText(Path.Combine(Slot, "data", "ckpt", "state"), "committed work");
        using (var store = CheckpointStore.Open(Slot, Files("data/**"), TimeProvider.System))
            Assert.True(store.Commit(1, 0.5, "test").IsSucc);

        // When the job swaps data/ckpt for a link to a host directory and the wrapper restarts
        Directory.Delete(Path.Combine(Slot, "data", "ckpt"), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(Slot, "data", "ckpt"), Host);
        using var again = CheckpointStore.Open(Slot, Files("data/**"), TimeProvider.System);
        var report = again.Recover();

        // Then nothing reached the host directory, the restore says why it failed, the generation is intact
        Assert.Equal(new[] { "host-only" }, Directory.GetFileSystemEntries(Host).Select(Path.GetFileName));
        Assert.True(report.RestoreError.IsSome, report.Why);
        Assert.Contains("symbolic link", report.RestoreError.IfNone(""));
        Assert.True(again.List().Map(l => l.Head.Problem.IsNone).IfFail(false), "generation 1 still verifies");
    }

    [Fact]
    public void A_directory_swapped_for_a_symlink_during_a_commit_never_lands_in_a_generation()
    {
        // Given two checkpoint files, the second in a directory the job swaps for a link while the first is copied
        Directory.CreateDirectory(Path.Combine(Slot, "ckpt"));
        File.WriteAllText(Path.Combine(Slot, "a.dat"), "a1");
        File.WriteAllText(Path.Combine(Slot, "ckpt", "b.dat"), "b1");
        File.WriteAllText(Path.Combine(Host, "b.dat"), "host file");
        using var real = SlotFiles.Open(Slot);
        var racing = new RacingSlot(real, "a.dat", () =>
        {
            Directory.Delete(Path.Combine(Slot, "ckpt"), recursive: true);
            Directory.CreateSymbolicLink(Path.Combine(Slot, "ckpt"), Host);
        });
        using var store = CheckpointStore.Open(racing, Files("*.dat", "ckpt/*.dat"), TimeProvider.System);

        // When
        var commit = store.Commit(1, 0.5, "test");

        // Then the commit fails, and nothing committed holds the host's bytes
        Assert.True(commit.IsFail);
        Assert.True(store.List().Map(l => l.IsEmpty).IfFail(false));
    }

    [Fact]
    public void A_file_rewritten_while_the_commit_copies_makes_a_retryable_failure_never_a_mixed_generation()
    {
        // Given a committed generation of a.dat+b.dat, then the app writing its next checkpoint in the middle
        // of the wrapper's next commit (after a.dat was copied, before b.dat)
        File.WriteAllText(Path.Combine(Slot, "a.dat"), "a1");
        File.WriteAllText(Path.Combine(Slot, "b.dat"), "b1");
        using var real = SlotFiles.Open(Slot);
        using (var first = CheckpointStore.Open(real, Files("*.dat"), TimeProvider.System))
            Assert.True(first.Commit(1, 0.1, "test").IsSucc);
        var racing = new RacingSlot(real, "a.dat", () =>
        {
            File.WriteAllText(Path.Combine(Slot, "a.tmp"), "a2");
            File.Move(Path.Combine(Slot, "a.tmp"), Path.Combine(Slot, "a.dat"), overwrite: true);
            File.WriteAllText(Path.Combine(Slot, "b.dat"), "b2");
        }, after: true);
        using var store = CheckpointStore.Open(racing, Files("*.dat"), TimeProvider.System);

        // When
        var commit = store.Commit(2, 0.2, "test");

        // Then the commit is refused as retryable, generation 1 stays the newest, and a retry succeeds
        Assert.True(commit.IsFail);
        commit.IfFail(e => Assert.True(CheckpointStore.IsRetryable(e), e.Message));
        Assert.Equal(1, store.List().Map(l => l.Head.Info.Number).IfFail(0));
        var retry = CheckpointStore.Open(real, Files("*.dat"), TimeProvider.System).Commit(3, 0.3, "test");
        Assert.True(retry.IsSucc);
    }

    [Fact]
    public void Checkpoint_patterns_never_match_boinc_or_wrapper_files()
    {
        foreach (var name in new[] { "stderr.txt", "init_data.xml", "boinc_lockfile", "job.toml", "Dockerfile", "boinc_finish_called" })
            File.WriteAllText(Path.Combine(Slot, name), "theirs");
        File.WriteAllText(Path.Combine(Slot, "state"), "mine");
        using var store = CheckpointStore.Open(Slot, Files("*", "**"), TimeProvider.System);

        Assert.Equal(new[] { "state" }, store.WorkFiles().ToArray());
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);

    /// <summary>The real accessor, with the job acting at one moment of a commit: before (or after) copying one file, or the pack holding it.</summary>
    private sealed class RacingSlot(ISlotFiles inner, string trigger, Action race, bool after = false) : ISlotFiles
    {
        private bool raced;

        public string Root => inner.Root;

        public Seq<SlotDirEntry> List(string dir) => inner.List(dir);

        public Option<SlotFileKind> Kind(string path) => inner.Kind(path);

        public Option<FileIdentity> Identity(string path) => inner.Identity(path);

        public ISlotReadFile OpenRead(string path) => inner.OpenRead(path);

        public Stream CreateFresh(string path) => inner.CreateFresh(path);

        public void Fsync(string path) => inner.Fsync(path);

        public void FsyncDir(string dir) => inner.FsyncDir(dir);

        public void CreateDir(string dir) => inner.CreateDir(dir);

        public void Rename(string from, string to) => inner.Rename(from, to);

        public void Delete(string path) => inner.Delete(path);

        public void DeleteTree(string dir) => inner.DeleteTree(dir);

        public Option<string> ReadText(string path, int maxBytes) => inner.ReadText(path, maxBytes);

        public CopyResult Copy(string from, string to)
        {
            if (from == trigger && !after && !raced) { raced = true; race(); }
            var r = inner.Copy(from, to);
            if (from == trigger && after && !raced) { raced = true; race(); }
            return r;
        }

        /// <summary>A pack holding the trigger: the job acts before the pack is written, or after (once every file was copied).</summary>
        public Seq<CopyResult> Pack(Seq<string> from, string to)
        {
            if (from.Contains(trigger) && !after && !raced) { raced = true; race(); }
            var r = inner.Pack(from, to);
            if (from.Contains(trigger) && after && !raced) { raced = true; race(); }
            return r;
        }

        public void Append(string path, ReadOnlySpan<byte> bytes) => inner.Append(path, bytes);

        public void CopyRange(string from, long offset, long length, string to) => inner.CopyRange(from, offset, length, to);
    }
}
