using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// Where the container engine listens. One place decides it, in this order: <c>DOCKER_HOST</c> when set; else
/// the standard Docker socket; else Podman's rootful, then rootless socket. A socket path that does not exist is
/// skipped, so a host with only Podman needs no configuration. (init_data.xml's docker_type selection will add a
/// preference here.)
/// </summary>
public sealed record EngineEndpoint(Uri Uri, string Why)
{
    public const string DockerSocket = "/var/run/docker.sock";
    public const string PodmanSocket = "/run/podman/podman.sock";

    /// <summary>The endpoint for this process's environment and file system.</summary>
    public static EngineEndpoint Resolve() =>
        Resolve(Environment.GetEnvironmentVariable, File.Exists);

    /// <summary>The same decision with the environment and the file system passed in (for tests).</summary>
    public static EngineEndpoint Resolve(Func<string, string?> environment, Func<string, bool> socketExists)
    {
        var host = environment("DOCKER_HOST");
        if (!string.IsNullOrWhiteSpace(host))
            return new EngineEndpoint(new Uri(host), "DOCKER_HOST");

        var candidates = new List<(string Path, string Why)> { (DockerSocket, "the standard Docker socket") };
        candidates.Add((PodmanSocket, "Podman's socket"));
        var runtime = environment("XDG_RUNTIME_DIR");
        if (!string.IsNullOrWhiteSpace(runtime))
            candidates.Add((Path.Combine(runtime, "podman", "podman.sock"), "Podman's rootless socket"));

        var found = candidates.FirstOrDefault(c => socketExists(c.Path));
        return found.Path is null
            ? new EngineEndpoint(new Uri("unix://" + DockerSocket), "the standard Docker socket (none found)")
            : new EngineEndpoint(new Uri("unix://" + found.Path), found.Why);
    }

    public static EngineEndpoint FromUri(string uri) => new(new Uri(uri), "given");

    public override string ToString() => $"{Uri} ({Why})";
}
