using System;
using LanguageExt;

namespace Boinc.Persist.Core.Verification.Conform;

/// <summary>
/// One guarantee of the conformance oracle: its id (<c>G01</c>...), a one-line title, the precise statement,
/// the scenario that checks it and what a failure prints as evidence. <see cref="Randomized"/> scenarios inject
/// their fault at a seeded random moment and run <c>--trials</c> times; the others run once.
/// </summary>
public sealed record Guarantee(string Id, string Title, string Scenario, bool Randomized, string Statement, string Evidence);

/// <summary>The catalogue, in order; <c>docs/GUARANTEES.md</c> states the same list for humans.</summary>
public static class Catalogue
{
    public static readonly Seq<Guarantee> All = Seq(
        new Guarantee("G01", "completes with the right answer", Scenarios.Complete, false,
            "An undisturbed job runs once, writes the known answer, and the wrapper writes boinc_finish_called 0 and exits 0.",
            "exit code, boinc_finish_called, the answer against the expected one, the workload's start log"),
        new Guarantee("G02", "wrapper kill -9 redoes no committed work", Scenarios.WrapperKill, true,
            "After SIGKILL of the wrapper at a random moment and a restart, the job never resumes from before a checkpoint that was on disk, and finishes with the right answer.",
            "the committed step at the kill, the resume points logged by the workload"),
        new Guarantee("G03", "container loss resumes from the last checkpoint", Scenarios.Reboot, true,
            "After a simulated reboot at a random moment (wrapper SIGKILLed, its container removed), a restarted wrapper resumes from the last checkpoint and finishes with the right answer.",
            "the committed step at the fault, the resume points, the answer"),
        new Guarantee("G04", "engine restart resumes from the last checkpoint", Scenarios.EngineRestart, true,
            "After the engine's containers are killed by the engine going down (containers exited, wrapper gone), a restarted wrapper resumes from the last checkpoint and finishes with the right answer.",
            "the committed step at the fault, the resume points, the answer"),
        new Guarantee("G05", "a finished job is never re-run", Scenarios.Complete, false,
            "Starting the wrapper again in the slot of a finished job reports the same result and starts no new run of the job.",
            "the start log before and after the second start, its boinc_finish_called"),
        new Guarantee("G06", "a torn checkpoint is never resumed from", Scenarios.Torn, true,
            "After a crash that leaves the app's checkpoint file torn (truncated), the restarted job never reads the torn file: it resumes from a complete checkpoint and finishes with the right answer.",
            "the resume points, the workload's complaint about the torn file, the answer"),
        new Guarantee("G07", "suspend pauses within 2 s and counts no CPU", Scenarios.Suspend, true,
            "After <suspend/> the job stops making progress within 2 s, the reported CPU time does not grow while suspended, and after <resume/> it finishes.",
            "seconds until the job stopped, CPU time reported at suspend and before resume, steps made while suspended"),
        new Guarantee("G08", "quit then restart continues", Scenarios.Quit, true,
            "After <quit/> the wrapper exits within 60 s without a result; restarted, the job resumes from at least the checkpoint on disk at the quit and finishes with the right answer.",
            "seconds to exit, committed step at the quit, resume points, answer"),
        new Guarantee("G09", "abort leaves no container or image", Scenarios.Abort, false,
            "After <abort/> the wrapper exits within 60 s and no container or image created for the task remains.",
            "seconds to exit, containers and images left behind"),
        new Guarantee("G10", "checkpoint CPU time is never ahead of the disk", Scenarios.Sparse, false,
            "The checkpoint CPU time reported to the client never exceeds the current CPU time, and it advances only when a newer checkpoint is on disk (the client hands it back as wu_cpu_time after a crash).",
            "a status whose checkpoint CPU time advanced with no new checkpoint on disk"),
        new Guarantee("G11", "COPY/ADD of the build context is refused", Scenarios.BuildContext, false,
            "A Dockerfile that copies the build context (COPY . /ctx) never produces a job that sees host files: the wrapper refuses it, or builds from an empty context.",
            "the files the job found under /ctx, the wrapper's result"),
        new Guarantee("G12", "a write outside WORKDIR is not silently lost", Scenarios.Probe, false,
            "A write outside WORKDIR (to /opt) fails inside the container, so no job believes it saved data that a container loss discards.",
            "what the job's write to /opt did"),
        new Guarantee("G13", "project dir read-only at /project when asked", Scenarios.Probe, false,
            "With project_dir_mount = \"/project\" the project's files are readable at /project and a write there fails.",
            "whether /project/work.sh was readable and /project writable"),
        new Guarantee("G14", "<copy_file/> inputs appear in WORKDIR", Scenarios.Probe, false,
            "An input the client copied into the slot is read by the job under its logical name in WORKDIR with the client's bytes.",
            "the bytes the job read"),
        new Guarantee("G15", "engine unavailable is a temporary exit", Scenarios.NoEngine, false,
            "With no engine answering, the wrapper exits 0 with boinc_temporary_exit (BOINC retries later), never a compute error, within 120 s.",
            "exit code, boinc_temporary_exit, boinc_finish_called"),
        new Guarantee("G16", "a lost client stops or pauses the job in time", Scenarios.NoHeartbeat, false,
            "When the client dies (its process, named by client_pid in init_data.xml, ends and its heartbeats stop), the job's container is paused, stopped or removed within 35 s of the last heartbeat, plus the checkpoint grace the job declares ([lifecycle] stop_grace = 3 s in the suite's job.toml; wrappers that ignore it get the same bound).",
            "seconds until the container stopped running, its last state"),
        new Guarantee("G17", "link-file inputs work as BOINC's sample app reads them", Scenarios.Probe, false,
            "An input the client gave as a <soft_link> link file is in WORKDIR as the client wrote it, and the job that resolves it as BOINC's docker_wrapper sample app does (the link's target rewritten to project_dir_mount, /project in the suite's job.toml) reads the project file's bytes.",
            "the bytes the job read through the resolved link"),
        new Guarantee("G18", "status reports CPU and progress", Scenarios.Complete, false,
            "While the job runs the wrapper reports status to the client: the fraction done is reported and grows, the current CPU time never goes back.",
            "the reported fractions and CPU times"),
        new Guarantee("G19", "a failed job is reported once, never re-run", Scenarios.Fail, false,
            "A job exiting 3 gives boinc_finish_called 3 and exit 3; a second start reports the same and does not run the job again.",
            "exit codes, boinc_finish_called, how many times the job ran"));

