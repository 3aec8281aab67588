using System;
using System.ComponentModel;
using System.Diagnostics;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// Class fixture of real-client tests: checks once that <c>boinc</c> and <c>boinccmd</c> are installed, so a
/// missing client FAILS every such test with the fix (scripts/boinc-up.sh) instead of an obscure start error.
/// </summary>
public sealed class BoincInstallation
{
    public BoincInstallation()
    {
        Version = Run("boinc", "--version");
        Run("boinccmd", "--version");
    }

    /// <summary>E.g. "7.20.5 x86_64-pc-linux-gnu".</summary>
    public string Version { get; }

    private static string Run(string tool, string arg)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(tool, [arg])
            {
                UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            }) ?? throw new InvalidOperationException($"could not start {tool}");
            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill();
                throw new InvalidOperationException($"`{tool} {arg}` did not finish within 10 s");
            }

            return output.Result.Trim();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"`{tool}` is not installed; the real-client tests need Debian's boinc-client: run scripts/boinc-up.sh " +
                "(as root; scripts/test.sh does it).", e);
        }
    }
}
