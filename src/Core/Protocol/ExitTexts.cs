using System;
using System.Linq;
using System.Text;

namespace Boinc.Persist.Core.Protocol;

/// <summary>
/// Every way the wrapper ends, and what the client makes of it (<c>ACTIVE_TASK::handle_exited_app</c>).
/// This is the one place that knows the numbers.
/// </summary>
public static class ExitCodes
{
    /// <summary>Success: written to <c>boinc_finish_called</c> too; the result becomes "ready to report".</summary>
    public const int Success = 0;

    /// <summary>
    /// Exit 0 after writing <c>boinc_temporary_exit</c>: the client restarts the task later (after the delay
    /// in the file). Also the exit after quit and after a lost client: the status is ignored then, and 0 without
    /// a finish file is a "premature exit", which the client answers by restarting in the same slot.
    /// </summary>
    public const int TemporaryExit = 0;

    /// <summary>
    /// The job failed (a computation error the project sees): any non-zero status, written to
    /// <c>boinc_finish_called</c> as well. We use 1 unless the job's own exit status is non-zero, which is
    /// passed on unchanged (what the project's validator may want to see).
    /// </summary>
    public const int JobFailed = 1;

    /// <summary>After an abort the client ignores the status; we exit with this (BOINC's ERR_ABORTED_BY_CLIENT
    /// is not an exit status; 0 keeps logs quiet).</summary>
    public const int Aborted = 0;

    /// <summary>Seconds the client waits before restarting after the slot-lock fallback (BOINC's own value).</summary>
    public const int LockBusyDelaySeconds = 600;

    /// <summary>The reason BOINC's API writes when the slot lock stays busy (<c>boinc_api.cpp</c>).</summary>
    public const string LockBusyReason = "Waiting to acquire slot directory lock";

    /// <summary>The client accepts delays in [0, 86400]; anything else it replaces by 300.</summary>
    public const int MaxTemporaryExitDelaySeconds = 86400;
}

/// <summary>The texts of <c>boinc_finish_called</c> and <c>boinc_temporary_exit</c>, as the client reads them.</summary>
public static class ExitTexts
{
    /// <summary>The client reads at most 255 bytes of the reason line (<c>fgets(buf, 256)</c>).</summary>
    public const int MaxReasonBytes = 255;

    /// <summary><c>boinc_finish_called</c>: the exit status and a newline (<c>"%d\n"</c>).</summary>
    public static string Finish(int status) => status.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n";

    /// <summary>
    /// <c>boinc_temporary_exit</c>: <c>"%d\n%s\n"</c>. The delay is clamped to what the client accepts; the
    /// reason is made one line of printable ASCII (the client's <c>fgets</c> would otherwise stop early or
    /// treat a missing reason line as no file at all) and shortened to fit its buffer. An empty reason becomes
    /// "temporary exit" because the line must exist.
    /// </summary>
    public static string TemporaryExit(int delaySeconds, string reason)
    {
        var delay = Math.Clamp(delaySeconds, 0, ExitCodes.MaxTemporaryExitDelaySeconds);
        return $"{delay}\n{OneLine(reason)}\n";
    }

    /// <summary>The reason as the client will show it: printable ASCII, one line, at most 255 bytes minus the newline.</summary>
    public static string OneLine(string reason)
    {
        var b = new StringBuilder(reason.Length);
        foreach (var c in reason)
            b.Append(c is >= ' ' and <= '~' ? c : c is '\n' or '\r' or '\t' ? ' ' : '?');
        var s = b.ToString().Trim();
        if (s.Length == 0) s = "temporary exit";
        // Cut, then trimmed again: a cut that ends on a space would leave a reason the client (which strips the
        // line) reads back shorter than what was written (found by the reads-back property, one seed in ~500).
        return s.Length > MaxReasonBytes - 1 ? s[..(MaxReasonBytes - 1)].TrimEnd() : s;
    }

    /// <summary>The delay the client takes from a temporary-exit text (its fscanf rule), for the fake client.</summary>
    public static int ClientDelay(string text)
    {
        var first = ClientText.Integer(" " + text, " ");
        return first.Match(v => v is < 0 or > ExitCodes.MaxTemporaryExitDelaySeconds ? 300 : (int)v, () => 300);
    }

    /// <summary>The reason line the client takes (None: no second line, so the client ignores the file).</summary>
    public static LanguageExt.Option<string> ClientReason(string text)
    {
        var lines = text.Split('\n');
        return lines.Length >= 2 && !(lines.Length == 2 && lines[1].Length == 0)
            ? LanguageExt.Option<string>.Some(lines[1].Trim())
            : LanguageExt.Option<string>.None;
    }

    /// <summary>The status the client takes from a finish file (its sscanf rule): 0 when unreadable.</summary>
    public static int ClientFinishStatus(string text)
    {
        var first = text.Split('\n').FirstOrDefault() ?? "";
        return (int)ClientText.Integer(" " + first, " ").Filter(v => v is >= int.MinValue and <= int.MaxValue).IfNone(0);
    }
}
