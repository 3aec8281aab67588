using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Boinc.Persist.Shell.Cli;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Jobs;
using Boinc.Persist.Shell.Run;
using LanguageExt;

namespace Boinc.Persist.Shell;

/// <summary>The <c>boinc-persist</c> command line.</summary>
public static class Program
{
    public const int Ok = 0;
    public const int Errors = 1;
    public const int Usage = 2;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>
    /// One command of the binary: its name, the one line <c>--help</c> lists it with, the text
    /// <c>boinc-persist NAME --help</c> prints, and what runs it. Internal commands serve the scripts under
    /// <c>bench/</c> and <c>crash-explore</c>; they are listed apart.
    /// </summary>
    public sealed record Command(string Name, string Summary, string Usage, bool Internal, Func<string[], TextWriter, TextWriter, int> Run);

    /// <summary>Every command, in the order <c>--help</c> lists them. <c>run</c> is also what no command means.</summary>
    public static readonly IReadOnlyList<Command> Commands = new Command[]
    {
        new("run", "run a BOINC task in a container (what the BOINC client starts; the default)", RunUsage, false,
            (a, _, e) => RunJob(a, e)),
        new("check", "lint a job directory (job.toml, Dockerfile, link files); --compat: compare with docker_wrapper", CheckUsage, false,
            (a, o, e) => CheckOrPlan("check", a, o, e)),
        new("plan", "print what would be built, mounted and run for a job directory, and why", PlanUsage, false,
            (a, o, e) => CheckOrPlan("plan", a, o, e)),
        new("checkpoints", "list a slot's checkpoint generations and verify their files", CheckpointsUsage, false,
            (a, o, e) => Checkpoints.CheckpointsCommand.Run(a, o, e, TimeProvider.System)),
        new(Doctor.DoctorCommand.Name, "which container engine the wrapper would use, why, and what is missing", DoctorUsage, false,
            Doctor.DoctorCommand.Run),
        new("gc", "remove boinc-persist's orphaned containers and unused images", Gc.GcCommand.Help, false,
            Gc.GcCommand.Run),
        new(Verification.Conform.ConformCommand.Name, "check the persistence guarantees against any wrapper (ours, docker_wrapper, ...)", ConformUsage, false,
            Verification.Conform.ConformCommand.Run),
        new("model-check", "crash the checkpoint store on the model file system after every operation", ModelCheckUsage, false,
            Verification.ModelCheckCommand.Run),
        new(Verification.CrashExploreCommand.Name, "crash this binary's real commit and recovery at every recorded system call", Verification.CrashExploreCommand.Help, false,
            Verification.CrashExploreCommand.Run),
        new(Verification.BenchCommand.Name, "commit throughput and latency against raw write+fsync (bench/checkpoint.sh)", BenchUsage, true,
            Verification.BenchCommand.Run),
        new(Verification.TortureCommand.Name, "commit checkpoints in a loop until killed (the kill-during-commit tests)", TortureUsage, true,
            Verification.TortureCommand.Run),
        new(Verification.StoreOnceCommand.CommitName, "one commit of the checkpoint store, for crash-explore's tracer", StoreCommitUsage, true,
            (a, o, e) => Verification.StoreOnceCommand.Run(Verification.StoreOnceCommand.CommitName, a, o, e)),
        new(Verification.StoreOnceCommand.RecoverName, "one recovery of the checkpoint store, for crash-explore's tracer", StoreRecoverUsage, true,
            (a, o, e) => Verification.StoreOnceCommand.Run(Verification.StoreOnceCommand.RecoverName, a, o, e)),
    };

