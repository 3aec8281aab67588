using System;
using System.Globalization;
using LanguageExt;

namespace Boinc.Persist.Core.Config;

/// <summary>Sizes and durations as users write them in job.toml and in Docker options.</summary>
public static class Units
{
    /// <summary>
    /// Docker's size syntax: a number with an optional unit b, k, m, g, t (powers of 1024, case-insensitive,
    /// an optional trailing <c>b</c> as in <c>512mb</c>). None for anything else, negative or overflowing.
    /// </summary>
    public static Option<long> ParseSize(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        if (s.Length == 0) return Option<long>.None;
        if (s.Length > 1 && s.EndsWith('b') && "kmgt".Contains(s[^2])) s = s[..^1];
        long factor = 1;
        switch (s[^1])
        {
            case 'b': s = s[..^1]; break;
            case 'k': factor = 1L << 10; s = s[..^1]; break;
            case 'm': factor = 1L << 20; s = s[..^1]; break;
            case 'g': factor = 1L << 30; s = s[..^1]; break;
            case 't': factor = 1L << 40; s = s[..^1]; break;
        }

        if (s.Length == 0 || !IsPlainNumber(s)) return Option<long>.None;
        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            return Option<long>.None;
        var bytes = n * factor;
        if (double.IsNaN(bytes) || bytes < 0 || bytes >= long.MaxValue) return Option<long>.None;
        return (long)Math.Round(bytes);
    }

    /// <summary>Bytes in the shortest exact unit (<c>512m</c>, <c>1g</c>, <c>1000</c>): ParseSize reads it back.</summary>
    public static string FormatSize(long bytes)
    {
        foreach (var (unit, f) in new[] { ("t", 1L << 40), ("g", 1L << 30), ("m", 1L << 20), ("k", 1L << 10) })
            if (bytes != 0 && bytes % f == 0)
                return (bytes / f).ToString(CultureInfo.InvariantCulture) + unit;
        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary><c>500ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c>, or a plain number of seconds.</summary>
    public static Option<TimeSpan> ParseDuration(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        (string num, double ms) = s switch
        {
            _ when s.EndsWith("ms") => (s[..^2], 1.0),
            _ when s.EndsWith('s') => (s[..^1], 1000.0),
            _ when s.EndsWith('m') => (s[..^1], 60_000.0),
            _ when s.EndsWith('h') => (s[..^1], 3_600_000.0),
            _ => (s, 1000.0),
        };
        if (num.Length == 0 || !IsPlainNumber(num)) return Option<TimeSpan>.None;
        if (!double.TryParse(num, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            return Option<TimeSpan>.None;
        var total = n * ms;
        if (double.IsNaN(total) || total < 0 || total > TimeSpan.MaxValue.TotalMilliseconds / 2)
            return Option<TimeSpan>.None;
        return TimeSpan.FromMilliseconds(Math.Round(total));
    }

    /// <summary>The shortest exact form that ParseDuration reads back.</summary>
    public static string FormatDuration(TimeSpan t)
    {
        var ms = (long)t.TotalMilliseconds;
        if (ms != 0 && ms % 3_600_000 == 0) return (ms / 3_600_000).ToString(CultureInfo.InvariantCulture) + "h";
        if (ms != 0 && ms % 60_000 == 0) return (ms / 60_000).ToString(CultureInfo.InvariantCulture) + "m";
        if (ms % 1000 == 0) return (ms / 1000).ToString(CultureInfo.InvariantCulture) + "s";
        return ms.ToString(CultureInfo.InvariantCulture) + "ms";
    }

    private static bool IsPlainNumber(string s)
    {
        var dots = 0;
        foreach (var c in s)
        {
            if (c == '.') dots++;
            else if (c is < '0' or > '9') return false;
        }

        return dots <= 1 && s != ".";
    }
}
