using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Slots;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;

namespace Boinc.Persist.Properties.Security;

/// <summary>
/// The slot accessor that ships (<see cref="SlotFiles"/>, with openat2 and with its O_NOFOLLOW walk), and the
/// checkpoint store over it, run on random hostile trees: whatever files, directories, symlinks and FIFOs the
/// job leaves, no operation reads, writes, creates or removes anything in a sentinel directory beside the slot,
/// and none blocks on a FIFO.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 200)]
public sealed class SlotAccessorProperties
{
    private const string Secret = "SENTINEL-SECRET-4f1c";

    [Property]
    public Property The_accessor_never_touches_a_sentinel_outside_the_slot(HostileTree tree)
    {
        var root = Directory.CreateTempSubdirectory("bp-sentinel-").FullName;
        try
        {
            var slotDir = Path.Combine(root, "slot");
            var sentinel = Path.Combine(root, "sentinel");
            Directory.CreateDirectory(slotDir);
            MakeSentinel(sentinel);
            var before = Snapshot(sentinel);
            foreach (var p in tree.Entries) Plant(slotDir, sentinel, p);

            var seen = new List<string>();
            using (var slot = SlotFiles.Open(slotDir, tree.WalkOnly))
            {
                var config = CheckpointConfig.Default with { Files = new[] { "**" }.ToSeq() };
                var store = CheckpointStore.Open(slot, config, TimeProvider.System);
                foreach (var call in tree.Calls) Run(slot, store, call, seen);
            }

            var after = Snapshot(sentinel);
            var leaked = SlotFilesContaining(slotDir, Secret);
            return (before.SequenceEqual(after)).Label($"sentinel changed: before [{string.Join(", ", before)}] after [{string.Join(", ", after)}]")
                .And(seen.All(s => !s.Contains(Secret, StringComparison.Ordinal))).Label("a read returned the sentinel's bytes")
                .And(leaked.Count == 0).Label($"the sentinel's bytes were copied into the slot: {string.Join(", ", leaked)}");
        }
        finally
        {
            ForceDelete(root);
        }
    }

    private static void Run(SlotFiles slot, CheckpointStore store, AccessorCall c, List<string> seen)
    {
        try
        {
            switch (c.Op)
            {
                case AccessorOp.List: seen.AddRange(slot.List(c.A).Map(e => e.Name)); break;
                case AccessorOp.Kind: _ = slot.Kind(c.A); break;
                case AccessorOp.Read:
                    using (var f = slot.OpenRead(c.A))
                    using (var r = new StreamReader(f.Content)) seen.Add(r.ReadToEnd());
                    break;
                case AccessorOp.ReadText: slot.ReadText(c.A, 1 << 16).Iter(seen.Add); break;
                case AccessorOp.CreateFresh:
                    using (var w = slot.CreateFresh(c.A)) w.Write("written by the wrapper"u8);
                    break;
                case AccessorOp.Fsync: slot.Fsync(c.A); break;
                case AccessorOp.FsyncDir: slot.FsyncDir(c.A); break;
                case AccessorOp.CreateDir: slot.CreateDir(c.A); break;
                case AccessorOp.Rename: slot.Rename(c.A, c.B); break;
                case AccessorOp.Delete: slot.Delete(c.A); break;
                case AccessorOp.DeleteTree: slot.DeleteTree(c.A); break;
                case AccessorOp.Copy: _ = slot.Copy(c.A, c.B); break;
                case AccessorOp.OpenOrCreate: slot.OpenOrCreate(c.A).Dispose(); break;
                case AccessorOp.Commit: _ = store.Commit(1, 0.5, "property"); break;
                case AccessorOp.Recover: _ = store.Recover(); break;
            }
        }
        catch (IOException)
        {
            // Refusing is what the accessor should do with most of these; the sentinel check is the property.
        }
    }

