using System;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Planning;
using LanguageExt;

namespace Boinc.Persist.Core.Confinement;

/// <summary>
/// The job's relaxations against the host's policy. In a slot (<paramref name="enforce"/>) a relaxation the
/// policy does not accept is an error (the job does not run: a compute error, with these lines in stderr.txt)
/// and every relaxation in force is a warning, so it is logged at start; checking a job directory on its own,
/// the refusals are warnings (another host may accept them). Host mounts are judged by the shell on real paths
/// (<see cref="HostMountRefusal"/>).
/// </summary>
public static class PolicyCheck
{
    public static Seq<Diagnostic> Check(HostPolicy policy, JobFile job, Plan plan, bool enforce)
    {
        var c = job.Config;
        var k = c.Confinement;
        var found = new System.Collections.Generic.List<Diagnostic>();
        void Refuse(DiagnosticCode code, string key, string what, string accept) =>
            found.Add(enforce
                ? Diagnostic.Error(code, job.Where(key), $"{what} is not accepted on this host (policy {policy.Source}); the volunteer can accept it with {accept} in [accept]")
                : Diagnostic.Warning(code, job.Where(key), $"{what} needs the host's consent: the default policy refuses it (a volunteer accepts it with {accept} in [accept] of {HostPolicy.DefaultPath})"));

        var accepted = HostPolicy.BuiltInCapabilities.Then(policy.Capabilities);
        foreach (var cap in k.CapAdd.Map(Normalise).Distinct())
            if (!accepted.Exists(a => a == cap) && !(policy.Capabilities.Exists(a => a == "ALL")))
                Refuse(DiagnosticCodes.PolicyCapabilityRefused, "confinement.cap_add", $"capability {cap}", $"capabilities = [\"{cap}\"]");

        if (k.Network == NetworkMode.Host && !policy.HostNetwork)
            Refuse(DiagnosticCodes.PolicyHostNetworkRefused, "confinement.network", "the host's network (network = \"host\")", "host_network = true");
        if (k.Network == NetworkMode.Bridge && !policy.BridgeNetwork)
            Refuse(DiagnosticCodes.PolicyBridgeNetworkRefused, "confinement.network", "a bridge network", "bridge_network = true");
        // The slot's owner is the host's choice (a client running as root makes it root), never the job's request.
        if (k.User is not UserMode.SlotOwner && RunsAsRoot(plan.Container.User) && !policy.RootUser)
            Refuse(DiagnosticCodes.PolicyRootUserRefused, "confinement.user", $"running as root ({plan.Container.User.IfNone("the image's default user")})", "root_user = true");
        if (!k.NoNewPrivileges && !policy.NewPrivileges)
            Refuse(DiagnosticCodes.PolicyNewPrivilegesRefused, "confinement.no_new_privileges", "no_new_privileges = false", "new_privileges = true");
        if (c.UseGpu && !policy.Gpu)
            Refuse(DiagnosticCodes.PolicyGpuRefused, "use_gpu", "the host's GPUs", "gpu = true");
        if (!c.PortMaps.IsEmpty && !policy.PublishedPorts)
            Refuse(DiagnosticCodes.PolicyPublishedPortsRefused, "portmap", "ports published on the host", "published_ports = true");
        if (k.ProjectDirWritable && c.ProjectDirMount.IsSome && !policy.ProjectDirWritable)
            Refuse(DiagnosticCodes.PolicyWritableProjectDirRefused, "confinement.project_dir_writable", "a writable project directory (every later task of the project reads its configuration there)", "project_dir_writable = true");

        if (enforce && !found.Exists(d => d.IsError))
            foreach (var r in plan.Relaxations)
                found.Add(Diagnostic.Warning(DiagnosticCodes.PolicyRelaxationInForce, job.Where(r.Key), $"relaxation in force: {r.What} (host policy {policy.Source})"));
        return found.ToSeq();
    }

    /// <summary>Why a host mount source (a real, normalised path outside the slot and project) is refused, if it is.</summary>
    public static Option<string> HostMountRefusal(HostPolicy policy, string realSource) =>
        policy.HostMounts.Exists(p => Paths.IsAtOrUnder(realSource, p))
            ? Option<string>.None
            : Option<string>.Some(
                $"mount source {realSource} is a host path, which is not accepted on this host (policy {policy.Source}{(policy.HostMounts.IsEmpty ? ", which accepts no host mount" : $", which accepts host mounts under {string.Join(", ", policy.HostMounts)}")}); the volunteer can accept it with host_mounts = [\"{realSource}\"] in [accept]");

    /// <summary>A user spec that is root: none (the image's default), uid 0 or the name root.</summary>
    public static bool RunsAsRoot(Option<string> user) =>
        user.Match(u =>
        {
            var name = u.Split(':')[0].Trim();
            return name.Length == 0 || name == "0" || name == "root";
        }, () => true);

    private static string Normalise(string cap)
    {
        var n = cap.Trim().ToUpperInvariant();
        return n.StartsWith("CAP_", StringComparison.Ordinal) ? n[4..] : n;
    }
}
