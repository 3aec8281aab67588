using System;
using System.IO;
using System.Text;
using Boinc.Persist.Core.Confinement;
using Boinc.Persist.Core.Diagnostics;

namespace Boinc.Persist.Shell.Host;

/// <summary>
/// The host's policy file: <c>$BOINC_PERSIST_POLICY</c> when set, else <c>/etc/boinc-persist/policy.toml</c>.
/// Absent means the built-in default (nothing relaxed beyond the allow-list). A file that exists but cannot be
/// read or parsed is an error: the volunteer wrote something, and guessing what would relax or tighten behind
/// their back.
/// </summary>
public static class PolicyFile
{
    /// <summary>A policy is a few lines.</summary>
    public const long MaxBytes = 64 * 1024;

    public static string PathInUse() =>
        Environment.GetEnvironmentVariable(HostPolicy.PathVariable) is { Length: > 0 } p ? p : HostPolicy.DefaultPath;

    public static Checked<HostPolicy> Load() => Load(PathInUse());

    public static Checked<HostPolicy> Load(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists && info.LinkTarget is null)
                return Checked<HostPolicy>.Ok(HostPolicy.Default with { Source = $"{path} (absent: the built-in default)" });
            if (info.Length > MaxBytes)
                return Checked<HostPolicy>.Fail(Diagnostic.Error(DiagnosticCodes.PolicyUnreadable, Location.InFile(path), $"the policy file is larger than {MaxBytes} bytes"));
            return HostPolicy.Parse(path, File.ReadAllText(path, new UTF8Encoding(false, true)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            return Checked<HostPolicy>.Fail(Diagnostic.Error(DiagnosticCodes.PolicyUnreadable, Location.InFile(path), $"cannot read the host policy: {e.Message}"));
        }
    }
}
