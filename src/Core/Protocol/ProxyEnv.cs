using System;
using System.Globalization;
using System.Linq;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Slots;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Boinc.Persist.Core.Protocol;

/// <summary>
/// The client's proxy (init_data.xml <c>proxy_info</c>) as the variables tools in a build or a container read:
/// <c>http_proxy</c>, <c>https_proxy</c>, <c>HTTPS_PROXY</c> (an HTTP proxy, else a SOCKS5 one), <c>no_proxy</c> and
/// <c>NO_PROXY</c>, as docker_wrapper sets them. The proxy's user name and password are never read (the slot
/// context does not parse them), so they cannot reach a build log, an image's history or a container: a proxy that
/// needs them is used without them. A host name or no_proxy list with characters outside a host list's alphabet is
/// left out rather than passed on.
/// </summary>
public static class ProxyEnv
{
    /// <summary>The variables for <paramref name="proxy"/>; empty when the client uses no proxy.</summary>
    public static LanguageExt.Seq<KeyValue> Variables(Option<ProxyInfo> proxy) =>
        proxy.Match(Variables, () => LanguageExt.Seq<KeyValue>.Empty);

    public static LanguageExt.Seq<KeyValue> Variables(ProxyInfo p)
    {
        var url = Url(p);
        var vars = url.Match(
            u => Seq(new KeyValue("http_proxy", u), new KeyValue("https_proxy", u), new KeyValue("HTTPS_PROXY", u)),
            () => LanguageExt.Seq<KeyValue>.Empty);
        var noProxy = p.NoProxy.Trim();
        return noProxy.Length > 0 && IsHostList(noProxy)
            ? vars.Then(Seq(new KeyValue("no_proxy", noProxy), new KeyValue("NO_PROXY", noProxy)))
            : vars;
    }

    /// <summary>The proxy URL: <c>http://host:port</c> when an HTTP proxy is in use, else <c>socks5://host:port</c>.</summary>
    public static Option<string> Url(ProxyInfo p)
    {
        if (p.UseHttpProxy && IsHost(p.HttpServerName) && IsPort(p.HttpServerPort))
            return $"http://{p.HttpServerName.Trim()}:{p.HttpServerPort.ToString(CultureInfo.InvariantCulture)}";
        if (p.UseSocksProxy && IsHost(p.SocksServerName) && IsPort(p.SocksServerPort))
            return $"socks5://{p.SocksServerName.Trim()}:{p.SocksServerPort.ToString(CultureInfo.InvariantCulture)}";
        return Option<string>.None;
    }

    /// <summary>
    /// The build with the proxy variables as build arguments (Docker's predefined proxy ARGs: kept out of the
    /// image's history and its build cache key), unless job.toml already sets one of those names itself.
    /// </summary>
    public static BuildOptions WithBuildArgs(BuildOptions build, LanguageExt.Seq<KeyValue> proxy) =>
        build with { BuildArgs = build.BuildArgs.Then(proxy.Filter(v => !build.BuildArgs.Exists(a => a.Key == v.Key))) };

    /// <summary>
    /// The container spec with the proxy reaching the build and, when the job has a network, the container's
    /// environment (job.toml's own variables win). The image tag is untouched: a proxy change rebuilds nothing.
    /// </summary>
    public static ContainerSpec Apply(ContainerSpec spec, Option<ProxyInfo> proxy)
    {
        var vars = Variables(proxy);
        if (vars.IsEmpty)
            return spec;
        var withBuild = spec with { Image = spec.Image with { Build = WithBuildArgs(spec.Image.Build, vars) } };
        return spec.Network == NetworkMode.None
            ? withBuild
            : withBuild with { Env = withBuild.Env.Then(vars.Filter(v => !withBuild.Env.Exists(e => e.Key == v.Key))) };
    }

    private static bool IsPort(int port) => port is > 0 and <= 65535;

    private static bool IsHost(string host)
    {
        var h = host.Trim();
        return h.Length is > 0 and <= 253 && h.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '[' or ']');
    }

    private static bool IsHostList(string list) =>
        list.Length <= 4096 && list.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '[' or ']' or ',' or '/' or '*' or ' ');
}
