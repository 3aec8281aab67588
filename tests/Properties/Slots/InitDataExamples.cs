using Boinc.Persist.Properties.Diagnostics;
using Boinc.Persist.Core.Diagnostics;
using System.Linq;
using Boinc.Persist.Core.Slots;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Slots;

public class InitDataExamples
{
    /// <summary>Shaped like the file client 7.20.5 (Debian 12) writes: write_init_data_file's order and
    /// formats, host_info with coprocs, global_preferences, app_file entries; no docker fields yet.</summary>
    public const string Client720 = """
<app_init_data>
<major_version>7</major_version>
<minor_version>20</minor_version>
<release>5</release>
<app_version>100</app_version>
<userid>1</userid>
<teamid>0</teamid>
<hostid>4</hostid>
<app_name>docker_test</app_name>
<plan_class>docker</plan_class>
<project_preferences>
<color_scheme>Tahiti Sunset</color_scheme>
</project_preferences>
<user_name>J&#195;&#188;rgen &amp; Co &lt;3</user_name>
<project_dir>/var/lib/boinc-client/projects/127.0.0.1_1_test</project_dir>
<boinc_dir>/var/lib/boinc-client</boinc_dir>
<authenticator>8d1c1b0c2c6a4e9c3f0f4a1b2c3d4e5f</authenticator>
<wu_name>wu_docker_1_1700000000</wu_name>
<result_name>wu_docker_1_1700000000_0</result_name>
<shm_key>-1</shm_key>
<slot>3</slot>
<client_pid>2154</client_pid>
<wu_cpu_time>12.345000</wu_cpu_time>
<starting_elapsed_time>60.500000</starting_elapsed_time>
<using_sandbox>0</using_sandbox>
<vm_extensions_disabled>0</vm_extensions_disabled>
<user_total_credit>0.000000</user_total_credit>
<user_expavg_credit>0.000000</user_expavg_credit>
<host_total_credit>0.000000</host_total_credit>
<host_expavg_credit>0.000000</host_expavg_credit>
<resource_share_fraction>1.000000</resource_share_fraction>
<checkpoint_period>60.000000</checkpoint_period>
<fraction_done_start>0.000000</fraction_done_start>
<fraction_done_end>1.000000</fraction_done_end>
<gpu_type></gpu_type>
<gpu_device_num>-1</gpu_device_num>
<gpu_opencl_dev_index>-1</gpu_opencl_dev_index>
<gpu_usage>0.000000</gpu_usage>
<ncpus>2.000000</ncpus>
<rsc_fpops_est>1000000000000.000000</rsc_fpops_est>
<rsc_fpops_bound>10000000000000.000000</rsc_fpops_bound>
<rsc_memory_bound>536870912.000000</rsc_memory_bound>
<rsc_disk_bound>1000000000.000000</rsc_disk_bound>
<computation_deadline>1700604800.000000</computation_deadline>
<vbox_window>0</vbox_window>
<no_priority_change>0</no_priority_change>
<process_priority>-1</process_priority>
<process_priority_special>-1</process_priority_special>
<host_info>
    <timezone>3600</timezone>
    <domain_name>volunteer-pc</domain_name>
    <ip_addr>192.168.1.20</ip_addr>
    <host_cpid>0123456789abcdef0123456789abcdef</host_cpid>
    <p_ncpus>2</p_ncpus>
    <p_vendor>GenuineIntel</p_vendor>
    <p_model>Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz [Family 6 Model 79 Stepping 1]</p_model>
    <p_features>fpu vme de pse tsc msr pae mce cx8 apic sep mtrr sse sse2</p_features>
    <p_fpops>4000000000.000000</p_fpops>
    <p_iops>12000000000.000000</p_iops>
    <p_membw>1000000000.000000</p_membw>
    <p_calculated>1700000000.000000</p_calculated>
    <p_vm_extensions_disabled>0</p_vm_extensions_disabled>
    <m_nbytes>4101132288.000000</m_nbytes>
    <m_cache>36700160.000000</m_cache>
    <m_swap>1023406080.000000</m_swap>
    <d_total>31526391808.000000</d_total>
    <d_free>20000000000.000000</d_free>
    <os_name>Linux Debian</os_name>
    <os_version>Debian GNU/Linux 12 (bookworm) [6.1.0-13-amd64|libc 2.36]</os_version>
    <n_usable_coprocs>0</n_usable_coprocs>
<coprocs>
</coprocs>
</host_info>
<global_preferences>
   <source_project>http://127.0.0.1/test/</source_project>
   <mod_time>1700000000.000000</mod_time>
   <run_on_batteries>1</run_on_batteries>
   <cpu_usage_limit>100.000000</cpu_usage_limit>
</global_preferences>
<app_file>docker_wrapper_22_x86_64-pc-linux-gnu</app_file>
<app_file>job_1.toml</app_file>
</app_init_data>

""";

