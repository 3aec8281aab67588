using System;
using LanguageExt;

namespace Boinc.Persist.Core.Slots;

/// <summary>The BOINC client's version as init_data.xml gives it (<c>major_version</c>, <c>minor_version</c>, <c>release</c>).</summary>
public sealed record ClientVersion(int Major, int Minor, int Release)
{
    public bool AtLeast(int major, int minor) => Major > major || (Major == major && Minor >= minor);

    public override string ToString() => $"{Major}.{Minor}.{Release}";
}

/// <summary>
/// BOINC client 8.2's start-up cleanup (<c>CLIENT_STATE::docker_cleanup</c> in <c>client/cs_apps.cpp</c>, 8.2.15):
/// unless <c>allow_multiple_clients</c> is set, and when the client detected an engine, it force-removes every
/// container and image whose name starts with <c>boinc__</c> except the names of active tasks whose app version's
/// plan class contains the text <c>docker</c> (<c>strstr</c>: case-sensitive, anywhere in the name). A task of
/// ours under any other plan class has its <c>boinc__</c> container removed whenever the client restarts.
/// init_data.xml's <c>plan_class</c> is the app version's, except for BUDA jobs, where the client writes the
/// workunit's plan class instead (<c>ACTIVE_TASK::init_app_init_data</c>) while the cleanup still tests the app
/// version's: for those the warning judges the name the wrapper can see.
/// </summary>
public static class ClientCleanup
{
    /// <summary>What the client looks for in the plan class (a substring, case-sensitive).</summary>
    public const string PlanClassMark = "docker";

    /// <summary>Whether 8.2's cleanup spares this task's container: the plan class contains <see cref="PlanClassMark"/>.</summary>
    public static bool Spares(string planClass) => planClass.Contains(PlanClassMark, StringComparison.Ordinal);

    /// <summary>
    /// The warning for a task the cleanup will not spare: None for a client older than 8.2 (no cleanup), an
    /// unknown version (standalone, or a client that does not say), or a plan class that contains
    /// <c>docker</c>.
    /// </summary>
    public static Option<string> Warning(Option<ClientVersion> client, string planClass, bool engineDetected, string containerName)
    {
        if (client.Case is not ClientVersion v || !v.AtLeast(8, 2) || Spares(planClass))
            return Option<string>.None;
        var shown = planClass.Length == 0 ? "(none)" : $"'{Printable(planClass)}'";
        var when = engineDetected
            ? "whenever the client restarts while this task runs"
            : "once the client detects a container engine at one of its starts";
        return $"the app version's plan class {shown} does not contain '{PlanClassMark}': BOINC client {v}'s start-up cleanup "
            + $"removes every boinc__* container that no task with a '{PlanClassMark}' plan class uses, so {when} it removes this "
            + $"task's container {containerName} (and a paused job's memory with it); the job then starts again from its last "
            + "committed checkpoint. Project admins: give the app version a plan class whose name contains 'docker' "
            + "(see the README, 'Plan class and client 8.2's cleanup')";
    }

    private static string Printable(string s)
    {
        var p = string.Concat(System.Linq.Enumerable.Select(s, c => char.IsControl(c) || c > '~' ? '?' : c));
        return p.Length > 64 ? p[..64] + "…" : p;
    }
}
