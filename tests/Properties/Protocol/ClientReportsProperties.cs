using System;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Shell.Engine;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;
using static Boinc.Persist.Properties.Generators;

namespace Boinc.Persist.Properties.ClientProtocol;

/// <summary>
/// Issue 16 points 1-3, the pure parts: the working set and its peak as the client reads them, the memory cgroup
/// located from the kernel's texts, the web graphics message, and the proxy variables (never a credential).
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 500)]
public class ClientReportsProperties
{
    [Property]
    public Property The_peak_is_sent_never_below_the_working_set_and_both_read_back_as_whole_bytes(WildStatus w, double peak)
    {
        var status = AppStatus.Of(w.Current, w.Checkpoint, w.Fraction, w.Wss, maxWorkingSetBytes: Option<double>.Some(peak));
        var text = status.Format();
        var read = ClientStatusReading.Parse(text);
        return (text.Length < AppStatus.MaxTextLength).Label("fits the channel")
            .And(status.MaxWorkingSetBytes.ForAll(m => m >= status.WorkingSetBytes.IfNone(0)).Label("peak >= wss"))
            .And((read.MaxWorkingSetBytes.IsSome == status.MaxWorkingSetBytes.IsSome).Label("max_wss present iff valid"))
            .And(read.WorkingSetBytes.ForAll(v => v >= 0 && double.IsFinite(v)).Label("wss finite"))
            .And(read.MaxWorkingSetBytes.ForAll(v => v >= 0 && double.IsFinite(v)).Label("max_wss finite"))
            // The client finds <wss> by substring: <max_wss> must not be mistaken for it.
            .And(read.WorkingSetBytes.IsSome == status.WorkingSetBytes.IsSome).Label("wss not confused with max_wss");
    }

    [Fact]
    public void Wss_alone_is_not_read_from_a_max_wss_tag()
    {
        var text = AppStatus.Of(1, 1, 0.5, Option<double>.None, maxWorkingSetBytes: Option<double>.Some(5e8)).Format();
        Assert.Contains("<max_wss>", text, StringComparison.Ordinal);
        Assert.True(ClientStatusReading.Parse(text).WorkingSetBytes.IsNone);
    }

    [Property]
    public Property Working_set_is_usage_minus_inactive_file_and_the_peak_never_falls(long usage, long inactive, long peak, bool hasPeak, long previous)
    {
        var u = CgroupMemoryPaths.Use(Math.Abs(usage % (1L << 50)), Math.Abs(inactive % (1L << 50)), hasPeak ? Option<long>.Some(Math.Abs(peak % (1L << 50))) : Option<long>.None, Math.Abs(previous % (1L << 50)));
        return (u.WorkingSetBytes >= 0).Label("wss >= 0")
            .And((u.WorkingSetBytes <= Math.Abs(usage % (1L << 50))).Label("wss <= usage"))
            .And((u.MaxWorkingSetBytes >= u.WorkingSetBytes).Label("peak >= wss"))
            .And((u.MaxWorkingSetBytes >= Math.Abs(previous % (1L << 50))).Label("peak never falls"));
    }

    private const string Id = "5ef1fc90d246302a515837f22838c31048eb5d22b8b85db3b679308ddb555d1a";

    [Fact]
    public void The_memory_cgroup_is_found_on_v1_hybrid_and_v2_hosts()
    {
        // This machine: v1 memory controller beside an empty v2 tree.
        var hybridMounts = "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        var hybridProc = $"4:memory:/docker/{Id}\n0::/docker/{Id}\n";
        Assert.Equal(new CgroupMemoryDir($"/sys/fs/cgroup/memory/docker/{Id}", 1), Ok(CgroupMemoryPaths.Locate(hybridProc, hybridMounts)));

        var v2Mounts = "30 24 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
        var v2Proc = $"0::/machine.slice/libpod-{Id}.scope\n";
        Assert.Equal(new CgroupMemoryDir($"/sys/fs/cgroup/machine.slice/libpod-{Id}.scope", 2), Ok(CgroupMemoryPaths.Locate(v2Proc, v2Mounts)));

        // Nothing invented: the root v2 cgroup, or a v1 memory cgroup whose hierarchy is not mounted.
        Assert.True(CgroupMemoryPaths.Locate("0::/\n", v2Mounts).IsLeft);
        Assert.True(CgroupMemoryPaths.Locate(hybridProc, "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n").IsLeft);
    }

    [Fact]
    public void Memory_stat_gives_inactive_file_by_version()
    {
        Assert.Equal(300, CgroupMemoryPaths.InactiveFile("cache 9\ninactive_file 7\ntotal_inactive_file 300\n", 1));
        Assert.Equal(7, CgroupMemoryPaths.InactiveFile("anon 5\ninactive_file 7\n", 2));
        Assert.Equal(0, CgroupMemoryPaths.InactiveFile("anon 5\n", 2));
        Assert.True(CgroupMemoryPaths.ParseBytes("max\n").IsNone);
        Assert.Equal(Option<long>.Some(123), CgroupMemoryPaths.ParseBytes("123\n"));
    }

