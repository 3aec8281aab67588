using System.IO;
using System.Text;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>What reading the slot's journal found.</summary>
public sealed record JournalRead(Option<Journal> Journal, Option<string> Problem);

/// <summary>The slot's journal on disk: durable replace to write, checksum-verified parse to read.</summary>
public static class JournalFile
{
    public static string PathIn(string slot) => System.IO.Path.Combine(slot, Journal.FileName);

    /// <summary>Durable replace, in the slot's state directory (hidden from the container with the checkpoint store).</summary>
    public static void Write(string slot, Journal journal)
    {
        using var files = SlotFiles.Open(slot);
        files.CreateDir(StoreLayout.StateDirName);
        files.ReplaceDurably(Journal.FileName, Encoding.UTF8.GetBytes(JournalText.Format(journal)));
    }

    /// <summary>A journal is a few lines; anything larger was not written by the wrapper.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>This boot of the host (a new one after every reboot), for the journal.</summary>
    public static string BootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (System.Exception e) when (e is IOException or System.UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>
    /// None without a problem when there is no journal; None with the reason when it cannot be trusted (durable
    /// replace makes a torn journal impossible short of disk corruption, so the caller reports it loudly).
    /// </summary>
    public static JournalRead Read(string slot)
    {
        var path = PathIn(slot);
        Option<string> text;
        try
        {
            using var files = SlotFiles.Open(slot);
            text = files.ReadText(Journal.FileName, MaxBytes);
        }
        catch (IOException e)
        {
            return new JournalRead(Option<Journal>.None, $"{path}: {e.Message}");
        }

        return text.Match(
            t => JournalText.Parse(t).Match(
                j => new JournalRead(j, Option<string>.None),
                e => new JournalRead(Option<Journal>.None, $"{path}: {e.Message}")),
            () => new JournalRead(Option<Journal>.None, Option<string>.None));
    }
}
