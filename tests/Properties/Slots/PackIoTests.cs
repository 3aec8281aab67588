using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Boinc.Persist.Core.Verification.Model;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Slots;
using Boinc.Persist.Shell.Verification.Simulation;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Slots;

/// <summary>
/// The slot I/O a pack store needs (<see cref="ISlotFiles.Pack"/>, <see cref="ISlotFiles.Append"/>,
/// <see cref="ISlotFiles.CopyRange"/>), on a real temp slot (<see cref="SlotFiles"/>, with openat2 and with its
/// O_NOFOLLOW walk) and on the model's accessor: the same bytes and facts, the job's symlinks and FIFOs refused
/// (never written through, never waited on), and a kill in the model landing between the files of a pack.
/// </summary>
public sealed class PackIoTests : IDisposable
{
    private const int ELoop = 40;
    private const int EInval = 22;
    private const int ENoEnt = 2;
    private const int EIsDir = 21;
    private const int EIo = 5;

    private static readonly TimeSpan NoBlock = TimeSpan.FromSeconds(10);

    private readonly string root = Directory.CreateTempSubdirectory("packio-").FullName;

    private string SlotDir => Path.Combine(root, "slot");

    private string Outside => Path.Combine(root, "outside");

    public PackIoTests()
    {
        Directory.CreateDirectory(SlotDir);
        File.WriteAllText(Outside, "outside the slot");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static byte[] Random(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Bytes(ISlotFiles slot, string path)
    {
        using var f = slot.OpenRead(path);
        using var m = new MemoryStream();
        f.Content.CopyTo(m);
        return m.ToArray();
    }

    private static void Put(ISlotFiles slot, string path, byte[] bytes)
    {
        using var s = slot.CreateFresh(path);
        s.Write(bytes);
    }

    private static int ErrnoOf(Action act) => Assert.Throws<ErrnoException>(act).Errno;

    private static ModelSlotFiles Model() => new(ModelFs.Empty(), budget: -1);

    /// <summary>Three files of 0, 5 and just over 5 MiB (above PipelineFromBytes: the last is hashed on the copy's own thread).</summary>
    private static byte[][] PackSources() =>
        [[], Random(5, 1), Random(5 * 1024 * 1024 + 123, 2)];

    private static void AssertPacked(ISlotFiles slot, byte[][] sources, Seq<CopyResult> results)
    {
        Assert.Equal(sources.SelectMany(b => b).ToArray(), Bytes(slot, "pack"));
        Assert.Equal(sources.Length, results.Count);
        foreach (var (src, r) in sources.Zip(results))
        {
            Assert.False(r.Reflinked);
            Assert.False(r.SourceChanged);
            Assert.Equal(src.Length, r.SourceBefore.Size);
            var facts = r.Written.IfNone(() => throw new Xunit.Sdk.XunitException("no facts for a copy through the wrapper"));
            Assert.Equal(src.Length, facts.Size);
            Assert.Equal("xxh3-128:" + Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash(src)), facts.Digest);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pack_puts_the_files_one_after_another_and_reports_each_ones_size_and_hash(bool walkOnly)
    {
        // Given
        using var slot = SlotFiles.Open(SlotDir, walkOnly);
        var sources = PackSources();
        slot.CreateDir("d");
        for (var i = 0; i < sources.Length; i++)
            Put(slot, $"d/f{i}", sources[i]);

        // When
        var results = slot.Pack(Seq.create("d/f0", "d/f1", "d/f2"), "pack");

        // Then
        AssertPacked(slot, sources, results);
        Assert.Empty(slot.Pack(Seq<string>.Empty, "empty"));
        Assert.Empty(Bytes(slot, "empty"));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Pack_refuses_a_symlink_or_fifo_source_and_never_writes_through_a_planted_link(bool fifo, bool walkOnly)
    {
        // Given: a good file, a bad one, and the pack's name planted as a link to a file outside the slot
        File.WriteAllText(Path.Combine(SlotDir, "good"), "good bytes");
        var bad = Path.Combine(SlotDir, "bad");
        if (fifo) MakeFifo(bad);
        else File.CreateSymbolicLink(bad, Outside);
        File.CreateSymbolicLink(Path.Combine(SlotDir, "pack"), Outside);
        using var slot = SlotFiles.Open(SlotDir, walkOnly);

        // When
        var errno = await Task.Run(() => ErrnoOf(() => slot.Pack(Seq.create("good", "bad"), "pack"))).WaitAsync(NoBlock); // a TimeoutException if it blocked

        // Then
        Assert.Equal(fifo ? EInval : ELoop, errno);
        Assert.Equal("outside the slot", File.ReadAllText(Outside));
        Assert.Null(new FileInfo(Path.Combine(SlotDir, "pack")).LinkTarget);
        Assert.Equal("good bytes", File.ReadAllText(Path.Combine(SlotDir, "pack")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Append_adds_the_bytes_at_the_end_of_the_same_file(bool walkOnly)
    {
        // Given
        using var slot = SlotFiles.Open(SlotDir, walkOnly);
        var first = Random(3000, 3);
        var more = Random(70_000, 4);
        Put(slot, "log", first);
        var before = slot.Identity("log").IfNone(default(FileIdentity));

        // When
        slot.Append("log", more);
        slot.Append("log", ReadOnlySpan<byte>.Empty);

        // Then
        Assert.Equal(first.Concat(more).ToArray(), Bytes(slot, "log"));
        Assert.Equal(before.Inode, slot.Identity("log").IfNone(default(FileIdentity)).Inode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Append_refuses_a_symlink_a_fifo_a_directory_and_a_missing_file(bool walkOnly)
    {
        // Given
        File.CreateSymbolicLink(Path.Combine(SlotDir, "link"), Outside);
        MakeFifo(Path.Combine(SlotDir, "fifo"));
        MakeFifo(Path.Combine(SlotDir, "read-fifo"));
        Directory.CreateDirectory(Path.Combine(SlotDir, "dir"));
        using var slot = SlotFiles.Open(SlotDir, walkOnly);
        var reader = OpenNonBlocking(Path.Combine(SlotDir, "read-fifo"));
        try
        {
            // When
            var errnos = await Task.Run(() => (
                Link: ErrnoOf(() => slot.Append("link", "x"u8)),
                Fifo: ErrnoOf(() => slot.Append("fifo", "x"u8)),
                ReadFifo: ErrnoOf(() => slot.Append("read-fifo", "x"u8)),
                Dir: ErrnoOf(() => slot.Append("dir", "x"u8)),
                Missing: ErrnoOf(() => slot.Append("missing", "x"u8)))).WaitAsync(NoBlock); // a TimeoutException if it blocked

            // Then
            Assert.Equal((ELoop, EInval, EInval, EIsDir, ENoEnt), errnos);
            Assert.Equal("outside the slot", File.ReadAllText(Outside));
            Assert.False(Path.Exists(Path.Combine(SlotDir, "missing")));
        }
        finally
        {
            _ = CloseFd(reader);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CopyRange_copies_exactly_the_range_across_chunks_and_up_to_the_end(bool walkOnly)
    {
        // Given: a range longer than one copy chunk, starting inside the first
        using var slot = SlotFiles.Open(SlotDir, walkOnly);
        var source = Random(3 * SlotFiles.CopyBufferBytes + 17, 5);
        Put(slot, "src", source);
        var offset = 1000;
        var length = 2 * SlotFiles.CopyBufferBytes + 5;

        // When
        slot.CopyRange("src", offset, length, "part");
        slot.CopyRange("src", source.Length - 10, 10, "tail");
        slot.CopyRange("src", source.Length, 0, "none");

        // Then
        Assert.Equal(source.AsSpan(offset, length).ToArray(), Bytes(slot, "part"));
        Assert.Equal(source.AsSpan(source.Length - 10).ToArray(), Bytes(slot, "tail"));
        Assert.Empty(Bytes(slot, "none"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CopyRange_refuses_a_short_source_a_symlink_and_a_negative_range(bool walkOnly)
    {
        // Given
        using var slot = SlotFiles.Open(SlotDir, walkOnly);
        Put(slot, "src", Random(100, 6));
        File.CreateSymbolicLink(Path.Combine(SlotDir, "link"), Outside);

        // When, Then
        var shortSource = Assert.Throws<ErrnoException>(() => slot.CopyRange("src", 50, 51, "part"));
        Assert.Equal(EIo, shortSource.Errno);
        Assert.Contains("shorter", shortSource.Message, StringComparison.Ordinal);
        Assert.Equal(EIo, ErrnoOf(() => slot.CopyRange("src", 101, 0, "part")));
        Assert.Equal(EIo, ErrnoOf(() => slot.CopyRange("src", 1, long.MaxValue, "part")));
        Assert.False(Path.Exists(Path.Combine(SlotDir, "part")));
        Assert.Equal(ELoop, ErrnoOf(() => slot.CopyRange("link", 0, 1, "part")));
        Assert.ThrowsAny<ArgumentException>(() => slot.CopyRange("src", -1, 1, "part"));
        Assert.ThrowsAny<ArgumentException>(() => slot.CopyRange("src", 0, -1, "part"));
    }

    [Fact]
    public void The_model_packs_appends_and_copies_ranges_to_the_same_bytes_and_facts_as_the_disk()
    {
        // Given: the same files through both accessors (bytes above 127 too: the model keeps one char per byte)
        using var disk = SlotFiles.Open(SlotDir);
        var model = Model();
        var sources = new[] { Array.Empty<byte>(), Random(5, 7), Random(300_000, 8) };
        foreach (var slot in new ISlotFiles[] { disk, model })
        {
            slot.CreateDir("d");
            for (var i = 0; i < sources.Length; i++)
                Put(slot, $"d/f{i}", sources[i]);
        }

        foreach (var slot in new ISlotFiles[] { disk, model })
        {
            // When
            var results = slot.Pack(Seq.create("d/f0", "d/f1", "d/f2"), "pack");
            slot.Append("d/f1", sources[2]);
            slot.CopyRange("d/f2", 7, 200_000, "range");

            // Then
            AssertPacked(slot, sources, results);
            Assert.Equal(sources[1].Concat(sources[2]).ToArray(), Bytes(slot, "d/f1"));
            Assert.Equal(sources[2].AsSpan(7, 200_000).ToArray(), Bytes(slot, "range"));
        }
    }

    [Fact]
    public void The_model_refuses_as_the_disk_does()
    {
        // Given
        var model = Model();
        Put(model, "src", Random(100, 9));
        model.CreateDir("dir");

        // When, Then
        Assert.Equal(ENoEnt, ErrnoOf(() => model.Append("missing", "x"u8)));
        Assert.Equal(EIsDir, ErrnoOf(() => model.Append("dir", "x"u8)));
        Assert.Equal(EIo, ErrnoOf(() => model.CopyRange("src", 50, 51, "part")));
        Assert.True(model.Kind("part").IsNone);
        Assert.ThrowsAny<ArgumentException>(() => model.CopyRange("src", -1, 1, "part"));
        Assert.Equal(ENoEnt, ErrnoOf(() => model.Pack(Seq.create("src", "missing"), "pack")));
        Assert.Equal(Bytes(model, "src"), Bytes(model, "pack"));
    }

    [Fact]
    public void A_kill_in_the_model_lands_between_the_files_of_a_pack()
    {
        // Given: two files, then an accessor allowed two more steps (the pack's create and its first file's write)
        var setup = Model();
        var a = Random(10, 10);
        Put(setup, "a", a);
        Put(setup, "b", Random(20, 11));
        var model = new ModelSlotFiles(setup.Fs, budget: 2);

        // When
        Assert.Throws<SimulatedKill>(() => model.Pack(Seq.create("a", "b"), "pack"));

        // Then
        Assert.Equal(2, model.Used);
        Assert.Equal(a, Bytes(model, "pack"));
    }

    private static void MakeFifo(string path)
    {
        if (MkFifo(path, 0x1b6) != 0)
            throw new IOException($"mkfifo {path}: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>A FIFO's read end (O_RDONLY | O_NONBLOCK), so a writer's open would succeed.</summary>
    private static int OpenNonBlocking(string path)
    {
        var fd = OpenFd(path, 0x800 /* O_NONBLOCK */);
        if (fd < 0)
            throw new IOException($"open {path}: errno {Marshal.GetLastPInvokeError()}");
        return fd;
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenFd([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int CloseFd(int fd);
}
