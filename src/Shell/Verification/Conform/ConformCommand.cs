using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Boinc.Persist.Core.Verification.Conform;
using Boinc.Persist.Shell.Engine;

namespace Boinc.Persist.Shell.Verification.Conform;

/// <summary>
/// <c>boinc-persist conform</c>: runs the persistence guarantees against any wrapper command and prints, per
/// guarantee, whether it held, with evidence. Progress on stderr, the table on stdout, <c>--json FILE</c> for
/// tools. Exit 0 only if every selected guarantee held; 1 otherwise; 2 for a bad command line.
/// </summary>
public static class ConformCommand
{
    public const string Name = "conform";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parsed = ConformOptions.Parse(args);
        if (parsed.IsLeft)
        {
            stderr.WriteLine($"boinc-persist conform: {parsed.LeftToSeq().Head()} (see --help)");
            return Program.Usage;
        }

        var options = parsed.RightToSeq().Head();
        if (options.ListOnly)
        {
            stdout.Write(Rendering.List(options.Selected));
            return Program.Ok;
        }

        return RunSuite(options, stdout, stderr).GetAwaiter().GetResult();
    }

    private static async Task<int> RunSuite(ConformOptions options, TextWriter stdout, TextWriter stderr)
    {
        var clock = Stopwatch.StartNew();
        void Progress(string line)
        {
            stderr.WriteLine($"conform {clock.Elapsed.TotalSeconds,6:0.0}s {line}");
            stderr.Flush();
        }

        using var engine = new EngineWatch(EngineEndpoint.Resolve());
        var version = await engine.Version().ConfigureAwait(false);
        if (version.IsLeft)
        {
            stderr.WriteLine($"boinc-persist conform: the suite observes the container engine at {engine.Endpoint}, which does not answer: {version.LeftToSeq().Head()}");
            return Program.Errors;
        }

        // Names this run's containers, images and files apart from another run's on the same engine: it needs to
        // differ between runs, not to be unguessable.
        var suiteMark = "cf" + Random.Shared.Next(1 << 24).ToString("x6", System.Globalization.CultureInfo.InvariantCulture);
        var root = options.WorkRoot.IfNone(() => Path.Combine(Path.GetTempPath(), "boinc-persist-conform-" + suiteMark));
        Directory.CreateDirectory(root);
        root = Path.GetFullPath(root);
        Progress($"wrapper: {string.Join(" ", options.Wrapper)}");
        Progress($"engine: {engine.Endpoint} (version {version.RightToSeq().Head().Version}, init_data docker_type {version.RightToSeq().Head().DockerType}); base image {options.BaseImage}; data under {root}");
        Progress($"{options.Selected.Count} guarantee(s), {options.Trials} trial(s) of each randomized one, seed {options.Seed}");

        var setup = new TrialSetup(options.Wrapper, options.BaseImage, root, engine, options.KeepFiles, version.RightToSeq().Head()) { Patience = options.Patience };
        var results = await ScenarioRunner.Run(options, setup, suiteMark, Progress).ConfigureAwait(false);

        // Whatever a trial could not remove (it says so in its evidence), once more by the suite's mark.
        foreach (var left in await engine.CleanUp(suiteMark, root).ConfigureAwait(false))
            Progress($"removed a leftover: {left}");
        if (!options.KeepFiles)
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException e)
            {
                Progress($"could not remove {root}: {e.Message}");
            }
            catch (UnauthorizedAccessException e)
            {
                Progress($"could not remove {root}: {e.Message}");
            }
        }

        stdout.Write(Rendering.Table(results));
        stdout.Flush();
        var json = Rendering.Json(string.Join(" ", options.Wrapper), options.Seed, options.Trials, results);
        foreach (var file in options.JsonFile)
        {
            try
            {
                File.WriteAllText(file, json);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"boinc-persist conform: cannot write {file}: {e.Message}");
                return Program.Errors;
            }
        }

        Progress($"done in {clock.Elapsed.TotalSeconds:0} s");
        return SuiteVerdict.ExitCode(results);
    }
}
