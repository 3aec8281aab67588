using System.Globalization;
using System.Linq;
using System.Text;
using Boinc.Persist.Core.Slots;

namespace Boinc.Persist.Properties.Slots;

/// <summary>
/// Writes a <see cref="SlotContext"/> the way the client's <c>write_init_data_file</c> does (element order,
/// <c>%d</c>/<c>%f</c> numbers, raw names, <c>xml_escape</c> on host strings), for round-trip tests.
/// </summary>
public static class InitDataWriter
{
    public static string Write(SlotContext c)
    {
        var b = new StringBuilder();
        void Line(string tag, string value) => b.Append(tag.StartsWith(' ') ? "    " : "").Append('<').Append(tag.Trim()).Append('>').Append(value)
            .Append("</").Append(tag.Trim()).Append(">\n");
        var v = c.ClientVersion.IfNone(new ClientVersion(7, 20, 5));
        b.Append($"<app_init_data>\n<major_version>{v.Major}</major_version>\n<minor_version>{v.Minor}</minor_version>\n")
         .Append($"<release>{v.Release}</release>\n<app_version>100</app_version>\n<userid>1</userid>\n<teamid>0</teamid>\n")
         .Append("<hostid>3</hostid>\n");
        if (c.PlanClass.Length > 0)
            Line("plan_class", c.PlanClass);
        Line("app_name", c.AppName);
        c.ProjectUrl.IfSome(u => Line("master_url", u));
        Line("project_dir", c.ProjectDir);
        Line("boinc_dir", "/var/lib/boinc-client");
        Line("authenticator", "0123456789abcdef");
        Line("wu_name", c.WuName);
        Line("result_name", c.ResultName);
        c.ShmKey.IfSome(k => Line("shm_key", D(k)));
        Line("slot", D(c.Slot));
        c.ClientPid.IfSome(p => Line("client_pid", D(p)));
        Line("wu_cpu_time", F(c.WuCpuTime));
        Line("starting_elapsed_time", F(c.StartingElapsedTime));
        Line("using_sandbox", "0");
        Line("checkpoint_period", F(c.CheckpointPeriod));
        Line("fraction_done_start", F(c.FractionDoneStart));
        Line("fraction_done_end", F(c.FractionDoneEnd));
        var gpu = c.Gpu.Match(g => g, () => new GpuAssignment("", -1, -1, 0));
        Line("gpu_type", gpu.GpuType);
        Line("gpu_device_num", D(gpu.GpuDeviceNum));
        Line("gpu_opencl_dev_index", D(gpu.GpuOpenclDevIndex));
        Line("gpu_usage", F(gpu.GpuUsage));
        Line("ncpus", F(c.Ncpus));
        Line("rsc_fpops_est", F(c.RscFpopsEst));
        Line("rsc_memory_bound", F(c.RscMemoryBound));
        Line("rsc_disk_bound", F(c.RscDiskBound));
        Line("computation_deadline", F(1700000000.5));
        var h = c.HostInfo;
        b.Append("<host_info>\n    <timezone>3600</timezone>\n");
        Line("    domain_name", h.Hostname);
        Line("    p_ncpus", D(h.PNcpus));
        Line("    p_vendor", XmlEscape(h.PVendor));
        Line("    p_model", XmlEscape(h.PModel));
        Line("    m_nbytes", F(h.MNbytes));
        Line("    os_name", XmlEscape(h.OsName));
        Line("    os_version", XmlEscape(h.OsVersion));
        h.DockerVersion.IfSome(v =>
        {
            Line("    docker_version", v);
            Line("    docker_type", D(h.DockerType.IfNone(0)));
        });
        b.Append("</host_info>\n");
        c.ProxyInfo.IfSome(p =>
        {
            b.Append("<proxy_info>\n");
            if (p.UseHttpProxy) b.Append("    <use_http_proxy/>\n");
            if (p.UseSocksProxy) b.Append("    <use_socks_proxy/>\n");
            Line("    socks_server_name", p.SocksServerName);
            Line("    socks_server_port", D(p.SocksServerPort));
            Line("    http_server_name", p.HttpServerName);
            Line("    http_server_port", D(p.HttpServerPort));
            Line("    no_proxy", p.NoProxy);
            b.Append("</proxy_info>\n");
        });
        b.Append("</app_init_data>\n");
        return b.ToString();
    }

    public static string D(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>C's <c>%f</c>: six decimals, no grouping.</summary>
    public static string F(double v) => v.ToString("F6", CultureInfo.InvariantCulture);

    /// <summary>The client's <c>xml_escape</c>: works on UTF-8 bytes, escapes each byte above 127.</summary>
    public static string XmlEscape(string s)
    {
        var b = new StringBuilder();
        var bytes = Encoding.UTF8.GetBytes(s);
        for (var i = 0; i < bytes.Length; i++)
        {
            var x = bytes[i];
            if (x == '<') b.Append("&lt;");
            else if (x == '&') b.Append("&amp;");
            else if (x > 127) b.Append("&#").Append(x.ToString(CultureInfo.InvariantCulture)).Append(';');
            else if (x < 32) { if (x is 9 or 10 or 13) b.Append("&#").Append(x).Append(';'); }
            else if (x == ']' && i + 2 < bytes.Length && bytes[i + 1] == ']' && bytes[i + 2] == '>')
            {
                b.Append("]]&gt;");
                i += 2;
            }
            else b.Append((char)x);
        }
        return b.ToString();
    }
}
