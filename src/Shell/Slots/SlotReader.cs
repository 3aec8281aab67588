using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Slots;

/// <summary>
/// Reads the slot directory for <see cref="LinkFiles"/>: each entry's kind by <c>lstat</c> semantics (a
/// symlink is reported as a symlink with its target, never followed) and the first
/// <see cref="HeadBytes"/> bytes of each regular file. Bounded: at most <see cref="MaxEntries"/> entries.
/// </summary>
public static class SlotReader
{
    public const int HeadBytes = 4096;
    public const int MaxEntries = 10_000;

    public static Checked<SlotListing> Read(string slotDir)
    {
        SlotFiles slot;
        Seq<SlotDirEntry> listed;
        try
        {
            slot = SlotFiles.Open(slotDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Checked<SlotListing>.Fail(Unreadable(slotDir, $"cannot open the slot directory: {e.Message}"));
        }

        using (slot)
        {
            try
            {
                listed = slot.List(".");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Checked<SlotListing>.Fail(Unreadable(slotDir, $"cannot list the slot directory: {e.Message}"));
            }

            if (listed.Count > MaxEntries)
                return Checked<SlotListing>.Fail(Unreadable(slotDir, $"the slot holds more than {MaxEntries} entries."));

            var findings = new List<Diagnostic>();
            var entries = new List<SlotEntry>();
            foreach (var e in listed)
            {
                try
                {
                    entries.Add(new SlotEntry(e.Name, KindOf(slot, e)));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    findings.Add(Unreadable(e.Name, $"cannot read this slot entry: {ex.Message}"));
                }
            }

            return Checked<SlotListing>.Of(new SlotListing(entries.ToSeq()), findings.ToSeq());
        }
    }

    private static Diagnostic Unreadable(string file, string message) =>
        Diagnostic.Error(DiagnosticCodes.SlotUnreadable, Location.InFile(file), message);

    /// <summary>
    /// Through the slot accessor: a symlink is reported with its own text (never followed), a regular file with
    /// its first bytes (a file swapped for a FIFO after the listing is refused at open, never waited on).
    /// </summary>
    private static SlotEntryKind KindOf(SlotFiles slot, SlotDirEntry e) => e.Kind switch
    {
        SlotFileKind.Symlink => new SlotEntryKind.Symlink(slot.ReadLink(e.Name)),
        SlotFileKind.Directory => new SlotEntryKind.Directory(),
        SlotFileKind.File => new SlotEntryKind.RegularFile(Encoding.UTF8.GetString(slot.ReadHead(e.Name, HeadBytes - 1).IfNone([]))),
        _ => new SlotEntryKind.Other(),
    };
}
