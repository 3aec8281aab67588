using System.Text;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Boinc;

/// <summary>
/// How the wrapper ends towards the client. Each method writes its file durably (temp file, fsync, rename,
/// fsync of the slot), releases the slot lock (removing <c>boinc_lockfile</c>), and returns the process exit
/// status to use (<see cref="ExitCodes"/>). The caller sends its last status message before, and exits after.
/// </summary>
public static class BoincExit
{
    public const string FinishFileName = "boinc_finish_called";
    public const string TemporaryExitFileName = "boinc_temporary_exit";

    /// <summary>The job is done (status 0) or failed (non-zero): writes <c>boinc_finish_called</c>.</summary>
    public static int Finish(string slotDir, int status, Option<SlotLock> slotLock)
    {
        using (var slot = SlotFiles.Open(slotDir))
        {
            slot.Delete(TemporaryExitFileName);
            slot.ReplaceDurably(FinishFileName, Encoding.ASCII.GetBytes(ExitTexts.Finish(status)));
        }

        slotLock.Iter(l => l.Dispose());
        return status;
    }

    /// <summary>Ask the client to restart the task after <paramref name="delaySeconds"/>: writes <c>boinc_temporary_exit</c>.</summary>
    public static int TemporaryExit(string slotDir, int delaySeconds, string reason, Option<SlotLock> slotLock)
    {
        using (var slot = SlotFiles.Open(slotDir))
        {
            // A boinc_finish_called the job wrote itself must not turn this restart into "finished".
            slot.Delete(FinishFileName);
            slot.ReplaceDurably(TemporaryExitFileName, Encoding.ASCII.GetBytes(ExitTexts.TemporaryExit(delaySeconds, reason)));
        }

        slotLock.Iter(l => l.Dispose());
        return ExitCodes.TemporaryExit;
    }

    /// <summary>
    /// Remove <c>boinc_finish_called</c> and <c>boinc_temporary_exit</c>: the wrapper writes them only on its
    /// way out, so any found before (at start, or when quitting without one) was written by the job.
    /// </summary>
    public static void RemoveForeignExitFiles(string slotDir)
    {
        using var slot = SlotFiles.Open(slotDir);
        slot.Delete(FinishFileName);
        slot.Delete(TemporaryExitFileName);
    }

    /// <summary>The slot lock stayed busy for the whole patience: BOINC's own fallback (600 s, its reason).</summary>
    public static int LockBusy(string slotDir) =>
        TemporaryExit(slotDir, ExitCodes.LockBusyDelaySeconds, ExitCodes.LockBusyReason, Option<SlotLock>.None);

    /// <summary>
    /// Quit, or the client is lost: no file (exit 0 without a finish file is a "premature exit"; the client
    /// restarts the task in the same slot, which is what quit means). Releases the lock.
    /// </summary>
    public static int Quit(Option<SlotLock> slotLock)
    {
        // Exit files the job may have written into the slot would tell the client something we did not say.
        slotLock.Iter(l => RemoveForeignExitFiles(l.SlotDir));
        slotLock.Iter(l => l.Dispose());
        return ExitCodes.TemporaryExit;
    }
}
