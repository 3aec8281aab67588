using System;
using System.Collections.Generic;
using System.Globalization;
using Boinc.Persist.Core.Diagnostics;
using LanguageExt;

namespace Boinc.Persist.Core.Slots;

/// <summary>
/// Reads the text of <c>init_data.xml</c> (as written by the client's <c>write_init_data_file</c>) into a
/// <see cref="SlotContext"/>, through <see cref="XmlText"/> (the job can rewrite its slot, so the text is hostile).
/// Unknown elements are ignored; when an element repeats, the last one wins (as in the client's parser). Numbers
/// are parsed in invariant notation (the client writes <c>%d</c>, <c>%f</c>).
/// </summary>
public static class SlotContexts
{
    private const string RootName = "app_init_data";

    public static Checked<SlotContext> Parse(string fileName, string xml) =>
        XmlText.Parse(xml).Match(
            Right: root => root.Name == RootName
                ? new Reader(fileName, root).Context()
                : Checked<SlotContext>.Fail(Diagnostic.Error(
                    DiagnosticCodes.InitDataWrongRoot, Location.AtKey(fileName, root.Line, root.Name),
                    $"the root element is <{root.Name}>, expected <{RootName}>.")),
            Left: error => Checked<SlotContext>.Fail(Refused(fileName, error)));

    /// <summary>The last segment of a project directory path, ignoring trailing slashes.</summary>
    public static string LastSegment(string projectDir)
    {
        var trimmed = projectDir.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed.Substring(slash + 1);
    }

    private static Diagnostic Refused(string fileName, XmlError error) => error switch
    {
        XmlError.Doctype d => Diagnostic.Error(
            DiagnosticCodes.InitDataMalformed, Location.At(fileName, d.Line),
            "init_data.xml must not contain a DOCTYPE; the BOINC client never writes one."),
        // A root in a namespace is not the client's <app_init_data>, whatever its local name (as XDocument saw it).
        XmlError.UsesNamespace { OnRoot: true } n => Diagnostic.Error(
            DiagnosticCodes.InitDataWrongRoot, Location.AtKey(fileName, n.Line, LocalName(n.ElementName)),
            $"the root element <{n.ElementName}> uses an XML namespace, expected a plain <{RootName}>."),
        XmlError.UsesNamespace n => Diagnostic.Error(
            DiagnosticCodes.InitDataMalformed, Location.At(fileName, n.Line),
            $"<{n.ElementName}> uses an XML namespace, which the BOINC client never writes."),
        XmlError.Malformed m => Diagnostic.Error(
            DiagnosticCodes.InitDataMalformed, Location.At(fileName, m.Line),
            $"init_data.xml is not well-formed XML: {m.Reason}."),
        _ => throw new InvalidOperationException($"unknown XML error {error}"),
    };

    private static string LocalName(string name) => name.Substring(name.LastIndexOf(':') + 1);

    /// <summary>Reads one parent element's children, collecting findings as it goes.</summary>
    private sealed class Reader
    {
        private readonly string _file;
        private readonly XmlNode.Element _parent;
        private Seq<Diagnostic> _findings = Seq<Diagnostic>.Empty;

        /// <summary>The last child of each name, found in one pass: a hostile file may hold a million children.</summary>
        private readonly Dictionary<string, XmlNode.Element> _last = new(StringComparer.Ordinal);

        public Reader(string file, XmlNode.Element parent)
        {
            _file = file;
            _parent = parent;
            foreach (var child in parent.Children)
                _last[child.Name] = child;
        }

        private Reader Child(XmlNode.Element e) => new(_file, e);

        public Checked<SlotContext> Context()
        {
            var projectDir = Required("project_dir");
            var wuName = Required("wu_name");
            var resultName = Required("result_name");
            var dirName = LastSegment(projectDir);
            if (projectDir.Length > 0 && (dirName.Length == 0 || dirName == "." || dirName == ".."))
                _findings = _findings.Add(Diagnostic.Error(
                    DiagnosticCodes.InitDataBadProjectDir, Where("project_dir"),
                    $"project_dir '{projectDir}' has no directory name at its end."));

            var gpuType = Str("gpu_type");
            var gpu = gpuType.Length == 0
                ? Option<GpuAssignment>.None
                : Option<GpuAssignment>.Some(new GpuAssignment(
                    gpuType, Int("gpu_device_num", -1), Int("gpu_opencl_dev_index", -1), Num("gpu_usage", 0)));

            var host = Last("host_info").Match(e => Child(e).Host(this), () => HostInfo.Empty);
            var proxy = Last("proxy_info").Map(e => Child(e).Proxy(this));

            var ctx = new SlotContext(
                ProjectDir: projectDir,
                ProjectDirName: dirName,
                ProjectUrl: OptStr("master_url").IsSome ? OptStr("master_url") : OptStr("project_url"),
                AppName: Str("app_name"),
                WuName: wuName,
                ResultName: resultName,
                Slot: Int("slot", 0),
                ClientPid: OptInt("client_pid"),
                ShmKey: OptInt("shm_key"),
                Ncpus: Num("ncpus", 1),
                RscMemoryBound: Num("rsc_memory_bound", 0),
                RscDiskBound: Num("rsc_disk_bound", 0),
                RscFpopsEst: Num("rsc_fpops_est", 0),
                WuCpuTime: Num("wu_cpu_time", 0),
                StartingElapsedTime: Num("starting_elapsed_time", 0),
                CheckpointPeriod: Num("checkpoint_period", 0),
                FractionDoneStart: Num("fraction_done_start", 0),
                FractionDoneEnd: Num("fraction_done_end", 1),
                Gpu: gpu,
                HostInfo: host,
                ProxyInfo: proxy)
            {
                // Bind, not query syntax: a query's transparent identifiers are anonymous types, which this program
                // has none of (src/Shell/LanguageExt.Substitutions.xml).
                ClientVersion = OptInt("major_version").Bind(major => OptInt("minor_version").Bind(minor =>
                    OptInt("release").Map(release => new ClientVersion(major, minor, release)))),
                PlanClass = OptStr("plan_class").IfNone(""),
            };
            return Checked<SlotContext>.Of(ctx, _findings);
        }