    private static SlotContext Parse(string xml) =>
        SlotContexts.Parse("init_data.xml", xml).Value.Match(c => c, () => throw new Xunit.Sdk.XunitException(
            string.Join("; ", SlotContexts.Parse("init_data.xml", xml).Findings)));

    [Fact]
    public void A_7_20_file_gives_every_field_the_wrapper_needs()
    {
        var c = Parse(Client720);
        Assert.Equal("/var/lib/boinc-client/projects/127.0.0.1_1_test", c.ProjectDir);
        Assert.Equal("127.0.0.1_1_test", c.ProjectDirName);
        Assert.Equal("docker_test", c.AppName);
        Assert.Equal("wu_docker_1_1700000000", c.WuName);
        Assert.Equal("wu_docker_1_1700000000_0", c.ResultName);
        Assert.Equal(3, c.Slot);
        Assert.Equal(Option<int>.Some(2154), c.ClientPid);
        Assert.Equal(Option<int>.Some(-1), c.ShmKey);
        Assert.Equal(2.0, c.Ncpus);
        Assert.Equal(536870912.0, c.RscMemoryBound);
        Assert.Equal(1e9, c.RscDiskBound);
        Assert.Equal(12.345, c.WuCpuTime);
        Assert.Equal(60.5, c.StartingElapsedTime);
        Assert.Equal(60.0, c.CheckpointPeriod);
        Assert.Equal((0.0, 1.0), (c.FractionDoneStart, c.FractionDoneEnd));
        Assert.True(c.Gpu.IsNone);
        Assert.True(c.ProxyInfo.IsNone);
        Assert.True(c.ProjectUrl.IsNone);
        Assert.Equal("volunteer-pc", c.HostInfo.Hostname);
        Assert.Equal(2, c.HostInfo.PNcpus);
        Assert.Equal(4101132288.0, c.HostInfo.MNbytes);
        Assert.Equal("Debian GNU/Linux 12 (bookworm) [6.1.0-13-amd64|libc 2.36]", c.HostInfo.OsVersion);
        Assert.True(c.HostInfo.DockerType.IsNone);
        Assert.Equal(ContainerEngine.Unknown, c.HostInfo.Engine);
    }

    [Fact]
    public void A_newer_client_reports_the_engine()
    {
        var xml = Client720.Replace("<n_usable_coprocs>0</n_usable_coprocs>",
            "<n_usable_coprocs>0</n_usable_coprocs>\n    <docker_version>5.4.2</docker_version>\n    <docker_type>2</docker_type>");
        var c = Parse(xml);
        Assert.Equal(Option<int>.Some(2), c.HostInfo.DockerType);
        Assert.Equal(Option<string>.Some("5.4.2"), c.HostInfo.DockerVersion);
        Assert.Equal(ContainerEngine.Podman, c.HostInfo.Engine);
    }

    [Fact]
    public void Escaped_host_strings_are_unescaped_byte_by_byte_like_the_client()
    {
        var xml = Client720.Replace("<p_vendor>GenuineIntel</p_vendor>",
            "<p_vendor>Caf&#195;&#169; &amp; &lt;Co&gt; ]]&gt;</p_vendor>");
        Assert.Equal("Café & <Co> ]]>", Parse(xml).HostInfo.PVendor);
    }

    [Fact]
    public void A_gpu_task_carries_its_device()
    {
        var xml = Client720.Replace("<gpu_type></gpu_type>", "<gpu_type>NVIDIA</gpu_type>")
            .Replace("<gpu_device_num>-1</gpu_device_num>", "<gpu_device_num>1</gpu_device_num>")
            .Replace("<gpu_usage>0.000000</gpu_usage>", "<gpu_usage>0.500000</gpu_usage>");
        Assert.Equal(Option<GpuAssignment>.Some(new GpuAssignment("NVIDIA", 1, -1, 0.5)), Parse(xml).Gpu);
    }

