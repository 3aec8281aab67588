using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using Boinc.Persist.Shell.Cli;
using Boinc.Persist.Shell.Engine;
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

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length > 0 && args[0] is "--version" or "version")
        {
            stdout.WriteLine($"boinc-persist {Version}");
            return Ok;
        }

        if (args.Length > 0 && args[0] is "--help" or "-h" or "help")
        {
            stdout.Write(HelpText);
            return Ok;
        }

        if (args.Length > 0 && args[0] is "check" or "plan")
            return CheckOrPlan(args[0], args[1..], stdout, stderr);

        if (args.Length > 0 && args[0] == Doctor.DoctorCommand.Name)
            return Doctor.DoctorCommand.Run(args[1..], stdout, stderr);

        if (args.Length > 0 && args[0] is "gc")
            return Gc.GcCommand.Run(args[1..], stdout, stderr);

        if (args.Length > 0 && args[0] == "checkpoints")
            return Checkpoints.CheckpointsCommand.Run(args[1..], stdout, stderr, TimeProvider.System);

        if (args.Length > 0 && args[0] == "model-check")
            return Checkpoints.ModelCheckCommand.Run(args[1..], stdout, stderr);

        if (args.Length > 0 && args[0] == Conform.ConformCommand.Name)
            return Conform.ConformCommand.Run(args[1..], stdout, stderr);

        if (args.Length > 0 && args[0] == Checkpoints.BenchCommand.Name)
            return Checkpoints.BenchCommand.Run(args[1..], stdout, stderr);

        if (args.Length > 0 && args[0] == Checkpoints.TortureCommand.Name)
            return Checkpoints.TortureCommand.Run(args[1..], stdout, stderr);

        if (args.Length > 0 && args[0] is Verification.StoreOnceCommand.CommitName or Verification.StoreOnceCommand.RecoverName)
            return Verification.StoreOnceCommand.Run(args[0], args[1..], stdout, stderr);

        if (args.Length > 0 && args[0] == Verification.CrashExploreCommand.Name)
            return Verification.CrashExploreCommand.Run(args[1..], stdout, stderr);

        // `run`, or no command at all: the wrapper mode, started by the BOINC client with docker_wrapper's
        // command line in the slot directory.
        var runArgs = args.Length > 0 && args[0] == "run" ? args[1..] : args;
        return RunJob(runArgs, stderr);
    }

    private static int RunJob(string[] args, TextWriter stderr)
    {
        var parsed = RunOptions.Parse(args, Directory.GetCurrentDirectory());
        if (parsed.IsLeft)
        {
            stderr.WriteLine($"boinc-persist: {parsed.LeftToSeq().Head()} (see --help)");
            return Usage;
        }

        var options = parsed.RightToSeq().Head();
        return JobRunner.Run(options, stderr, TimeProvider.System, () => DockerEngine.ConnectFor(options.SlotDir))
            .GetAwaiter().GetResult();
    }

    public static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static int CheckOrPlan(string command, string[] args, TextWriter stdout, TextWriter stderr)
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
                    {
                        stderr.WriteLine($"boinc-persist {command}: unknown option {args[i]} (see --help)");
                        return Usage;
                    }

                    if (dir is not null)
                    {
                        stderr.WriteLine($"boinc-persist {command}: one directory at a time ({dir}, {args[i]})");
                        return Usage;
                    }

                    dir = args[i];
                    break;
            }
        }

        if (config.Contains('/') || dockerfile.Contains('/'))
        {
            stderr.WriteLine($"boinc-persist {command}: --config and --dockerfile name files in the job directory, not paths");
            return Usage;
        }

        if (compat)
            return CompatCommand.Run(dir ?? ".", config, dockerfile, json, stdout, stderr);

        var report = JobDirectory.Load(new JobDirectoryOptions(dir ?? ".", config, dockerfile, appArgs.ToSeq()));
        if (json)
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

    private const string HelpText = """
        boinc-persist: a drop-in replacement for BOINC's docker_wrapper that keeps committed checkpoints.

        Usage:
          boinc-persist [--config FILE] [--dockerfile FILE] [--verbose] [--sporadic] [ARGS...]
          boinc-persist run [--slot DIR] [--config FILE] [--dockerfile FILE] [--verbose] [-- ARGS...]
              Run the task in the slot (the current directory, or DIR): docker_wrapper's command line, as
              the BOINC client starts it. ARGS reach the container as the environment variable ARGS.
              Without init_data.xml it runs standalone (no client; Ctrl-C quits as the quit policy says).
          boinc-persist check [DIR] [--config FILE] [--dockerfile FILE] [--json]
              Lint a job directory (a BOINC slot, or a project's job directory on its own): job.toml,
              the Dockerfile and the link files. Exits 1 if there is any error, 0 otherwise (warnings allowed).
          boinc-persist check --compat [DIR] [--config FILE] [--dockerfile FILE] [--json]
              For an existing docker_wrapper app (job.toml + Dockerfile): every behaviour that differs under
              boinc-persist's defaults, each with the job.toml line that restores docker_wrapper's behaviour or
              why none can, and the job.toml with all of them. Exits 1 if something blocks the app as it is.
          boinc-persist plan [DIR] [--config FILE] [--dockerfile FILE] [--json] [-- ARGS...]
              Print what would be built, mounted and run, and why. ARGS are the app's arguments
              (passed to the container as ARGS, as docker_wrapper does).
          boinc-persist checkpoints [SLOT] [--json]
              List the slot's checkpoint generations (age, size, CPU time) and verify their files.
              Exits 1 if a listed generation is broken.
          boinc-persist model-check [--runs N] [--length L] [--seed S] [--keep K] [--exhaustive N]
                                    [--samples N] [--block B] [--variant all|refuted|NAME[,NAME...]] [--explain]
              Crash the checkpoint store on the model file system after every operation of generated runs
              (every subset of up to --exhaustive pending operations, seeded samples beyond, torn writes);
              refute every broken variant. Prints counts and shrunk counterexamples. --explain: the model.
          boinc-persist gc [--dry-run] [--label KEY[=VALUE]]
              Remove our orphaned containers (slot gone, no journal naming them, job finished or aborted)
              and our images no container uses. Only objects labelled org.boinc-persist.owner are touched;
              --label narrows that further. Needs the container engine (chosen as for doctor).
          boinc-persist doctor [--slot DIR]
              Which container engine and socket the wrapper would use and why (DOCKER_HOST; else the slot's
              init_data.xml docker_type, 1 Docker, 2 Podman; else the sockets that answer; else a private
              Podman service it starts), the engine's version and API version, cgroup version, rootless,
              SELinux, what Podman gets on create, and what is missing. Exits 1 if no engine is usable.
          boinc-persist conform --wrapper CMD [--only G01,G05] [--trials N] [--seed S] [--patience SECONDS] [--json FILE]
                                [--base-image IMAGE] [--work-root DIR] [--keep] | conform --list
              Run the persistence guarantees against the wrapper that CMD starts (ours, or another one such
              as BOINC's docker_wrapper), as the BOINC client would, under faults; print a table of which
              guarantees held, with evidence. Exits 0 only if every selected guarantee held.
          boinc-persist crash-explore [--size BYTES] [--files N] [--seed S] [--exhaustive N] [--samples N] [--keep-work]
              Record (strace) this binary's system calls for one commit and one recovery in a scratch slot, check
              them against Core's protocol, and run the real recovery on every crash state of them that the
              persistence model allows, on the real file system. Exits 1 on a violation. --help: details.
          boinc-persist --version
          boinc-persist --help

        DIR defaults to the current directory. check and plan need no container engine.
        Exit codes: 0 ok, 1 errors found, 2 bad command line.

        """;
}