        private HostInfo Host(Reader outer)
        {
            var h = new HostInfo(
                Hostname: Str("domain_name"),
                PNcpus: Int("p_ncpus", 0),
                MNbytes: Num("m_nbytes", 0),
                OsName: Escaped("os_name"),
                OsVersion: Escaped("os_version"),
                PVendor: Escaped("p_vendor"),
                PModel: Escaped("p_model"),
                DockerType: OptInt("docker_type"),
                DockerVersion: OptStr("docker_version"));
            outer._findings = outer._findings.Then(_findings);
            return h;
        }

        private ProxyInfo Proxy(Reader outer)
        {
            var p = new ProxyInfo(
                UseHttpProxy: Flag("use_http_proxy"),
                HttpServerName: Str("http_server_name"),
                HttpServerPort: Int("http_server_port", 0),
                UseSocksProxy: Flag("use_socks_proxy"),
                SocksServerName: Str("socks_server_name"),
                SocksServerPort: Int("socks_server_port", 0),
                NoProxy: Str("no_proxy"));
            outer._findings = outer._findings.Then(_findings);
            return p;
        }

        private Option<XmlNode.Element> Last(string name) =>
            _last.TryGetValue(name, out var e) ? Option<XmlNode.Element>.Some(e) : Option<XmlNode.Element>.None;

        private Location Where(string name) =>
            Location.AtKey(_file, Last(name).Match(e => e.Line, () => _parent.Line), Path(name));

        private string Path(string name) =>
            _parent.Name == RootName ? name : $"{_parent.Name}/{name}";

        private Option<string> OptStr(string name) =>
            Last(name).Map(e => e.Value.Trim()).Filter(s => s.Length > 0);

        private string Str(string name) => OptStr(name).IfNone("");

        /// <summary>A string the client wrote through <c>xml_escape</c>, which escapes each byte above 127 on
        /// its own (<c>&amp;#195;&amp;#169;</c> for é); the XML reader gives back Latin-1 characters, so
        /// they are reassembled into UTF-8 here.</summary>
        private string Escaped(string name) => BoincText.ReassembleUtf8(Str(name));

        private bool Flag(string name) => Last(name).Match(
            e => e.Value.Trim() is var v && (v.Length == 0 || (v != "0" && !v.Equals("false", StringComparison.OrdinalIgnoreCase))),
            () => false);

        private string Required(string name)
        {
            var v = Str(name);
            if (v.Length == 0)
                _findings = _findings.Add(Diagnostic.Error(
                    DiagnosticCodes.InitDataMissingElement, Where(name),
                    $"<{Path(name)}> is missing or empty; the BOINC client always writes it."));
            return v;
        }

        private Option<int> OptInt(string name) => Last(name).Bind(e =>
        {
            var text = e.Value.Trim();
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
                return Option<int>.Some(v);
            BadNumber(e, name, text, "an integer");
            return Option<int>.None;
        });

        private int Int(string name, int dflt) => OptInt(name).IfNone(dflt);

        private double Num(string name, double dflt) => Last(name).Match(
            e =>
            {
                var text = e.Value.Trim();
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                    && double.IsFinite(v))
                    return v;
                BadNumber(e, name, text, "a finite number");
                return dflt;
            },
            () => dflt);

        private void BadNumber(XmlNode.Element e, string name, string text, string expected) =>
            _findings = _findings.Add(Diagnostic.Error(
                DiagnosticCodes.InitDataBadNumber, Location.AtKey(_file, e.Line, Path(name)),
                $"<{Path(name)}> holds '{text}', expected {expected} such as the client writes."));
    }
}
