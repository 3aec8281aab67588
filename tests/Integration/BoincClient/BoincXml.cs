using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Xml.Linq;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// The XML files of a hand-written BOINC data directory, as pure functions of a <see cref="BoincJob"/>
/// (facts: /work/shared/boinc-client/README.md, checked against client 7.20.5).
/// </summary>
public static class BoincXml
{
    public const string GuiRpcPassword = "boinc_persist_test_rpc";

    /// <summary>
    /// The project directory (and account file) name: the URL without its scheme, every character outside
    /// [A-Za-z0-9._-] turned into '_', a trailing '_' dropped (client: <c>escape_project_url</c>).
    /// </summary>
    public static string ProjectDirName(string url)
    {
        var scheme = url.IndexOf("://", System.StringComparison.Ordinal);
        var rest = scheme >= 0 ? url[(scheme + 3)..] : url;
        var chars = rest.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray();
        var name = new string(chars);
        return name.EndsWith('_') ? name[..^1] : name;
    }

    /// <summary>Without it the client drops the project and rejects every file as "outside project".</summary>
    public static string Account(BoincJob job) => Render(new XElement("account",
        new XElement("master_url", job.ProjectUrl),
        new XElement("authenticator", "boinc_persist_test_authenticator"),
        new XElement("project_name", "boinc-persist-test")));

    /// <param name="receivedTime">Unix seconds; the report deadline is a week later.</param>
    /// <param name="client">The running client's version (otherwise it takes its "new client version" path); 7.20.5 when null.</param>
    public static string ClientState(BoincJob job, long receivedTime, ClientVersion? client = null)
    {
        var version = client ?? new ClientVersion(7, 20, 5, "7.20.5");
        var files = new List<XElement>
        {
            new("file", new XElement("name", job.MainProgram.Name), Status(), new XElement("executable")),
        };
        files.AddRange(job.AppVersionFiles.Concat(job.Inputs)
            .Select(f => new XElement("file", new XElement("name", f.Name), Status(), f.Executable ? new XElement("executable") : null)));
        if (job.Output is { } output)
        {
            // No upload URL: with <sticky/> the result ends "uploaded" and the file stays in the project dir.
            files.Add(new XElement("file", new XElement("name", output.Name),
                new XElement("max_nbytes", output.MaxNbytes), new XElement("sticky")));
        }

        return Render(new XElement("client_state",
            // The running client's own version: otherwise it takes its "new client version" path.
            new XElement("core_client_major_version", version.Major),
            new XElement("core_client_minor_version", version.Minor),
            new XElement("core_client_release", version.Release),
            new XElement("platform_name", job.Platform),
            new XElement("user_run_request", 1),      // run always, whatever the CPU load or user activity
            new XElement("user_gpu_request", 3),
            // Network allowed, as on a volunteer's host: "never" (or --unsigned_apps_ok, which implies it) makes
            // the client tell apps <network_suspended/>, and a wrapper then builds no image (docker_wrapper waits
            // the same way). The client still contacts nothing: the project is on 127.0.0.1:1, in the client's
            // private network namespace, with no work requested and no info fetch.
            new XElement("user_network_request", 1),
            new XElement("project",
                new XElement("master_url", job.ProjectUrl),
                new XElement("project_name", "boinc-persist-test"),
                new XElement("dont_request_more_work")),
            new XElement("app", new XElement("name", job.AppName)),
            files,
            new XElement("app_version",
                new XElement("app_name", job.AppName),
                new XElement("version_num", job.VersionNum),
                new XElement("platform", job.Platform),
                job.PlanClass is { } appPlanClass ? new XElement("plan_class", appPlanClass) : null,
                new XElement("api_version", "7.20.5"),  // >= 6.0, or there is no boinc_mmap_file
                new XElement("avg_ncpus", 1),
                new XElement("flops", Number(job.Flops)),
                new XElement("file_ref", new XElement("file_name", job.MainProgram.Name), new XElement("main_program")),
                job.AppVersionFiles.Select(FileRef)),
            new XElement("workunit",
                new XElement("name", job.WorkunitName),
                new XElement("app_name", job.AppName),
                new XElement("version_num", job.VersionNum),
                new XElement("command_line", job.CommandLine),
                new XElement("rsc_fpops_est", Number(job.RscFpopsEst)),
                new XElement("rsc_fpops_bound", Number(job.RscFpopsBound)),
                new XElement("rsc_memory_bound", Number(job.RscMemoryBound)),
                new XElement("rsc_disk_bound", Number(job.RscDiskBound)),
                job.Inputs.Select(FileRef)),
            new XElement("result",
                new XElement("name", job.ResultName),
                new XElement("wu_name", job.WorkunitName),
                new XElement("platform", job.Platform),
                new XElement("version_num", job.VersionNum),
                job.PlanClass is { } resultPlanClass ? new XElement("plan_class", resultPlanClass) : null,
                new XElement("state", 2),  // RESULT_FILES_DOWNLOADED: ready to run
                new XElement("received_time", receivedTime),
                new XElement("report_deadline", receivedTime + 7 * 86400),
                job.Output is { } o
                    ? new XElement("file_ref", new XElement("file_name", o.Name), new XElement("open_name", o.OpenName),
                        o.Optional ? new XElement("optional") : null, o.Copy ? new XElement("copy_file") : null)
                    : null)));
    }

    /// <summary>No info fetch, no benchmarks, no GPUs, normal priority, useful log flags (network mode: see the state file).</summary>
    public static string CcConfig() => Render(new XElement("cc_config",
        new XElement("log_flags",
            new[] { "task", "task_debug", "slot_debug", "cpu_sched", "app_msg_send", "checkpoint_debug", "unparsed_xml" }
                .Select(flag => new XElement(flag))),
        new XElement("options",
            new[]
            {
                "no_info_fetch", "skip_cpu_benchmarks", "no_gpus", "dont_contact_ref_site",
                "suppress_net_info", "no_priority_change",
            }.Select(option => new XElement(option, 1)))));

    /// <summary>
    /// leave_apps_in_memory: otherwise a GUI suspend of a task that has checkpointed arrives as &lt;quit/&gt;.
    /// </summary>
    public static string GlobalPrefsOverride() => Render(new XElement("global_preferences",
        new XElement("run_on_batteries", 1),
        new XElement("run_if_user_active", 1),
        new XElement("suspend_cpu_usage", 0),
        new XElement("cpu_usage_limit", 100),
        new XElement("max_ncpus_pct", 100),
        new XElement("leave_apps_in_memory", 1),
        new XElement("disk_interval", 60)));

    private static XElement FileRef(JobFile file) => new("file_ref",
        new XElement("file_name", file.Name),
        new XElement("open_name", file.OpenName),
        file.Copy ? new XElement("copy_file") : null);

    // status 1 = present; no nbytes/md5: the client would DELETE a file whose size differs from nbytes.
    private static XElement Status() => new("status", 1);

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Render(XElement root)
    {
        // BOINC's parser wants empty tags as <tag/>; LINQ to XML writes <tag />. Text content is escaped, so the
        // sequence " />" occurs only in tags.
        var text = new StringBuilder();
        foreach (var line in root.ToString(SaveOptions.None).Split('\n'))
        {
            text.Append(line.TrimEnd('\r').Replace(" />", "/>", System.StringComparison.Ordinal)).Append('\n');
        }

        return text.ToString();
    }
}