    private static bool IsHelp(string arg) => arg is "--help" or "-h";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length > 0 && args[0] is "--version" or "version")
        {
            stdout.WriteLine($"boinc-persist {Version}");
            return Ok;
        }

        if (args.Length > 0 && (IsHelp(args[0]) || args[0] == "help"))
            return Help(args.Length > 1 ? args[1] : null, stdout, stderr);

        var command = args.Length > 0 ? Commands.FirstOrDefault(c => c.Name == args[0]) : null;
        if (command is null)
        {
            // No command at all: the wrapper mode, started by the BOINC client with docker_wrapper's command line
            // in the slot directory (its options, then the app's arguments).
            return RunJob(args, stderr);
        }

        // Every command answers --help as its first argument (later, --help may be an app's argument: run's ARGS).
        if (args.Length > 1 && IsHelp(args[1]))
        {
            stdout.Write(command.Usage);
            return Ok;
        }

        return command.Run(args[1..], stdout, stderr);
    }

    private static int Help(string? name, TextWriter stdout, TextWriter stderr)
    {
        if (name is null)
        {
            stdout.Write(Overview());
            return Ok;
        }

        var command = Commands.FirstOrDefault(c => c.Name == name);
        if (command is null)
        {
            stderr.WriteLine($"boinc-persist help: no command '{name}' (see --help)");
            return Usage;
        }

        stdout.Write(command.Usage);
        return Ok;
    }

    /// <summary>The top-level <c>--help</c>: one line per command, then each command's usage.</summary>
    public static string Overview()
    {
        var w = new StringWriter();
        w.WriteLine("boinc-persist: a drop-in replacement for BOINC's docker_wrapper that keeps committed checkpoints.");
        w.WriteLine();
        w.WriteLine("Commands (boinc-persist COMMAND --help, or boinc-persist help COMMAND, for one of them):");
        var width = Commands.Max(c => c.Name.Length) + 2;
        foreach (var c in Commands.Where(c => !c.Internal))
            w.WriteLine($"  {c.Name.PadRight(width)}{c.Summary}");
        w.WriteLine($"  {"--version".PadRight(width)}print the version");
        w.WriteLine($"  {"--help".PadRight(width)}this text");
        w.WriteLine();
        w.WriteLine("Internal commands (for bench/checkpoint.sh, the kill-during-commit tests and crash-explore):");
        foreach (var c in Commands.Where(c => c.Internal))
            w.WriteLine($"  {c.Name.PadRight(width)}{c.Summary}");
        w.WriteLine();
        w.WriteLine("Usage:");
        w.WriteLine("  boinc-persist [--config FILE] [--dockerfile FILE] [--verbose] [--sporadic] [ARGS...]");
        w.WriteLine("      Without a command: run, with docker_wrapper's command line, as the BOINC client starts it.");
        foreach (var c in Commands.Where(c => !c.Internal))
            w.Write(Indent(c.Usage));
        w.WriteLine();
        w.WriteLine("DIR defaults to the current directory. check and plan need no container engine.");
        w.WriteLine("Exit codes: 0 ok, 1 errors found, 2 bad command line.");
        return w.ToString();
    }

    private static string Indent(string usage) =>
        string.Concat(usage.Split('\n').Where(l => l.Length > 0).Select(l => "  " + l + "\n"));

    private static int RunJob(string[] args, TextWriter stderr)
    {
        var parsed = RunOptions.Parse(args, Directory.GetCurrentDirectory());
        if (parsed.IsLeft)
        {
            stderr.WriteLine($"boinc-persist: {parsed.LeftToSeq().Head()} (see --help)");
            return Usage;
        }

        var options = parsed.RightToSeq().Head();
        // The main thread is the loop's (Host/LoopPump.cs): a running wrapper's steps and its looks at BOINC's
        // control channel wake this one thread, not the thread pool.
        return LoopPump.Run(() => JobRunner.Run(options, stderr, TimeProvider.System, preference => DockerEngine.ConnectFor(preference)));
    }

    public static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>What <c>check</c> and <c>plan</c> were asked: the directory, the file names, the output form.</summary>
    private sealed record CheckArgs(string Dir, string Config, string Dockerfile, bool Json, bool Compat, Seq<string> AppArgs);

    private static int CheckOrPlan(string command, string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parsed = ParseCheckArgs(command, args);
        if (parsed.Case is string problem)
        {
            stderr.WriteLine($"boinc-persist {command}: {problem}");
            return Usage;
        }

        var a = (CheckArgs)parsed.Case!;
        if (a.Compat)
            return CompatCommand.Run(a.Dir, a.Config, a.Dockerfile, a.Json, stdout, stderr);

        var report = JobDirectory.Load(new JobDirectoryOptions(a.Dir, a.Config, a.Dockerfile, a.AppArgs));
        if (a.Json)
        {
            stdout.WriteLine(ReportWriter.Json(report));
        }
        else
        {
            ReportWriter.Findings(command == "check" ? stdout : stderr, report);
            if (command == "plan" && !report.HasErrors)
            {
                stdout.WriteLine();
                ReportWriter.PlanText(stdout, report);
            }
        }

        return report.HasErrors ? Errors : Ok;
    }

    /// <summary><c>check</c>'s and <c>plan</c>'s arguments; Left: what is wrong with them.</summary>
    private static Either<string, CheckArgs> ParseCheckArgs(string command, string[] args)
    {
        string? dir = null;
        var config = "job.toml";
        var dockerfile = "Dockerfile";
        var json = false;
        var compat = false;
        var appArgs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "--compat" when command == "check":
                    compat = true;
                    break;
                case "--config" when i + 1 < args.Length:
                    config = args[++i];
                    break;
                case "--dockerfile" when i + 1 < args.Length:
                    dockerfile = args[++i];
                    break;
                case "--":
                    appArgs.AddRange(args[(i + 1)..]);
                    i = args.Length;
                    break;
                default:
                    if (args[i].StartsWith('-'))
                        return $"unknown option {args[i]} (see --help)";
                    if (dir is not null)
                        return $"one directory at a time ({dir}, {args[i]})";
                    dir = args[i];
                    break;
            }
        }

        if (config.Contains('/') || dockerfile.Contains('/'))
            return "--config and --dockerfile name files in the job directory, not paths";
        return new CheckArgs(dir ?? ".", config, dockerfile, json, compat, appArgs.ToSeq());
    }

    private const string RunUsage = """
        boinc-persist run [--slot DIR] [--config FILE] [--dockerfile FILE] [--verbose] [--sporadic] [-- ARGS...]
            Run the task in the slot (the current directory, or DIR): docker_wrapper's command line, as
            the BOINC client starts it. ARGS reach the container as the environment variable ARGS.
            Without init_data.xml it runs standalone (no client; Ctrl-C quits as the quit policy says).
            --sporadic: a sporadic app (BOINC 8's <sporadic/>), run when the client says compute.

        """;

    private const string CheckUsage = """
        boinc-persist check [DIR] [--config FILE] [--dockerfile FILE] [--json]
            Lint a job directory (a BOINC slot, or a project's job directory on its own): job.toml,
            the Dockerfile and the link files. Exits 1 if there is any error, 0 otherwise (warnings allowed).
        boinc-persist check --compat [DIR] [--config FILE] [--dockerfile FILE] [--json]
            For an existing docker_wrapper app (job.toml + Dockerfile): every behaviour that differs under
            boinc-persist's defaults, each with the job.toml line that restores docker_wrapper's behaviour or
            why none can, and the job.toml with all of them. Exits 1 if something blocks the app as it is.

        """;

    private const string PlanUsage = """
        boinc-persist plan [DIR] [--config FILE] [--dockerfile FILE] [--json] [-- ARGS...]
            Print what would be built, mounted and run, and why. ARGS are the app's arguments
            (passed to the container as ARGS, as docker_wrapper does).

        """;

    private const string CheckpointsUsage = """
        boinc-persist checkpoints [SLOT] [--json]
            List the slot's checkpoint generations (age, size, CPU time) and verify their files.
            Exits 1 if a listed generation is broken.

        """;

    private const string DoctorUsage = """
        boinc-persist doctor [--slot DIR]
            Which container engine and socket the wrapper would use and why (DOCKER_HOST; else the slot's
            init_data.xml docker_type, 1 Docker, 2 Podman; else the sockets that answer; else a private
            Podman service it starts), the engine's version and API version, cgroup version, rootless,
            SELinux, what Podman gets on create, and what is missing. Exits 1 if no engine is usable.

        """;

    private const string ConformUsage = """
        boinc-persist conform --wrapper CMD [--only G01,G05] [--trials N] [--seed S] [--patience SECONDS] [--json FILE]
                              [--base-image IMAGE] [--work-root DIR] [--keep]
        boinc-persist conform --list [--only G01,G05]
            Run the persistence guarantees against the wrapper that CMD starts (ours, or another one such
            as BOINC's docker_wrapper), as the BOINC client would, under faults; print a table of which
            guarantees held, with evidence. Exits 0 only if every selected guarantee held.
            --list: the guarantees and what each scenario does, without running anything.

        """;

    private const string ModelCheckUsage = """
        boinc-persist model-check [--runs N] [--length L] [--seed S] [--keep K] [--exhaustive N]
                                  [--samples N] [--block B] [--variant all|refuted|NAME[,NAME...]] [--explain]
            Crash the checkpoint store on the model file system after every operation of generated runs
            (every subset of up to --exhaustive pending operations, seeded samples beyond, torn writes);
            refute every broken variant. Prints counts and shrunk counterexamples. --explain: the model.

        """;

    private const string BenchUsage = """
        boinc-persist __checkpoint-bench [--samples] [--latency N] DIR [SIZE_MB[:REPEAT]...]
            Commit throughput for checkpoints of each size (default 1 100 1024 MB) against a raw write + fsync
            of the same bytes in DIR, and the latency of a 1 KB commit (N commits, default 50). Prints the best
            of REPEAT runs per size (default 20 for 1 MB, 3 up to 100 MB, 1 above); with --samples, every
            measurement as a tab-separated line (throughput SIZE_MB WHAT SECONDS, latency 1KB WHAT MS).
            Used by bench/checkpoint.sh and bench/run.sh's item 5.

        """;

    private const string TortureUsage = """
        boinc-persist __checkpoint-torture SLOT [ROUNDS]
            Write and commit checkpoints (state.bin, ckpt/*.dat) in SLOT in a loop, ROUNDS times or until
            killed, printing each acknowledged generation. The kill-during-commit tests kill it at random
            moments and check what recovery finds.

        """;

    private const string StoreCommitUsage = """
        boinc-persist __store-commit SLOT CPU PATTERN...
            One commit of the checkpoint store on SLOT (files matching PATTERN, CPU seconds), printing
            'acked GEN' once it returned: crash-explore traces exactly the system calls of it.

        """;

    private const string StoreRecoverUsage = """
        boinc-persist __store-recover SLOT PATTERN...
            One recovery of the checkpoint store on SLOT, printing 'recovered GEN' (or 'recovered none') and
            the CPU time it would report: crash-explore runs it on every crash state.

        """;
}
