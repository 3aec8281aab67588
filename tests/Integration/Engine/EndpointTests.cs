using System;
using System.Collections.Generic;
using Boinc.Persist.Shell.Engine;
using Xunit;

namespace Boinc.Persist.Integration.Engine;

/// <summary>Which engine the wrapper talks to: DOCKER_HOST, the Docker socket, then Podman's sockets (no engine needed).</summary>
public sealed class EndpointTests
{
    private static EngineEndpoint Resolve(Dictionary<string, string> env, params string[] sockets) =>
        EngineEndpoint.Resolve(k => env.GetValueOrDefault(k), p => Array.IndexOf(sockets, p) >= 0);

    [Fact]
    public void Docker_host_wins_over_every_socket()
    {
        var e = Resolve(new() { ["DOCKER_HOST"] = "tcp://10.0.0.1:2375" }, EngineEndpoint.DockerSocket);

        Assert.Equal(new Uri("tcp://10.0.0.1:2375"), e.Uri);
        Assert.Equal("DOCKER_HOST", e.Why);
    }

    [Fact]
    public void The_standard_docker_socket_comes_before_podman()
    {
        var e = Resolve(new(), EngineEndpoint.DockerSocket, EngineEndpoint.PodmanSocket);

        Assert.Equal(new Uri("unix:///var/run/docker.sock"), e.Uri);
    }

    [Fact]
    public void Podman_rootful_then_rootless_when_there_is_no_docker_socket()
    {
        var env = new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = "/run/user/1000" };

        Assert.Equal(new Uri("unix:///run/podman/podman.sock"), Resolve(env, EngineEndpoint.PodmanSocket, "/run/user/1000/podman/podman.sock").Uri);
        Assert.Equal(new Uri("unix:///run/user/1000/podman/podman.sock"), Resolve(env, "/run/user/1000/podman/podman.sock").Uri);
    }

    [Fact]
    public void With_no_socket_at_all_the_standard_one_is_named_so_the_error_says_where_we_looked()
    {
        var e = Resolve(new() { ["DOCKER_HOST"] = " " });

        Assert.Equal(new Uri("unix:///var/run/docker.sock"), e.Uri);
        Assert.Contains("none found", e.Why);
    }
}
