using System;
using System.Collections.Generic;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>
/// The wrapper's command line: docker_wrapper's own (<c>--config FILE</c>, <c>--dockerfile FILE</c>,
/// <c>--sporadic</c>, <c>--verbose</c>; every other argument goes to the container as <c>ARGS</c>) plus ours
/// (<c>--slot DIR</c>, for running a job directory outside BOINC).
/// </summary>
public sealed record RunOptions(
    string SlotDir,
    string ConfigName,
    string DockerfileName,
    bool Verbose,
    bool Sporadic,
    Seq<string> AppArgs)
{
    public static Either<string, RunOptions> Parse(IReadOnlyList<string> args, string currentDirectory)
    {
        var slot = currentDirectory;
        var config = "job.toml";
        var dockerfile = "Dockerfile";
        var verbose = false;
        var sporadic = false;
        var app = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            switch (a)
            {
                case "--config" or "--dockerfile" or "--slot" when i + 1 >= args.Count:
                    return $"{a} needs a value";
                case "--config":
                    config = args[++i];
                    break;
                case "--dockerfile":
                    dockerfile = args[++i];
                    break;
                case "--slot":
                    slot = args[++i];
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                case "--sporadic":
                    sporadic = true;
                    break;
                case "--":
                    for (var j = i + 1; j < args.Count; j++)
                        app.Add(args[j]);
                    i = args.Count;
                    break;
                default:
                    // docker_wrapper passes everything it does not know to the app: so do we.
                    app.Add(a);
                    break;
            }
        }

        if (config.Contains('/') || dockerfile.Contains('/'))
            return "--config and --dockerfile name files in the slot (logical names), not paths";
        return new RunOptions(slot, config, dockerfile, verbose, sporadic, app.ToArray().ToSeq());
    }
}
