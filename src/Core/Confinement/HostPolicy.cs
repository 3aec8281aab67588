using System;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Planning;
using LanguageExt;

namespace Boinc.Persist.Core.Confinement;

/// <summary>
/// What the volunteer's host accepts beyond the default confinement: relaxing it is the volunteer's decision,
/// never the job's. Read from <c>/etc/boinc-persist/policy.toml</c> (see docs/SECURITY.md). The default
/// (<see cref="Default"/>, also what an absent file means) accepts no capability beyond
/// <see cref="BuiltInCapabilities"/>, no host network, no root user, no <c>no_new_privileges = false</c> and no
/// host mount. Invariant: every list holds upper-case capability names or normalised absolute paths.
/// </summary>
public sealed record HostPolicy(
    string Source,
    Seq<string> Capabilities,
    bool BridgeNetwork,
    bool HostNetwork,
    bool RootUser,
    bool NewPrivileges,
    Seq<string> HostMounts,
    bool Gpu,
    bool PublishedPorts,
    bool ProjectDirWritable)
{
    /// <summary>
    /// Capabilities any host accepts: Docker's own default set without NET_RAW (packet forging), MKNOD
    /// (device nodes) and AUDIT_WRITE (the host's audit log). Each acts only on the container's own processes
    /// and on files it can already reach through its mounts; none reaches the kernel, other processes or the
    /// host's file system (which SYS_ADMIN, SYS_PTRACE, SYS_MODULE, BPF, NET_ADMIN, DAC_READ_SEARCH do).
    /// </summary>
    public static readonly Seq<string> BuiltInCapabilities = new[]
    {
        "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE",
        "SYS_CHROOT", "SETFCAP",
    }.ToSeq();

    public const string DefaultPath = "/etc/boinc-persist/policy.toml";

    /// <summary>The environment variable that names another policy file (for tests and unusual installs).</summary>
    public const string PathVariable = "BOINC_PERSIST_POLICY";

    /// <summary>Bridge networking, GPUs and published ports are accepted by default; the five above, and a writable project directory (from which every later task of the project reads its configuration), are not.</summary>
    public static HostPolicy Default { get; } =
        new("(built-in default)", Seq<string>.Empty, true, false, false, false, Seq<string>.Empty, true, true, false);

    public HostPolicy WithSource(string source) => this with { Source = source };

    /// <summary>Parse a policy file. Errors name the file, line and key; unknown keys are errors (a typo must neither relax nor tighten anything silently).</summary>
    public static Checked<HostPolicy> Parse(string fileName, string text) =>
        TomlTree.Parse(fileName, text).Bind(root => FromTable(fileName, root));

    private static readonly string[] AcceptKeys =
        ["capabilities", "bridge_network", "host_network", "root_user", "new_privileges", "host_mounts", "gpu", "published_ports", "project_dir_writable"];

    private static Checked<HostPolicy> FromTable(string file, TomlNode.Table root)
    {
        var findings = new System.Collections.Generic.List<Diagnostic>();
        void Err(int line, string key, string msg) => findings.Add(Diagnostic.Error(DiagnosticCodes.PolicyBadValue, Location.AtKey(file, line, key), msg));

        foreach (var (key, value) in root.Entries)
            if (key != "accept" && key != Gc.ImageGcPolicy.Table)
                Err(value.Line, key, $"unknown key {key}; the policy has two tables, [accept] and [{Gc.ImageGcPolicy.Table}]");

        var p = Default.WithSource(file);
        var accept = root.Find("accept");
        if (accept.IsSome && accept.IfNone(root) is not TomlNode.Table)
        {
            var n = accept.IfNone(root);
            Err(n.Line, "accept", $"accept must be a table, not {n.TypeName}");
        }

        if (accept.IfNone(root) is TomlNode.Table t && accept.IsSome)
        {
            foreach (var (key, value) in t.Entries)
            {
                var k = "accept." + key;
                if (!AcceptKeys.Contains(key))
                {
                    Err(value.Line, k, $"unknown key {k}; known: {string.Join(", ", AcceptKeys)}");
                    continue;
                }

                switch (key, value)
                {
                    case ("capabilities", TomlNode.Arr a):
                        var caps = a.Items.Map(i => i is TomlNode.Str s ? NormaliseCap(s.Value) : Option<string>.None);
                        if (caps.Exists(c => c.IsNone)) Err(a.Line, k, "capabilities must be capability names such as \"SYS_PTRACE\"");
                        else p = p with { Capabilities = caps.Somes().Distinct().ToSeq() };
                        break;
                    case ("host_mounts", TomlNode.Arr a):
                        var paths = a.Items.Map(i => i is TomlNode.Str s && s.Value.StartsWith('/') ? Paths.NormaliseAbsolute(s.Value) : Option<string>.None);
                        if (paths.Exists(x => x.IsNone)) Err(a.Line, k, "host_mounts must be absolute host paths (a mount source must be at or under one of them)");
                        else p = p with { HostMounts = paths.Somes().ToSeq() };
                        break;
                    case ("bridge_network", TomlNode.Bool b): p = p with { BridgeNetwork = b.Value }; break;
                    case ("host_network", TomlNode.Bool b): p = p with { HostNetwork = b.Value }; break;
                    case ("root_user", TomlNode.Bool b): p = p with { RootUser = b.Value }; break;
                    case ("new_privileges", TomlNode.Bool b): p = p with { NewPrivileges = b.Value }; break;
                    case ("gpu", TomlNode.Bool b): p = p with { Gpu = b.Value }; break;
                    case ("published_ports", TomlNode.Bool b): p = p with { PublishedPorts = b.Value }; break;
                    case ("project_dir_writable", TomlNode.Bool b): p = p with { ProjectDirWritable = b.Value }; break;
                    default:
                        Err(value.Line, k, $"{k} must be {(key is "capabilities" or "host_mounts" ? "an array of strings" : "a boolean")}, not {value.TypeName}");
                        break;
                }
            }
        }

        var ds = findings.ToSeq();
        return Diagnostics.Diagnostics.HasErrors(ds) ? Checked<HostPolicy>.Fail(ds) : Checked<HostPolicy>.Ok(p);
    }

    private static Option<string> NormaliseCap(string name)
    {
        var n = name.Trim().ToUpperInvariant();
        if (n.StartsWith("CAP_", StringComparison.Ordinal)) n = n[4..];
        return n.Length > 0 && n.All(ch => ch is (>= 'A' and <= 'Z') or '_' or (>= '0' and <= '9')) ? n : Option<string>.None;
    }

    /// <summary>One line per thing this policy accepts beyond the default, for <c>doctor</c> and the start log.</summary>
    public Seq<string> Describe()
    {
        var lines = new System.Collections.Generic.List<string>
        {
            $"capabilities: the built-in allow-list ({string.Join(", ", BuiltInCapabilities)})" +
            (Capabilities.IsEmpty ? "" : $" plus {string.Join(", ", Capabilities)}"),
            $"network: none{(BridgeNetwork ? ", bridge" : "")}{(HostNetwork ? ", host" : "")}",
            $"root user: {(RootUser ? "accepted" : "refused")}",
            $"no_new_privileges = false: {(NewPrivileges ? "accepted" : "refused")}",
            $"host mounts: {(HostMounts.IsEmpty ? "refused" : "under " + string.Join(", ", HostMounts))}",
            $"GPUs: {(Gpu ? "accepted" : "refused")}",
            $"published ports: {(PublishedPorts ? "accepted" : "refused")}",
            $"writable project directory: {(ProjectDirWritable ? "accepted" : "refused")}",
        };
        return lines.ToSeq();
    }
}
