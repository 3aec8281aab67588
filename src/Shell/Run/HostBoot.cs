using System;
using System.Globalization;
using System.IO;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>When the host booted: the <c>btime</c> line of /proc/stat (seconds since the epoch), for <see cref="Core.Lifecycle.ExitRule"/>.</summary>
public static class HostBoot
{
    public static Option<DateTimeOffset> Time()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/stat"))
            {
                if (line.StartsWith("btime ", StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan(6).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                    return DateTimeOffset.FromUnixTimeSeconds(seconds);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc: the reboot rule is off, the exit-code rules remain.
        }

        return Option<DateTimeOffset>.None;
    }
}