    [Fact]
    public void Malformed_xml_reports_the_file_and_line()
    {
        var lines = Client720.Split('\n');
        lines[20] = "<slot>3</slott>";
        var r = SlotContexts.Parse("init_data.xml", string.Join("\n", lines));
        var e = Assert.Single(r.Errors);
        Assert.Equal(DiagnosticCodes.InitDataMalformed, e.Code);
        Assert.Equal("init_data.xml", e.Where.File);
        Assert.Equal(Option<int>.Some(21), e.Where.Line);
    }

    [Theory]
    [InlineData("", nameof(DiagnosticCodes.InitDataMalformed))]
    [InlineData("not xml at all", nameof(DiagnosticCodes.InitDataMalformed))]
    [InlineData("<app_init_data>", nameof(DiagnosticCodes.InitDataMalformed))]
    [InlineData("<app_init_data><a></app_init_data>", nameof(DiagnosticCodes.InitDataMalformed))]
    [InlineData("<app_init_data/><x/>", nameof(DiagnosticCodes.InitDataMalformed))]
    [InlineData("<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"y\">]>\n<app_init_data/>", nameof(DiagnosticCodes.InitDataMalformed))]
    [InlineData("<init_data><project_dir>/p/x</project_dir></init_data>", nameof(DiagnosticCodes.InitDataWrongRoot))]
    [InlineData("<app_init_data><project_dir>/p/x</project_dir><wu_name>w</wu_name></app_init_data>", nameof(DiagnosticCodes.InitDataMissingElement))]
    [InlineData("<app_init_data><project_dir> </project_dir><wu_name>w</wu_name><result_name>r</result_name></app_init_data>", nameof(DiagnosticCodes.InitDataMissingElement))]
    [InlineData("<app_init_data><project_dir>/p/..</project_dir><wu_name>w</wu_name><result_name>r</result_name></app_init_data>", nameof(DiagnosticCodes.InitDataBadProjectDir))]
    [InlineData("<app_init_data><project_dir>/</project_dir><wu_name>w</wu_name><result_name>r</result_name></app_init_data>", nameof(DiagnosticCodes.InitDataBadProjectDir))]
    public void Hostile_files_are_errors_not_exceptions(string xml, string code)
    {
        var r = SlotContexts.Parse("init_data.xml", xml);
        Assert.False(r.IsOk);
        Assert.Contains(r.Errors, e => e.Code == TestCodes.Named(code) && e.Where.File == "init_data.xml");
    }

    [Theory]
    [InlineData("ncpus", "two")]
    [InlineData("ncpus", "1,5")]
    [InlineData("rsc_memory_bound", "inf")]
    [InlineData("rsc_memory_bound", "nan")]
    [InlineData("slot", "3.5")]
    [InlineData("client_pid", "99999999999")]
    public void A_number_that_does_not_parse_names_its_element_and_line(string element, string value)
    {
        var lines = Client720.Split('\n').ToArray();
        var index = System.Array.FindIndex(lines, l => l.StartsWith($"<{element}>"));
        lines[index] = $"<{element}>{value}</{element}>";
        var r = SlotContexts.Parse("init_data.xml", string.Join("\n", lines));
        var e = Assert.Single(r.Errors);
        Assert.Equal(DiagnosticCodes.InitDataBadNumber, e.Code);
        Assert.Equal(Option<int>.Some(index + 1), e.Where.Line);
        Assert.Equal(Option<string>.Some(element), e.Where.Key);
    }

    [Fact]
    public void Numbers_in_exponent_notation_and_with_spaces_parse()
    {
        var xml = Client720.Replace("<ncpus>2.000000</ncpus>", "<ncpus> 1.5e0 </ncpus>");
        Assert.Equal(1.5, Parse(xml).Ncpus);
    }

    [Fact]
    public void A_DOCTYPE_keeps_its_own_message_and_its_line()
    {
        var r = SlotContexts.Parse("init_data.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"y\">]>\n<app_init_data/>");
        var e = Assert.Single(r.Errors);
        Assert.Equal(DiagnosticCodes.InitDataMalformed, e.Code);
        Assert.Equal(Option<int>.Some(2), e.Where.Line);
        Assert.Equal("init_data.xml must not contain a DOCTYPE; the BOINC client never writes one.", e.Message);
    }

