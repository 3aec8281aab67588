using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// Where the container engine listens, and why that one. One place decides it, in this order:
/// <list type="number">
/// <item><c>DOCKER_HOST</c> when set (the user's explicit choice; never second-guessed).</item>
/// <item>The sockets that answer, in the order the BOINC client's <c>init_data.xml</c> suggests
/// (<c>host_info/docker_type</c>: 1 Docker first, 2 Podman first — the user's rootless Podman before the rootful
/// one when we are not root, since the client detected the <c>podman</c> its own user runs); without it, Docker's
/// socket, rootful Podman's, the user's rootless Podman's; then a private Podman service another wrapper
/// started.</item>
/// <item>None answers but <c>podman</c> is installed: start a private <c>podman system service</c> on our own
/// socket (<see cref="PodmanService"/>).</item>
/// </list>
/// A socket "answers" when a connect succeeds: a stale socket file (a Podman service that died leaves one)
/// or one we may not open is skipped with its reason.
/// </summary>
public sealed record EngineEndpoint(Uri Uri, string Why)
{
    public const string DockerSocket = "/var/run/docker.sock";
    public const string PodmanSocket = "/run/podman/podman.sock";

    /// <summary>The endpoint for this process (no init_data.xml preference); may start a private Podman service.</summary>
    public static EngineEndpoint Resolve() => Resolve(ContainerEngine.Unknown);

    /// <summary>The endpoint for this process with the client's engine preference; may start a private Podman service.</summary>
    public static EngineEndpoint Resolve(ContainerEngine preference)
    {
        var facts = EngineProbe.Read(preference);
        return Decide(facts) switch
        {
            EngineChoice.Use u => u.Endpoint,
            EngineChoice.StartPodman s => PodmanService.Ensure(s.Socket, s.Why, facts.Trail),
            EngineChoice.NoEngine n => new EngineEndpoint(new Uri("unix://" + DockerSocket), n.Why),
            _ => throw new InvalidOperationException("unknown engine choice"),
        };
    }

    /// <summary>
    /// The decision alone, pure: from <c>DOCKER_HOST</c>, the preference, the candidates' states, whether
    /// <c>podman</c> is installed and where our private socket would be.
    /// </summary>
    public static EngineChoice Decide(EngineFacts facts)
    {
        if (!string.IsNullOrWhiteSpace(facts.DockerHost))
            return new EngineChoice.Use(new EngineEndpoint(new Uri(facts.DockerHost.Trim()), "DOCKER_HOST"));

        var ordered = Candidates(facts.Preference, facts.IsRoot, facts.XdgRuntimeDir, facts.PrivateSocket);
        var trail = new List<string>();
        foreach (var c in ordered)
        {
            var state = facts.SocketStates.TryGetValue(c.Path, out var s) ? s : SocketState.Missing;
            if (state == SocketState.Answers)
            {
                var why = c.Description + (facts.Preference == ContainerEngine.Unknown ? "" : $" (init_data.xml says {facts.Preference})");
                return new EngineChoice.Use(new EngineEndpoint(new Uri("unix://" + c.Path), why));
            }

            trail.Add($"{c.Path}: {Describe(state)}");
        }

        var looked = string.Join("; ", trail);
        return facts.PodmanInstalled
            ? new EngineChoice.StartPodman(facts.PrivateSocket, $"no engine answers ({looked}); podman is installed")
            : new EngineChoice.NoEngine($"no engine answers and podman is not installed ({looked})");
    }

    /// <summary>The sockets to try, in order, for the client's preference.</summary>
    public static Seq<SocketCandidate> Candidates(ContainerEngine preference, bool isRoot, string? xdgRuntimeDir, string privateSocket)
    {
        var docker = new SocketCandidate(DockerSocket, EngineKind.Docker, "the standard Docker socket");
        var rootful = new SocketCandidate(PodmanSocket, EngineKind.Podman, "Podman's rootful socket");
        var rootless = string.IsNullOrWhiteSpace(xdgRuntimeDir)
            ? Option<SocketCandidate>.None
            : new SocketCandidate(Path.Combine(xdgRuntimeDir, "podman", "podman.sock"), EngineKind.Podman, "the user's rootless Podman socket");
        var mine = new SocketCandidate(privateSocket, EngineKind.Podman, "boinc-persist's private Podman service");

        var list = preference == ContainerEngine.Podman
            ? (isRoot ? new[] { rootful }.Concat(rootless) : rootless.Concat(new[] { rootful })).Append(mine).Append(docker)
            : new[] { docker, rootful }.Concat(rootless).Append(mine);
        return list.ToSeq().Strict();
    }

    public static EngineEndpoint FromUri(string uri) => new(new Uri(uri), "given");

    public override string ToString() => $"{Uri} ({Why})";

    private static string Describe(SocketState s) => s switch
    {
        SocketState.Missing => "no socket",
        SocketState.Refused => "socket present, nothing listens (stale)",
        SocketState.Denied => "permission denied",
        _ => "answers",
    };
}

/// <summary>A socket where an engine may listen.</summary>
public sealed record SocketCandidate(string Path, EngineKind Kind, string Description);

/// <summary>What a connect to a candidate socket gave.</summary>
public enum SocketState
{
    Missing,
    Refused,
    Denied,
    Answers,
}

/// <summary>Everything <see cref="EngineEndpoint.Decide"/> needs, read by <see cref="EngineProbe"/>.</summary>
public sealed record EngineFacts(
    string? DockerHost,
    ContainerEngine Preference,
    bool IsRoot,
    string? XdgRuntimeDir,
    string PrivateSocket,
    IReadOnlyDictionary<string, SocketState> SocketStates,
    bool PodmanInstalled)
{
    /// <summary>For messages: which sockets were looked at.</summary>
    public string Trail => string.Join("; ", SocketStates.Select(kv => $"{kv.Key}: {kv.Value}"));
}

/// <summary>The engine decision: a closed union.</summary>
public abstract record EngineChoice
{
    private EngineChoice() { }

    public sealed record Use(EngineEndpoint Endpoint) : EngineChoice;

    public sealed record StartPodman(string Socket, string Why) : EngineChoice;

    public sealed record NoEngine(string Why) : EngineChoice;
}
