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
        var maxAge = TimeSpan.Zero;
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
                case "--max-age" when i + 1 < args.Length:
                    var age = Core.Gc.ImageGcPolicy.ParseAge(args[++i]);
                    if (age.IsNone)
                    {
                        stderr.WriteLine($"boinc-persist gc: --max-age {args[i]} is not a duration such as 7d, 12h, 30m or 0s (see --help)");
                        return Program.Usage;
                    }

                    maxAge = age.IfNone(TimeSpan.Zero);
                    break;
                case "-h" or "--help":
                    stdout.Write(Help);
                    return Program.Ok;
                default:
                    stderr.WriteLine($"boinc-persist gc: unknown argument {args[i]} (see --help)");
                    return Program.Usage;
            }
        }

        using var engine = DockerEngine.Connect();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var report = GarbageCollector.Run(engine, dryRun, scope, maxAge, DateTimeOffset.UtcNow, cts.Token).GetAwaiter().GetResult();
        foreach (var item in report.Items)
        {
            var verb = item.Removed ? (dryRun ? "would remove" : "removed") : "kept";
            stdout.WriteLine($"{verb} {item.Kind} {item.Name} ({Core.Naming.ShortImageId(item.Id)}): {item.Reason}");
        }

        foreach (var e in report.Errors)
            stderr.WriteLine($"boinc-persist gc: engine at {engine.Endpoint}: {e}");
        return report.Errors.IsEmpty ? Program.Ok : Program.Errors;
    }

    public const string Help = """
        boinc-persist gc [--dry-run] [--max-age AGE] [--label KEY[=VALUE]]
            Remove what boinc-persist created and nothing else (only objects labelled
            org.boinc-persist.owner=boinc-persist):
              containers  whose slot is gone, has no journal, runs another container, or whose job finished
                          or was aborted;
              images      that no container (any), no live slot journal and no running wrapper (image lock)
                          uses, and whose last recorded use is older than AGE (default 0s: any unused image
                          goes now).
            --dry-run        say what would be removed, remove nothing
            --max-age AGE    keep images used within AGE (7d, 12h, 30m, 0s)
            --label K[=V]    only objects that also carry this label
            Wrappers also collect images by themselves at job start and end, as the [gc] table of the host
            policy (/etc/boinc-persist/policy.toml, or $BOINC_PERSIST_POLICY) says:
              [gc]
              auto = true              # false: only this command removes images
              image_max_age = "7d"     # default 7d
              images_max_size = "20g"  # optional: above it, free images go least recently used first
            Needs the container engine (chosen as for doctor). Exit status: 0 done, 1 engine errors
            (printed), 2 bad arguments.

        """;
}
