using System;
using System.Collections.Generic;
using System.Linq;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Shell.Engine;
using Xunit;

namespace Boinc.Persist.Integration.Engine;

/// <summary>
/// Which engine the wrapper talks to (the pure decision; no engine needed): DOCKER_HOST, then the sockets that
/// answer in the order init_data.xml's docker_type suggests, then a private Podman service.
/// </summary>
public sealed class EndpointTests
{
    private const string Private = "/run/boinc-persist/podman.sock";
    private const string Rootless = "/run/user/1000/podman/podman.sock";

    private static EngineChoice Decide(
        ContainerEngine preference = ContainerEngine.Unknown,
        string? dockerHost = null,
        bool isRoot = true,
        bool podmanInstalled = false,
        params (string Path, SocketState State)[] sockets) =>
        EngineEndpoint.Decide(new EngineFacts(
            dockerHost, preference, isRoot, "/run/user/1000", Private,
            sockets.ToDictionary(s => s.Path, s => s.State), podmanInstalled));

    private static Uri Used(EngineChoice c) =>
        Assert.IsType<EngineChoice.Use>(c).Endpoint.Uri;

    [Fact]
    public void Docker_host_wins_over_every_socket_and_every_preference()
    {
        var c = Decide(ContainerEngine.Podman, "tcp://10.0.0.1:2375", sockets: (EngineEndpoint.PodmanSocket, SocketState.Answers));

        Assert.Equal(new Uri("tcp://10.0.0.1:2375"), Used(c));
        Assert.Equal("DOCKER_HOST", ((EngineChoice.Use)c).Endpoint.Why);
    }

    [Fact]
    public void Without_a_preference_the_standard_docker_socket_comes_before_podman()
    {
        var c = Decide(sockets: new[] { (EngineEndpoint.DockerSocket, SocketState.Answers), (EngineEndpoint.PodmanSocket, SocketState.Answers) });

        Assert.Equal(new Uri("unix:///var/run/docker.sock"), Used(c));
    }

    [Fact]
    public void Docker_type_2_puts_podman_first_even_when_docker_answers()
    {
        var c = Decide(ContainerEngine.Podman, sockets: new[] { (EngineEndpoint.DockerSocket, SocketState.Answers), (EngineEndpoint.PodmanSocket, SocketState.Answers) });

        Assert.Equal(new Uri("unix:///run/podman/podman.sock"), Used(c));
        Assert.Contains("init_data.xml says Podman", ((EngineChoice.Use)c).Endpoint.Why);
    }

    [Fact]
    public void Docker_type_2_for_a_non_root_user_means_the_users_rootless_podman_first()
    {
        var c = Decide(ContainerEngine.Podman, isRoot: false, sockets: new[] { (Rootless, SocketState.Answers), (EngineEndpoint.PodmanSocket, SocketState.Answers) });

        Assert.Equal(new Uri("unix://" + Rootless), Used(c));
    }

    [Fact]
    public void A_stale_or_forbidden_socket_is_skipped_for_the_next_that_answers()
    {
        var c = Decide(sockets: new[]
        {
            (EngineEndpoint.DockerSocket, SocketState.Refused),
            (EngineEndpoint.PodmanSocket, SocketState.Denied),
            (Rootless, SocketState.Answers),
        });

        Assert.Equal(new Uri("unix://" + Rootless), Used(c));
    }

    [Fact]
    public void A_private_service_another_wrapper_started_is_reused()
    {
        var c = Decide(podmanInstalled: true, sockets: (Private, SocketState.Answers));

        Assert.Equal(new Uri("unix://" + Private), Used(c));
    }

    [Fact]
    public void Nothing_answers_and_podman_is_installed_start_the_private_service_naming_every_socket_tried()
    {
        var c = Decide(podmanInstalled: true, sockets: (EngineEndpoint.PodmanSocket, SocketState.Refused));

        var start = Assert.IsType<EngineChoice.StartPodman>(c);
        Assert.Equal(Private, start.Socket);
        Assert.Contains("/run/podman/podman.sock: socket present, nothing listens (stale)", start.Why);
        Assert.Contains("/var/run/docker.sock: no socket", start.Why);
    }

    [Fact]
    public void Nothing_answers_and_no_podman_is_no_engine_with_the_reason()
    {
        var c = Decide(dockerHost: " ");

        var none = Assert.IsType<EngineChoice.NoEngine>(c);
        Assert.Contains("podman is not installed", none.Why);
    }

    [Fact]
    public void Every_preference_tries_every_socket_exactly_once()
    {
        foreach (var preference in Enum.GetValues<ContainerEngine>())
        {
            foreach (var root in new[] { true, false })
            {
                var paths = EngineEndpoint.Candidates(preference, root, "/run/user/1000", Private).Map(c => c.Path).ToList();
                Assert.Equal(
                    new[] { EngineEndpoint.DockerSocket, EngineEndpoint.PodmanSocket, Rootless, Private }.OrderBy(p => p),
                    paths.OrderBy(p => p));
            }
        }
    }

    [Fact]
    public void The_private_socket_is_per_user()
    {
        Assert.Equal("/run/boinc-persist/podman.sock", PodmanService.PrivateSocketPath(true, "/run/user/0", 0));
        Assert.Equal("/run/user/1000/boinc-persist/podman.sock", PodmanService.PrivateSocketPath(false, "/run/user/1000", 1000));
        Assert.Equal("/tmp/boinc-persist-podman-1000/podman.sock", PodmanService.PrivateSocketPath(false, null, 1000));
    }
}
