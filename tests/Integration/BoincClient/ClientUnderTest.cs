using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// Which real BOINC client the real-client tests run: <c>BOINC_PERSIST_TEST_CLIENT</c> = <c>7</c> (the default:
/// Debian 12's 7.20.5, <c>boinc</c>/<c>boinccmd</c>, scripts/boinc-up.sh) or <c>8</c> (Debian sid's 8.2.x in its
/// own root, <c>boinc8</c>/<c>boinccmd8</c>, scripts/boinc8-up.sh). Client 8 detects Docker/Podman at start
/// (init_data.xml's docker_type/docker_version), refuses plan-class-docker jobs without an engine, and removes
/// <c>boinc__*</c> containers and images of inactive tasks at start-up; see <see cref="ClientEngineView"/>.
/// </summary>
public static class ClientUnderTest
{
    public const string Variable = "BOINC_PERSIST_TEST_CLIENT";

    private static readonly Lazy<ClientVersion> LazyVersion = new(() => ProbeVersion(Boinc));

    static ClientUnderTest()
    {
        var value = (Environment.GetEnvironmentVariable(Variable) ?? "").Trim();
        Major = value switch
        {
            "" or "7" => 7,
            "8" => 8,
            _ => throw new InvalidOperationException($"{Variable}={value}: expected 7 (Debian 12's 7.20) or 8 (8.2 from scripts/boinc8-up.sh)"),
        };
    }

    /// <summary>7 or 8, as requested.</summary>
    public static int Major { get; }

    public static string Boinc => Major == 8 ? "boinc8" : "boinc";

    public static string BoincCmd => Major == 8 ? "boinccmd8" : "boinccmd";

    public static string SetupScript => Major == 8 ? "scripts/boinc8-up.sh" : "scripts/boinc-up.sh";

    /// <summary>Client 8.2 and later detect the engine and clean up <c>boinc__*</c> containers at start-up.</summary>
    public static bool DetectsEngines => Version.Major >= 8;

    /// <summary>The installed client's version (<c>boinc --version</c>); throws with the fix when it is missing or not the requested major.</summary>
    public static ClientVersion Version => LazyVersion.Value;

    private static ClientVersion ProbeVersion(string tool)
    {
        var text = Run(tool, "--version");
        var m = Regex.Match(text, @"^(\d+)\.(\d+)\.(\d+)");
        if (!m.Success)
        {
            throw new InvalidOperationException($"`{tool} --version` printed '{text}', not a version");
        }

        var version = new ClientVersion(
            int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
            text);
        return version.Major == Major
            ? version
            : throw new InvalidOperationException(
                $"{Variable}={Major} but `{tool} --version` is {text}; run {SetupScript} (as root)");
    }

    internal static string Run(string tool, string arg)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(tool, [arg])
            {
                UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            }) ?? throw new InvalidOperationException($"could not start {tool}");
            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                process.Kill();
                throw new InvalidOperationException($"`{tool} {arg}` did not finish within 20 s");
            }

            return output.Result.Trim();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"`{tool}` is not installed; the real-client tests ({Variable}={Major}) need it: run {SetupScript} " +
                "(as root; scripts/test.sh does it).", e);
        }
    }
}

/// <summary>A client version, e.g. 8.2.15 ("8.2.15 x86_64-pc-linux-gnu").</summary>
public sealed record ClientVersion(int Major, int Minor, int Release, string Text)
{
    public override string ToString() => Text;
}
