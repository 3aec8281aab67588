using System;
using System.IO;
using System.Text;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Shell.Host;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>
/// The slot's journal on disk: <c>.boinc-persist/journal</c>, beside the checkpoint store and hidden from the
/// container with it. Written by durable replace; a torn or garbled file is reported and treated as absent
/// (the engine and the store still tell the restart what it needs).
/// </summary>
public static class JournalFile
{
    public const string RelativePath = StoreLayout.StateDirName + "/journal";

    public static string PathIn(string slotDir) => Path.Combine(slotDir, RelativePath);

    /// <summary>The journal, None when there is none; a problem (unreadable, torn) comes back as Left.</summary>
    public static Either<string, Option<Journal>> Read(string slotDir)
    {
        var path = PathIn(slotDir);
        if (!File.Exists(path))
            return Option<Journal>.None;
        try
        {
            var text = File.ReadAllText(path, Encoding.UTF8);
            return JournalText.Parse(text).Match<Either<string, Option<Journal>>>(
                j => Option<Journal>.Some(j),
                e => $"{RelativePath} is not a valid journal ({e.Message})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot read {RelativePath}: {e.Message}";
        }
    }

    public static void Write(string slotDir, Journal journal)
    {
        Directory.CreateDirectory(Path.Combine(slotDir, StoreLayout.StateDirName));
        DurableFile.Replace(PathIn(slotDir), Encoding.UTF8.GetBytes(JournalText.Format(journal)));
    }

    /// <summary>This boot of the host (changes on every reboot).</summary>
    public static string BootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }
}
