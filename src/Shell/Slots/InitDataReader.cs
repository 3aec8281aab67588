using System;
using System.IO;
using System.Text;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Slots;

namespace Boinc.Persist.Shell.Slots;

/// <summary>Reads <c>init_data.xml</c> from the slot and hands its text to <see cref="SlotContexts.Parse"/>.</summary>
public static class InitDataReader
{
    public const string FileName = "init_data.xml";

    /// <summary>Larger than any file the client writes (project preferences included).</summary>
    public const long MaxBytes = 4 * 1024 * 1024;

    public static Checked<SlotContext> Read(string slotDir)
    {
        var path = Path.Combine(slotDir, FileName);
        try
        {
            using var slot = SlotFiles.Open(slotDir);
            var kind = slot.Kind(FileName);
            if (kind.IsNone)
                return Checked<SlotContext>.Fail(Diagnostic.Error(
                    DiagnosticCodes.InitDataNotFound, Location.InFile(FileName),
                    $"{FileName} is not in {slotDir}; the wrapper must be started by the BOINC client in a slot directory."));
            var bytes = slot.ReadHead(FileName, (int)MaxBytes).IfNone([]);
            if (bytes.Length > MaxBytes)
                return Checked<SlotContext>.Fail(Diagnostic.Error(
                    DiagnosticCodes.InitDataUnreadable, Location.InFile(FileName),
                    $"{FileName} is larger than the {MaxBytes} bytes a client ever writes."));
            return SlotContexts.Parse(FileName, new UTF8Encoding(false).GetString(bytes));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Checked<SlotContext>.Fail(Diagnostic.Error(
                DiagnosticCodes.InitDataUnreadable, Location.InFile(FileName), $"cannot read {FileName}: {e.Message}"));
        }
    }
}