    [Property]
    public Property A_web_graphics_message_reads_back_as_the_client_keeps_it(int port)
    {
        var url = GraphicsReply.LoopbackUrl(port);
        return url.Match(
            u => GraphicsReply.WebGraphicsUrl(u).Match(
                text => (GraphicsReply.ParseWebGraphicsUrl(text) == Option<string>.Some(u)).Label(text)
                    .And((text.Length <= 1022).Label("fits the channel")),
                why => false.Label(why)),
            _ => (port is <= 0 or > 65535).Label("only a TCP port makes a URL"));
    }

    [Property]
    public Property A_URL_the_client_would_cut_or_misparse_is_refused(string url)
    {
        var u = url ?? "";
        var sent = GraphicsReply.WebGraphicsUrl(u);
        return sent.Match(
            text => (GraphicsReply.ParseWebGraphicsUrl(text) == Option<string>.Some(u)).Label("what is sent reads back whole"),
            _ => (u.Length == 0 || u.Length >= GraphicsReply.UrlCapacity || u.Any(c => c <= ' ' || c >= 127 || c is '<' or '>' or '&')).Label("refused only for a reason"));
    }

    private static readonly ProxyInfo NoProxy = new(false, "", 0, false, "", 0, "");

    [Fact]
    public void An_http_proxy_wins_over_socks_and_no_proxy_is_passed_on()
    {
        var p = NoProxy with { UseHttpProxy = true, HttpServerName = "proxy.lan", HttpServerPort = 3128, UseSocksProxy = true, SocksServerName = "s", SocksServerPort = 1080, NoProxy = "localhost,127.0.0.1" };
        var vars = ProxyEnv.Variables(p).ToDictionary(v => v.Key, v => v.Value);
        Assert.Equal("http://proxy.lan:3128", vars["http_proxy"]);
        Assert.Equal("http://proxy.lan:3128", vars["https_proxy"]);
        Assert.Equal("http://proxy.lan:3128", vars["HTTPS_PROXY"]);
        Assert.Equal("localhost,127.0.0.1", vars["no_proxy"]);
        Assert.Equal("localhost,127.0.0.1", vars["NO_PROXY"]);

        var socks = NoProxy with { UseSocksProxy = true, SocksServerName = "10.0.0.1", SocksServerPort = 1080 };
        Assert.Equal(Option<string>.Some("socks5://10.0.0.1:1080"), ProxyEnv.Url(socks));
        Assert.True(ProxyEnv.Variables(NoProxy).IsEmpty);
        Assert.True(ProxyEnv.Variables(Option<ProxyInfo>.None).IsEmpty);
    }

    [Property]
    public Property Proxy_values_are_a_host_and_port_or_nothing(bool http, string host, int port, string noProxy)
    {
        var p = NoProxy with { UseHttpProxy = http, HttpServerName = host ?? "", HttpServerPort = port, UseSocksProxy = !http, SocksServerName = host ?? "", SocksServerPort = port, NoProxy = noProxy ?? "" };
        var vars = ProxyEnv.Variables(p);
        return vars.ForAll(v => !v.Value.Contains('@') && !v.Value.Contains('\n') && !v.Value.Contains('\0') && !v.Value.Contains('"') && !v.Value.Contains('\''))
            .Label("no user info, no line breaks or quotes")
            .And(vars.Filter(v => v.Key.EndsWith("proxy", StringComparison.OrdinalIgnoreCase) && !v.Key.StartsWith("no", StringComparison.OrdinalIgnoreCase))
                .ForAll(v => v.Value.StartsWith(http ? "http://" : "socks5://", StringComparison.Ordinal)).Label("scheme by kind"));
    }

    [Property(MaxTest = 200)]
    public Property The_proxy_reaches_the_build_always_and_the_container_only_with_a_network() =>
        Prop.ForAll(Arb.From(ValidPlanInputGen()), input =>
        {
            var spec = Planner.Make(input).Value.Map(p => p.Container).IfNone(() => throw new InvalidOperationException("invalid plan"));
            var proxy = NoProxy with { UseHttpProxy = true, HttpServerName = "proxy.lan", HttpServerPort = 3128 };
            var applied = ProxyEnv.Apply(spec, proxy);
            var buildHas = applied.Image.Build.BuildArgs.Exists(a => a.Key == "http_proxy");
            var envHas = applied.Env.Exists(e => e.Key == "http_proxy");
            var jobOwn = spec.Env.Filter(e => e.Key == "http_proxy");
            return buildHas.Label("build args")
                .And((applied.Image.Tag == spec.Image.Tag).Label("same image tag"))
                .And((envHas == (spec.Network != NetworkMode.None || jobOwn.Count > 0)).Label("container env iff a network"))
                .And(jobOwn.ForAll(o => applied.Env.Filter(e => e.Key == "http_proxy").ForAll(e => e.Value == o.Value)).Label("job's own value wins"))
                .And((applied with { Image = spec.Image, Env = spec.Env } == spec).Label("nothing else changes"));
        });

    private static T Ok<T>(Either<string, T> e) => e.Match(v => v, why => throw new Xunit.Sdk.XunitException(why));
}