    private static void MakeSentinel(string sentinel)
    {
        Directory.CreateDirectory(Path.Combine(sentinel, "inner"));
        File.WriteAllText(Path.Combine(sentinel, "secret"), Secret);
        File.WriteAllText(Path.Combine(sentinel, "inner", "secret2"), Secret);
    }

    private static void Plant(string slotDir, string sentinel, Planted p)
    {
        var path = Path.Combine(slotDir, p.Path);
        try
        {
            // The job plants inside its slot only: never through a link it planted before.
            var parts = p.Path.Split('/');
            for (var i = 1; i < parts.Length; i++)
            {
                var prefix = Path.Combine(slotDir, string.Join('/', parts.Take(i)));
                var info = new FileInfo(prefix);
                if (info.LinkTarget is not null) return;
                if (info.Exists) return;
                Directory.CreateDirectory(prefix);
            }

            if (Path.Exists(path) || new FileInfo(path).LinkTarget is not null) return;
            var depth = p.Path.Count(ch => ch == '/');
            switch (p.Kind)
            {
                case PlantedKind.File: File.WriteAllText(path, "job data " + p.Path); break;
                case PlantedKind.Directory: Directory.CreateDirectory(path); break;
                case PlantedKind.LinkToSentinelDir: File.CreateSymbolicLink(path, sentinel); break;
                case PlantedKind.LinkToSentinelFile: File.CreateSymbolicLink(path, Path.Combine(sentinel, "secret")); break;
                case PlantedKind.LinkToNewFileInSentinel: File.CreateSymbolicLink(path, Path.Combine(sentinel, "created-" + p.Path.Replace('/', '_'))); break;
                case PlantedKind.LinkRelativeEscape: File.CreateSymbolicLink(path, string.Concat(Enumerable.Repeat("../", depth + 1)) + "sentinel"); break;
                case PlantedKind.LinkToParent: File.CreateSymbolicLink(path, ".."); break;
                case PlantedKind.LinkToSelfDir: File.CreateSymbolicLink(path, "."); break;
                case PlantedKind.Fifo:
                    if (MkFifo(path, 0x1b6) != 0) throw new IOException($"mkfifo {path}: errno {Marshal.GetLastPInvokeError()}");
                    break;
            }
        }
        catch (IOException)
        {
            // A component of the path is a file, link or FIFO planted earlier: the tree is what it is.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Every entry under the sentinel: path, kind, size, mtime and content (never followed).</summary>
    private static List<string> Snapshot(string sentinel) =>
        new DirectoryInfo(sentinel).EnumerateFileSystemInfos("*", SearchOption.AllDirectories)
            .OrderBy(i => i.FullName, StringComparer.Ordinal)
            .Select(i => i is FileInfo f
                ? $"{f.FullName} file {f.Length} {f.LastWriteTimeUtc.Ticks} {File.ReadAllText(f.FullName)}"
                : $"{i.FullName} dir {i.LastWriteTimeUtc.Ticks}")
            .ToList();

    private static List<string> SlotFilesContaining(string slotDir, string text)
    {
        var found = new List<string>();
        void Walk(DirectoryInfo d)
        {
            foreach (var i in d.EnumerateFileSystemInfos())
            {
                if (i.LinkTarget is not null) continue;
                if (i is DirectoryInfo sub) Walk(sub);
                else if (i is FileInfo f && IsRegular(f.FullName)
                         && File.ReadAllText(f.FullName).Contains(text, StringComparison.Ordinal))
                    found.Add(f.FullName);
            }
        }

        Walk(new DirectoryInfo(slotDir));
        return found;
    }

    private static bool IsRegular(string path)
    {
        using var slot = SlotFiles.Open(Path.GetDirectoryName(path)!);
        return slot.Kind(Path.GetFileName(path)) == Option<SlotFileKind>.Some(SlotFileKind.File);
    }

    private static void ForceDelete(string root)
    {
        // Nothing under the root is followed by Directory.Delete (links are unlinked); FIFOs are removed as files.
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
}
