using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Shell.Checkpoints;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification;

/// <summary>
/// Hidden commands for <c>crash-explore</c>: ONE commit, or ONE recovery, of the shipped
/// <see cref="CheckpointStore"/> on a slot, so that a tracer sees exactly the system calls the binary issues for
/// it. <c>__store-commit SLOT CPU PATTERN...</c> prints <c>acked GEN</c> once the commit returned (the moment
/// the wrapper would tell BOINC); <c>__store-recover SLOT PATTERN...</c> prints <c>recovered GEN</c> (or
/// <c>recovered none</c>) and the CPU time it would report. Keep is the default (2).
/// </summary>
public static class StoreOnceCommand
{
    public const string CommitName = "__store-commit";
    public const string RecoverName = "__store-recover";

    public static CheckpointConfig ConfigFor(Seq<string> patterns) => CheckpointConfig.Default with { Files = patterns };

    public static int Run(string name, string[] args, TextWriter stdout, TextWriter stderr)
    {
        var commit = name == CommitName;
        var need = commit ? 3 : 2;
        if (args.Length < need)
        {
            stderr.WriteLine(commit ? $"usage: boinc-persist {CommitName} SLOT CPU PATTERN..." : $"usage: boinc-persist {RecoverName} SLOT PATTERN...");
            return Program.Usage;
        }

        var slot = args[0];
        var patterns = args.Skip(commit ? 2 : 1).ToSeq();
        using var store = CheckpointStore.Open(slot, ConfigFor(patterns), TimeProvider.System);
        if (commit)
        {
            if (!double.TryParse(args[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var cpu))
            {
                stderr.WriteLine($"{CommitName}: CPU time {args[1]} is not a number");
                return Program.Usage;
            }

            var r = store.Commit((long)Math.Round(cpu * 1e9), 0, "crash-explore");
            return r.Match(
                g =>
                {
                    stdout.WriteLine($"acked {g.Number}");
                    stdout.Flush();
                    return Program.Ok;
                },
                e =>
                {
                    stderr.WriteLine($"{CommitName}: {e.Message}");
                    return Program.Errors;
                });
        }

        var report = store.Recover();
        stdout.WriteLine($"recovered {report.Chosen.Map(g => g.Number.ToString(CultureInfo.InvariantCulture)).IfNone("none")} cpu {(report.CpuNanos / 1e9).ToString("R", CultureInfo.InvariantCulture)}");
        stdout.WriteLine($"why {report.Why}");
        stdout.Flush();
        return report.RestoreError.Match(e => { stderr.WriteLine($"{RecoverName}: {e}"); return Program.Errors; }, () => Program.Ok);
    }
}
