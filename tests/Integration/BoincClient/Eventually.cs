using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>Polling with a deadline, failing with what was awaited, what was last seen and the diagnostics.</summary>
public static class Eventually
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Polls <paramref name="probe"/> until it returns true; a throwing probe fails at once.</summary>
    public static async Task Until(Func<Task<bool>> probe, TimeSpan timeout, string what, Func<string> diagnostics) =>
        await Until(async () => await probe() ? true : (bool?)null, timeout, what, diagnostics, _ => "");

    /// <summary>
    /// Polls <paramref name="probe"/> until it returns a value; returns that value. <paramref name="lastSeen"/>
    /// describes the last non-matching observation (kept by the caller) for the failure message.
    /// </summary>
    public static async Task<T> Until<T>(
        Func<Task<T?>> probe, TimeSpan timeout, string what, Func<string> diagnostics, Func<TimeSpan, string> lastSeen)
        where T : struct
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (clock.Elapsed >= timeout)
            {
                throw new TimeoutException(Message(what, timeout, lastSeen(clock.Elapsed), diagnostics()));
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>The same for reference-typed observations.</summary>
    public static async Task<T> UntilFound<T>(
        Func<Task<T?>> probe, TimeSpan timeout, string what, Func<string> diagnostics, Func<string> lastSeen)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (clock.Elapsed >= timeout)
            {
                throw new TimeoutException(Message(what, timeout, lastSeen(), diagnostics()));
            }

            await Task.Delay(PollInterval);
        }
    }

    private static string Message(string what, TimeSpan timeout, string lastSeen, string diagnostics) =>
        $"Waited {timeout.TotalSeconds:0.#} s for: {what}." +
        (lastSeen.Length > 0 ? $"\nLast seen: {lastSeen}" : "") +
        $"\n{diagnostics}";
}

/// <summary>Reading the tails of log files for failure messages.</summary>
public static class Logs
{
    public static string Tail(string path, int lines)
    {
        if (!File.Exists(path))
        {
            return $"--- {path}: (absent)";
        }

        try
        {
            var all = File.ReadAllLines(path);
            var tail = all.Skip(Math.Max(0, all.Length - lines));
            return $"--- last {Math.Min(lines, all.Length)} of {all.Length} lines of {path}:\n" + string.Join('\n', tail);
        }
        catch (IOException e)
        {
            return $"--- {path}: unreadable ({e.Message})";
        }
    }
}
