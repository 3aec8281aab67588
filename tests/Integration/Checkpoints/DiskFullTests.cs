using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Shell.Checkpoints;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Checkpoints;

/// <summary>
/// A commit on a full file system (a small tmpfs): a clear ENOSPC error, the previous generation intact. Twice:
/// a copy hashed in line, and one larger than <see cref="Boinc.Persist.Shell.Slots.SlotFiles.PipelineFromBytes"/>,
/// hashed on a thread of its own, whose write fails with chunks in flight (it must end that thread, not hang).
/// </summary>
public class DiskFullTests
{
    [Theory]
    [InlineData(2, 600 * 1024, 900 * 1024)]
    [InlineData(16, 6 << 20, 9 << 20)]
    public void A_commit_that_fills_the_disk_reports_ENOSPC_and_keeps_the_previous_generation(int fsMiB, int firstBytes, int secondBytes)
    {
        using var root = new CheckpointSlot("diskfull");
        var slot = Path.Combine(root.Root, "slot");
        Directory.CreateDirectory(slot);
        Run("mount", "-t", "tmpfs", "-o", $"size={fsMiB}m", "boinc-persist-test", slot);
        try
        {
            // Given a committed checkpoint that leaves no room for the next one's copy
            var config = CheckpointConfig.Default with { Files = new[] { "state.bin" }.ToSeq() };
            var store = CheckpointStore.Open(slot, config, TimeProvider.System);
            var first = Bytes(firstBytes, 1);
            File.WriteAllBytes(Path.Combine(slot, "state.bin"), first);
            var g1 = store.Commit(100, 0.1, "test");
            Assert.True(g1.IsSucc, g1.ToString());

            // When the app writes a larger one and the commit needs room for another copy
            File.WriteAllBytes(Path.Combine(slot, "state.bin"), Bytes(secondBytes, 2));
            var g2 = store.Commit(200, 0.2, "test");

            // Then the error says ENOSPC and names the file, and generation 1 is intact and recoverable
            Assert.True(g2.IsFail);
            var message = g2.Match(_ => "", e => e.Message);
            Assert.Contains("ENOSPC", message);
            Assert.Contains(StoreLayout.PackPath(2), message);
            Assert.Contains("previous generation is intact", message);
            Assert.Equal(28, g2.Match(_ => 0, e => e.Code));
            Assert.False(File.Exists(Path.Combine(slot, StoreLayout.PackPath(2))), "the half-written generation was left behind");
            var listed = store.List().IfFail(Seq<GenerationStatus>.Empty);
            Assert.Single(listed);
            Assert.True(listed[0].Problem.IsNone, listed[0].Problem.ToString());
            Assert.Equal(1, listed[0].Info.Number);

            var report = CheckpointStore.Open(slot, config, TimeProvider.System).Recover();
            Assert.True(report.RestoreError.IsNone, report.Why);
            Assert.Equal(Option<long>.Some(1), report.Chosen.Map(c => c.Number));
            Assert.Equal(100, report.CpuNanos);
            Assert.True(File.ReadAllBytes(Path.Combine(slot, "state.bin")).AsSpan().SequenceEqual(first));
        }
        finally
        {
            // Lazy unmount: the file system goes away once nothing uses it, so a failure above is what gets reported.
            Run("umount", "-l", slot);
        }
    }

    private static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), $"{file} timed out");
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {err}");
    }
}