    [Theory]
    [InlineData("<app_init_data xmlns=\"http://boinc.berkeley.edu/\"><project_dir>/p/x</project_dir></app_init_data>", 1)]
    [InlineData("<?xml version=\"1.0\"?>\n<b:app_init_data xmlns:b=\"u\"><project_dir>/p/x</project_dir></b:app_init_data>", 2)]
    [InlineData("\n\n<b:app_init_data><project_dir>/p/x</project_dir></b:app_init_data>", 3)]
    [InlineData("<app_init_data xmlns:b=\"u\"/>", 1)]
    public void A_root_with_a_namespace_is_not_the_clients_root(string xml, int line)
    {
        var e = Assert.Single(SlotContexts.Parse("init_data.xml", xml).Errors);
        Assert.Equal(DiagnosticCodes.InitDataWrongRoot, e.Code);
        Assert.Equal(Option<int>.Some(line), e.Where.Line);
        Assert.Equal(Option<string>.Some("app_init_data"), e.Where.Key);
    }

    [Fact]
    public void A_namespace_below_the_root_is_malformed_at_its_line()
    {
        var lines = Client720.Split('\n');
        var index = System.Array.IndexOf(lines, "<host_info>");
        lines[index] = "<host_info xmlns=\"urn:x\">";
        var e = Assert.Single(SlotContexts.Parse("init_data.xml", string.Join("\n", lines)).Errors);
        Assert.Equal(DiagnosticCodes.InitDataMalformed, e.Code);
        Assert.Equal(Option<int>.Some(index + 1), e.Where.Line);
    }

    [Fact]
    public void The_last_of_repeated_elements_wins_and_unknown_or_nested_elements_are_ignored()
    {
        var xml = Client720.Replace("</app_init_data>",
            "<slot>7</slot>\n<unknown><slot>9</slot><wu_name>other</wu_name></unknown>\n" +
            "<host_info>\n<domain_name>second</domain_name>\n</host_info>\n</app_init_data>");
        var c = Parse(xml);
        Assert.Equal(7, c.Slot);
        Assert.Equal("wu_docker_1_1700000000", c.WuName);
        Assert.Equal(HostInfo.Empty with { Hostname = "second" }, c.HostInfo);
        Assert.Equal(XDocumentOracle.ParseInitData("init_data.xml", xml), SlotContexts.Parse("init_data.xml", xml));
    }

    [Fact]
    public void A_value_split_by_comments_CDATA_and_references_reads_whole()
    {
        var xml = Client720.Replace("<project_dir>/var/lib/boinc-client/projects/127.0.0.1_1_test</project_dir>",
            "<project_dir>\n  /var/lib/<!-- c -->boinc-client/<![CDATA[projects]]>/&#49;27.0.0.1_1_test<?p?>\n</project_dir>");
        Assert.Equal("/var/lib/boinc-client/projects/127.0.0.1_1_test", Parse(xml).ProjectDir);
    }

    [Fact]
    public void Project_preferences_nested_deeper_than_64_levels_are_refused_at_the_line_of_the_65th()
    {
        var lines = Client720.Split('\n');
        var first = System.Array.IndexOf(lines, "<color_scheme>Tahiti Sunset</color_scheme>");
        lines[first] = string.Concat(Enumerable.Repeat("<e>\n", 100_000));
        var e = Assert.Single(SlotContexts.Parse("init_data.xml", string.Join("\n", lines)).Errors);
        Assert.Equal(DiagnosticCodes.InitDataMalformed, e.Code);
        // app_init_data and project_preferences are levels 1 and 2: the 63rd <e> is the 65th level.
        Assert.Equal(Option<int>.Some(first + 63), e.Where.Line);
    }

    [Fact]
    public void Megabytes_of_project_preferences_are_read_past()
    {
        var prefs = string.Concat(Enumerable.Repeat("<pref n=\"1\">value &amp; more<![CDATA[ ]]></pref>\n", 90_000));
        var xml = Client720.Replace("<color_scheme>Tahiti Sunset</color_scheme>", prefs);
        Assert.True(xml.Length > 4_000_000);
        Assert.Equal(Parse(Client720), Parse(xml));
    }
}
