using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// Jobs whose main program is <c>boinc-persist</c>, laid out the way a project deploys a docker_wrapper app:
/// job.toml and the Dockerfile are app-version files that reach the slot as &lt;soft_link&gt; link files (physical
/// files job_1.toml and Dockerfile_1 in projects/&lt;dir&gt;/), the workload's own files are further app-version
/// or input files. The container sees the slot at WORKDIR and, with <c>project_dir_mount</c>, the project
/// directory read-only.
/// </summary>
public static class WrapperJobs
{
    /// <summary>
    /// The wrapper the real client runs: <c>BOINC_PERSIST_BIN</c> when set (CI: the Native AOT binary projects
    /// ship), else the boinc-persist apphost built next to this test assembly (Shell is a project reference).
    /// </summary>
    public static string BoincPersistExecutable
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("BOINC_PERSIST_BIN") is { Length: > 0 } bin
                ? Path.GetFullPath(bin)
                : Path.Combine(AppContext.BaseDirectory, "boinc-persist");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"boinc-persist is not built next to the tests ({path}); build the solution.", path);
        }
    }

    /// <param name="jobToml">The app version's job.toml text.</param>
    /// <param name="dockerfile">The app version's Dockerfile text (FROM a local image: there is no registry).</param>
    /// <param name="appFiles">Further app-version files, e.g. the workload script the container runs from /project.</param>
    /// <param name="inputs">The workunit's input files.</param>
    /// <param name="commandLine">The workunit's command line (boinc-persist passes it on to the container).</param>
    public static BoincJob ForBoincPersist(
        string jobToml,
        string dockerfile,
        IEnumerable<JobFile>? appFiles = null,
        IEnumerable<JobFile>? inputs = null,
        string commandLine = "") => new()
    {
        AppName = "boinc_persist_app",
        // As projects deploy Docker apps: client 8.2 runs them only with an engine it detected, and its start-up
        // cleanup spares the containers of active tasks only when the plan class says "docker". 7.20 ignores it.
        PlanClass = "docker",
        MainProgram = MainProgram.ExecOf(BoincPersistExecutable, "boinc-persist_1.00"),
        AppVersionFiles = ImmutableList.Create(
                new JobFile("job_1.toml", "job.toml", new FileContent.Text(jobToml)),
                new JobFile("Dockerfile_1", "Dockerfile", new FileContent.Text(dockerfile)))
            .AddRange(appFiles ?? []),
        Inputs = (inputs ?? []).ToImmutableList(),
        CommandLine = commandLine,
    };

    /// <summary>
    /// Client options that hand the app what a wrapper under test needs: the engine endpoint, the base image
    /// and whatever labels the test passes on (the client's environment is inherited by its apps).
    /// A TCP endpoint keeps the client out of a private network namespace, where that address would not exist.
    /// </summary>
    public static BoincClientOptions OptionsFor(Uri engineEndpoint, IReadOnlyDictionary<string, string>? environment = null) => new()
    {
        PrivateNetwork = engineEndpoint.Scheme == "unix",
        Environment = ImmutableDictionary.CreateRange(environment ?? ImmutableDictionary<string, string>.Empty)
            .SetItem("DOCKER_HOST", engineEndpoint.ToString()),
    };
}
