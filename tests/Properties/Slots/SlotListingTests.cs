using System;
using System.IO;
using System.Linq;
using System.Text;
using Boinc.Persist.Shell.Slots;
using Xunit;

namespace Boinc.Persist.Properties.Slots;

/// <summary>
/// <see cref="SlotFiles.List"/> on a real directory (fdopendir and readdir on the handle the accessor opened):
/// every entry once, far past what one getdents64 call under readdir returns (32 KiB), with its kind, and its name
/// as the file system has it, against .NET's own enumeration of the same directory.
/// </summary>
public sealed class SlotListingTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("slotlist-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void A_directory_of_many_entries_lists_each_once_sorted_with_its_kind()
    {
        // 3,000 names of 40-90 bytes (some not ASCII): about 250 KB of directory records, eight calls or more.
        var dir = Path.Combine(root, "many");
        Directory.CreateDirectory(dir);
        var rng = new Random(7);
        var names = Enumerable.Range(0, 3000)
            .Select(i => $"{i:D5}-{(i % 7 == 0 ? "čšž-ünï-" : "")}{new string((char)('a' + i % 26), 30 + rng.Next(50))}")
            .ToList();
        foreach (var (name, i) in names.Select((n, i) => (n, i)))
        {
            var path = Path.Combine(dir, name);
            if (i % 10 == 1) Directory.CreateDirectory(path);
            else if (i % 10 == 2) File.CreateSymbolicLink(path, "/etc/passwd");
            else File.WriteAllBytes(path, Array.Empty<byte>());
        }

        using var slot = SlotFiles.Open(root);
        var listed = slot.List("many").ToList();

        Assert.Equal(names.OrderBy(n => n, StringComparer.Ordinal), listed.Select(e => e.Name));
        Assert.Equal(
            names.Select((n, i) => (n, i % 10 == 1 ? SlotFileKind.Directory : i % 10 == 2 ? SlotFileKind.Symlink : SlotFileKind.File)).OrderBy(p => p.n, StringComparer.Ordinal),
            listed.Select(e => (e.Name, e.Kind)));
        // The oracle: .NET's enumeration of the same directory (not the accessor's code) sees the same names.
        Assert.Equal(Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal), listed.Select(e => e.Name));
    }

    [Fact]
    public void An_empty_directory_lists_nothing_and_a_fifo_is_other()
    {
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        Directory.CreateDirectory(Path.Combine(root, "odd"));
        Assert.Equal(0, MkFifo(Path.Combine(root, "odd", "pipe"), 0x1a4));
        using var slot = SlotFiles.Open(root);

        Assert.Empty(slot.List("empty"));
        var odd = Assert.Single(slot.List("odd"));
        Assert.Equal(("pipe", SlotFileKind.Other), (odd.Name, odd.Kind));
    }

    [Fact]
    public void A_name_that_is_not_utf8_is_listed_with_replacement_characters_not_dropped()
    {
        // Linux names are bytes: 0xff is never UTF-8. The accessor decodes as .NET does (U+FFFD), so the entry is
        // seen (and, as a checkpoint name, matches no pattern by accident) rather than skipped.
        Directory.CreateDirectory(Path.Combine(root, "bytes"));
        var raw = Encoding.ASCII.GetBytes(Path.Combine(root, "bytes")).Concat(new byte[] { (byte)'/', (byte)'a', 0xff, (byte)'b', 0 }).ToArray();
        Assert.Equal(0, Creat(raw));
        try
        {
            using var slot = SlotFiles.Open(root);
            var e = Assert.Single(slot.List("bytes"));
            Assert.Equal("a\uFFFDb", e.Name);
            Assert.Equal(SlotFileKind.File, e.Kind);
        }
        finally
        {
            Unlink(raw); // .NET's own delete would look for the decoded name
        }
    }

    private static int Creat(byte[] nulTerminatedPath)
    {
        var fd = CreatNative(nulTerminatedPath, 0x1a4);
        return fd < 0 ? fd : CloseNative(fd);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "creat")]
    private static extern int CreatNative(byte[] path, int mode);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "unlink")]
    private static extern int Unlink(byte[] path);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close")]
    private static extern int CloseNative(int fd);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo")]
    private static extern int MkFifo([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int mode);
}
