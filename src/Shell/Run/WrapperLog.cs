using System;
using System.Globalization;
using System.IO;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Slots;

namespace Boinc.Persist.Shell.Run;

/// <summary>
/// The wrapper's lines in the slot's stderr.txt (the log volunteers and project admins read): a timestamp,
/// the program, the message. The container's own output goes to the same writer with its own prefix.
/// Everything the job prints is relayed through it, so its bounds hold whatever the job writes.
/// </summary>
public sealed class WrapperLog(TextWriter writer, TimeProvider time, bool verbose)
{
    /// <summary>
    /// Thread-safe: the container's log stream writes to it from another task. Bounded (<see cref="BoundedLogWriter"/>):
    /// long lines are split, and stderr.txt keeps a head and a tail with a note of what was cut between.
    /// </summary>
    public TextWriter Writer { get; } = TextWriter.Synchronized(BoundedLogWriter.Wrap(writer));

    public bool Verbose { get; } = verbose;

    public void Info(string message) => Line("", message);

    public void Warn(string message) => Line("warning: ", message);

    public void Error(string message) => Line("error: ", message);

    /// <summary>Only with <c>--verbose</c> (or job.toml's verbose above 1).</summary>
    public void Debug(string message)
    {
        if (Verbose)
            Line("", message);
    }

    private void Line(string kind, string message)
    {
        var stamp = time.GetLocalNow().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        Writer.WriteLine($"{stamp} boinc-persist: {kind}{message}");
        Writer.Flush();
    }
}
