using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// How many engine API requests this process made, by kind: every attempt of <see cref="EngineCalls.Run{T}"/>
/// counts once (a retry is a second request). The wrapper logs the totals when it ends, which is what the
/// benchmark reads (engine API calls per minute per slot). Process-wide and thread-safe.
/// </summary>
public static class EngineCallCounter
{
    private static readonly ConcurrentDictionary<string, int> ByKind = new(StringComparer.Ordinal);
    private static int total;

    public static int Total => Volatile.Read(ref total);

    /// <summary>Counts one request of operation <paramref name="op"/> (e.g. "inspect boinc__x", "remove image t").</summary>
    public static void Count(string op)
    {
        Interlocked.Increment(ref total);
        ByKind.AddOrUpdate(Kind(op), 1, (_, n) => n + 1);
    }

    /// <summary>"engine API calls: 7 (create 1, inspect 3, ...)", kinds sorted by name.</summary>
    public static string Summary() =>
        $"engine API calls: {Total} ({string.Join(", ", ByKind.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {k.Value}"))})";

    /// <summary>The operation without the object it names: "inspect", "inspect image", "list", "build"...</summary>
    public static string Kind(string op)
    {
        var words = op.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
            return "?";
        if (words[0] == "list")
            return "list";
        return words.Length > 1 && words[1] == "image" ? words[0] + " image" : words[0];
    }
}
