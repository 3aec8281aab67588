using System;
using System.IO;
using System.Threading;
using Boinc.Persist.Shell.Engine;
using LanguageExt;

namespace Boinc.Persist.Shell.Gc;

/// <summary>The <c>gc</c> command line: parse, run <see cref="GarbageCollector"/>, print one line per object.</summary>
public static class GcCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var dryRun = false;
        var scope = Option<string>.None;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dry-run":
                    dryRun = true;
                    break;
                case "--label" when i + 1 < args.Length && args[i + 1].Length > 0:
                    scope = args[++i];
                    break;
                default:
                    stderr.WriteLine($"boinc-persist gc: unknown argument {args[i]} (see --help)");
                    return Program.Usage;
            }
        }

        using var engine = DockerEngine.Connect();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var report = GarbageCollector.Run(engine, dryRun, scope, cts.Token).GetAwaiter().GetResult();
        foreach (var item in report.Items)
        {
            var verb = item.Removed ? (dryRun ? "would remove" : "removed") : "kept";
            stdout.WriteLine($"{verb} {item.Kind} {item.Name} ({Short(item.Id)}): {item.Reason}");
        }

        foreach (var e in report.Errors)
            stderr.WriteLine($"boinc-persist gc: engine at {engine.Endpoint}: {e}");
        return report.Errors.IsEmpty ? Program.Ok : Program.Errors;
    }

    private static string Short(string id)
    {
        var bare = id.StartsWith("sha256:", StringComparison.Ordinal) ? id[7..] : id;
        return bare.Length > 12 ? bare[..12] : bare;
    }
}