    public static Option<Guarantee> Find(string id) =>
        All.Find(g => string.Equals(g.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>The guarantees <c>--only</c> names (comma-separated ids), or all; an unknown id is an error.</summary>
    public static Either<string, Seq<Guarantee>> Select(Option<string> only) =>
        only.Match(
            text =>
            {
                var ids = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToSeq();
                if (ids.IsEmpty)
                    return Either<string, Seq<Guarantee>>.Left("--only names no guarantee");
                var unknown = ids.Filter(id => Find(id).IsNone);
                return unknown.IsEmpty
                    ? Either<string, Seq<Guarantee>>.Right(All.Filter(g => ids.Exists(id => string.Equals(id, g.Id, StringComparison.OrdinalIgnoreCase))))
                    : Either<string, Seq<Guarantee>>.Left($"unknown guarantee {string.Join(", ", unknown)} (see --list)");
            },
            () => Either<string, Seq<Guarantee>>.Right(All));

    /// <summary>The scenarios that check the selected guarantees, in catalogue order, each once.</summary>
    public static Seq<string> ScenariosOf(Seq<Guarantee> selected) =>
        selected.Map(g => g.Scenario).Distinct();

    private static Seq<Guarantee> Seq(params Guarantee[] items) => items.ToSeq();
}

/// <summary>The scenario names (what the runner executes; several guarantees may share one).</summary>
public static class Scenarios
{
    public const string Complete = "complete";
    public const string WrapperKill = "wrapper-kill";
    public const string Reboot = "reboot";
    public const string EngineRestart = "engine-restart";
    public const string Torn = "torn";
    public const string Suspend = "suspend";
    public const string Quit = "quit";
    public const string Abort = "abort";
    public const string Sparse = "sparse";
    public const string BuildContext = "build-context";
    public const string Probe = "probe";
    public const string NoEngine = "no-engine";
    public const string NoHeartbeat = "no-heartbeat";
    public const string Fail = "fail";
}
