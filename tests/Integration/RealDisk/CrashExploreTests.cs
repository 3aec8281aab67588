using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Boinc.Persist.Integration.RealDisk;

/// <summary>
/// Issue 19: <c>boinc-persist crash-explore</c> run as a researcher runs it, against the binary under test
/// (BOINC_PERSIST_BIN, the Native AOT build in scripts/test.sh; else the build beside these tests). It needs
/// strace (scripts/realdisk-up.sh installs it) and a scratch directory on a real file system (/tmp here). No
/// wall-clock bound: the timeout below is only a hang guard.
/// </summary>
public class CrashExploreTests(ITestOutputHelper output)
{
    private static string Binary =>
        Environment.GetEnvironmentVariable("BOINC_PERSIST_BIN") is { Length: > 0 } bin ? bin : Path.Combine(AppContext.BaseDirectory, "boinc-persist");

    [Theory]
    [InlineData(1, 3000)]
    [InlineData(4, 9000)]
    public void The_shipped_binary_matches_the_protocol_and_every_crash_state_recovers(int files, int size)
    {
        var (code, text) = Explore(null, "--files", files.ToString(System.Globalization.CultureInfo.InvariantCulture), "--size", size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, code);
        Assert.Contains("commit: the binary's", text, StringComparison.Ordinal);
        Assert.Contains("recovery: the binary's", text, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Matches(text, "match Core's protocol").Count);
        var total = Regex.Match(text, @"(\d+) distinct crash states replayed with the real recovery, (\d+) violation");
        Assert.True(total.Success, text);
        Assert.Equal("0", total.Groups[2].Value);
        // The pack, its trailer, the retirement and the restores each leave at least one un-synced state.
        Assert.True(int.Parse(total.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 8 + files, text);
        // The commit writes one file whatever the number of checkpoint files: generation 3's pack, created once
        // (O_EXCL, no O_TRUNC) and fsynced once, then its directory fsynced.
        var commit = text[text.IndexOf("commit: the binary's", StringComparison.Ordinal)..text.IndexOf("recovery: the binary's", StringComparison.Ordinal)];
        Assert.Single(Regex.Matches(commit, @"^    create \.boinc-persist/checkpoints/gen-0000000003\.pack \[O_CREAT\|O_EXCL\]$", RegexOptions.Multiline));
        Assert.Single(Regex.Matches(commit, @"^    fsync \.boinc-persist/checkpoints/gen-0000000003\.pack$", RegexOptions.Multiline));
        Assert.Empty(Regex.Matches(commit, @"^    create \.boinc-persist/checkpoints/gen-0000000003/", RegexOptions.Multiline));
    }

    [Theory]
    [InlineData("fsync .boinc-persist/checkpoints/gen-0000000003.pack")]
    [InlineData("fsync-dir .boinc-persist/checkpoints")]
    public void A_build_that_drops_one_fsync_is_caught(string dropped)
    {
        var (code, text) = Explore(dropped, "--size", "3000");
        Assert.Equal(1, code);
        // Step 2 sees the missing call, side by side with what Core emitted.
        Assert.Contains("commit: MISMATCH between Core's protocol and the binary's system calls", text, StringComparison.Ordinal);
        Assert.Matches(@"!\s+" + Regex.Escape(dropped) + @"\s+\| \(missing\)", text);
        // Step 3 on its own refutes it too: a crash state built on the real disk where the real recovery restarts
        // from older than the acknowledged generation (the pack's name survived without its bytes, or its bytes without its name).
        Assert.Contains("commit: VIOLATION", text, StringComparison.Ordinal);
        Assert.Contains("older than the acknowledged generation", text, StringComparison.Ordinal);
    }

    private (int Code, string Text) Explore(string? dropFsync, params string[] args)
    {
        var psi = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("crash-explore");
        psi.ArgumentList.Add("--binary");
        psi.ArgumentList.Add(Binary);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (dropFsync is not null) psi.Environment["BOINC_PERSIST_TEST_DROP_FSYNC"] = dropFsync;
        else psi.Environment.Remove("BOINC_PERSIST_TEST_DROP_FSYNC");
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {Binary}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(30)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("crash-explore hung for 30 minutes");
        }

        p.WaitForExit();
        var text = stdout.Result + stderr.Result;
        output.WriteLine($"crash-explore {string.Join(' ', args)}{(dropFsync is null ? "" : $" with BOINC_PERSIST_TEST_DROP_FSYNC={dropFsync}")}: exit {p.ExitCode} after {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine(text);
        Assert.DoesNotContain("UNMODELLED", text, StringComparison.Ordinal);
        return (p.ExitCode, text);
    }
}
