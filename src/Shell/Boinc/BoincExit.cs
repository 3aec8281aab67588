using System.IO;
using System.Text;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Host;
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
        DurableFile.Replace(Path.Combine(slotDir, FinishFileName), Encoding.ASCII.GetBytes(ExitTexts.Finish(status)));
        slotLock.Iter(l => l.Dispose());
        return status;
    }

    /// <summary>Ask the client to restart the task after <paramref name="delaySeconds"/>: writes <c>boinc_temporary_exit</c>.</summary>
    public static int TemporaryExit(string slotDir, int delaySeconds, string reason, Option<SlotLock> slotLock)
    {
        DurableFile.Replace(Path.Combine(slotDir, TemporaryExitFileName),
            Encoding.ASCII.GetBytes(ExitTexts.TemporaryExit(delaySeconds, reason)));
        slotLock.Iter(l => l.Dispose());
        return ExitCodes.TemporaryExit;
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
        slotLock.Iter(l => l.Dispose());
        return ExitCodes.TemporaryExit;
    }
}
