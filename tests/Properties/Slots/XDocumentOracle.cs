using System;
using System.Globalization;
using System.Linq;
using System.Xml;
using System.Xml.Linq;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Slots;
using LanguageExt;

namespace Boinc.Persist.Properties.Slots;

/// <summary>
/// THE ORACLE, not product code: <c>SlotContexts</c> as it was while it read init_data.xml with
/// <c>XDocument</c> (System.Xml, until issue 17 replaced it with <see cref="XmlText"/>), kept verbatim but for
/// its name, so the properties can check that the new reader accepts nothing XDocument refused and reads
/// what XDocument read. Also the elements XDocument sees in a text, for the reader's own properties.
/// </summary>
public static class XDocumentOracle
{
    /// <summary>Every element in document order, with its line and <c>XElement.Value</c>; None when XDocument refuses the text.</summary>
    public static Option<Seq<(string Name, int Line, string Value)>> Elements(string xml)
    {
        try
        {
            var doc = XDocument.Parse(xml, LoadOptions.SetLineInfo);
            return doc.Root!.DescendantsAndSelf()
                .Select(e => (e.Name.ToString(), LineOf(e), e.Value))
                .ToSeq().Strict();
        }
        catch (XmlException)
        {
            return Option<Seq<(string, int, string)>>.None;
        }
    }

    /// <summary>The old <c>SlotContexts.Parse</c>.</summary>
    public static Checked<SlotContext> ParseInitData(string fileName, string xml)
    {
        if (xml.Contains("<!DOCTYPE", StringComparison.Ordinal))
            return Checked<SlotContext>.Fail(Diagnostic.Error(
                DiagnosticCodes.InitDataMalformed,
                Location.At(fileName, LineOf(xml, xml.IndexOf("<!DOCTYPE", StringComparison.Ordinal))),
                "init_data.xml must not contain a DOCTYPE; the BOINC client never writes one."));

        XDocument doc;
        try
        {
            doc = XDocument.Parse(xml, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            var where = e.LineNumber > 0 ? Location.At(fileName, e.LineNumber) : Location.InFile(fileName);
            return Checked<SlotContext>.Fail(Diagnostic.Error(
                DiagnosticCodes.InitDataMalformed, where, $"init_data.xml is not well-formed XML: {e.Message}"));
        }

        var root = doc.Root!;
        if (root.Name.LocalName != "app_init_data" || root.Name.Namespace != XNamespace.None)
            return Checked<SlotContext>.Fail(Diagnostic.Error(
                DiagnosticCodes.InitDataWrongRoot,
                Location.AtKey(fileName, LineOf(root), root.Name.LocalName),
                $"the root element is <{root.Name.LocalName}>, expected <app_init_data>."));

        return new Reader(fileName, root).Context();
    }

    /// <summary>The last segment of a project directory path, ignoring trailing slashes.</summary>
    public static string LastSegment(string projectDir)
    {
        var trimmed = projectDir.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed.Substring(slash + 1);
    }

    private static int LineOf(XObject x) => ((IXmlLineInfo)x).HasLineInfo() ? ((IXmlLineInfo)x).LineNumber : 1;

    private static int LineOf(string text, int index) => 1 + text.Take(Math.Max(index, 0)).Count(c => c == '\n');

    /// <summary>Reads one parent element's children, collecting findings as it goes.</summary>
    private sealed class Reader
    {
        private readonly string _file;
        private readonly XElement _parent;
        private Seq<Diagnostic> _findings = Seq<Diagnostic>.Empty;

        public Reader(string file, XElement parent)
        {
            _file = file;
            _parent = parent;
        }

        private Reader Child(XElement e) => new(_file, e);

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
                ClientVersion =
                    from major in OptInt("major_version")
                    from minor in OptInt("minor_version")
                    from release in OptInt("release")
                    select new ClientVersion(major, minor, release),
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

        private Option<XElement> Last(string name) =>
            Optional(_parent.Elements(name).LastOrDefault());

        private Location Where(string name) =>
            Location.AtKey(_file, Last(name).Match(LineOf, () => LineOf(_parent)), Path(name));

        private string Path(string name) =>
            _parent.Name.LocalName == "app_init_data" ? name : $"{_parent.Name.LocalName}/{name}";

        private Option<string> OptStr(string name) =>
            Last(name).Map(e => e.Value.Trim()).Filter(s => s.Length > 0);

        private string Str(string name) => OptStr(name).IfNone("");

        /// <summary>A string the client wrote through <c>xml_escape</c>, which escapes each byte above 127 on
        /// its own (<c>&amp;#195;&amp;#169;</c> for é); the XML parser gives back Latin-1 characters, so
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

        private void BadNumber(XElement e, string name, string text, string expected) =>
            _findings = _findings.Add(Diagnostic.Error(
                DiagnosticCodes.InitDataBadNumber, Location.AtKey(_file, LineOf(e), Path(name)),
                $"<{Path(name)}> holds '{text}', expected {expected} such as the client writes."));

        private static Option<XElement> Optional(XElement? e) =>
            e is null ? Option<XElement>.None : Option<XElement>.Some(e);
    }
}
