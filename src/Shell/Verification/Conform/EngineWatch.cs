using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Conform;

/// <summary>A container the watch attributes to a trial, with the engine's state word.</summary>
public sealed record SeenContainer(string Id, string Name, string State);

/// <summary>
/// The engine seen from outside the wrapper under test, which names its containers and images its own way.
/// A trial's containers are those whose name contains the trial's mark (the project directory and result
/// names carry it) or that mount a path under the trial's data directory; its images carry the label
/// <see cref="RunLabel"/> from the workload's Dockerfile. Every call runs under a time limit; failures are
/// values, never exceptions.
/// </summary>
public sealed class EngineWatch : IDisposable
{
    public const string RunLabel = "org.boinc-persist.conform.run";

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private readonly DockerClient client;

    public EngineWatch(EngineEndpoint endpoint)
    {
        Endpoint = endpoint;
        client = new DockerClientBuilder().WithEndpoint(endpoint.Uri).Build();
    }

    public EngineEndpoint Endpoint { get; }

    /// <summary>
    /// The engine's version, and what the client would write into init_data.xml's host_info for it:
    /// docker_type 1 (Docker) or 2 (Podman) and a docker_version line in the CLI's words. A wrapper that picks its
    /// CLI or socket from docker_type (BOINC's docker_wrapper does) must be told the engine the suite observes.
    /// </summary>
    public Task<Either<string, EngineIdentity>> Version() =>
        Call("version", async ct =>
        {
            var v = await client.System.GetVersionAsync(ct).ConfigureAwait(false);
            var kind = EngineDifferences.KindFrom(
                v.Platform?.Name ?? "", (v.Components ?? new List<ComponentVersion>()).Select(c => c.Name ?? "").ToSeq().Strict());
            var version = v.Version ?? "?";
            return kind == EngineKind.Podman
                ? new EngineIdentity(version, 2, "podman version " + version)
                : new EngineIdentity(version, 1, "Docker version " + version);
        });

    /// <summary>The trial's containers, in any state.</summary>
    public Task<Either<string, Seq<SeenContainer>>> Containers(string mark, string dataDir) =>
        Call("list containers", async ct =>
        {
            var all = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, ct).ConfigureAwait(false);
            return all.Where(c =>
                    (c.Names ?? new List<string>()).Any(n => n.Contains(mark, StringComparison.OrdinalIgnoreCase)) ||
                    (c.Mounts ?? new List<MountPoint>()).Any(m => (m.Source ?? "").StartsWith(dataDir, StringComparison.Ordinal)))
                .Select(c => new SeenContainer(c.ID, (c.Names?.FirstOrDefault() ?? c.ID).TrimStart('/'), c.State ?? "?"))
                .ToSeq().Strict();
        });

    /// <summary>Images labelled with the trial's mark: "name (id)".</summary>
    public Task<Either<string, Seq<string>>> Images(string mark) =>
        Call("list images", async ct =>
        {
            var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{RunLabel}={mark}"] = true } };
            var images = await client.Images.ListImagesAsync(new ImagesListParameters { All = true, Filters = filter }, ct).ConfigureAwait(false);
            return images.Select(i => $"{(i.RepoTags?.FirstOrDefault() ?? "<untagged>")} ({i.ID[..Math.Min(i.ID.Length, 19)]})").ToSeq().Strict();
        });

    /// <summary>The state word of the trial's first container ("absent" when it has none).</summary>
    public async Task<Either<string, string>> State(string mark, string dataDir) =>
        (await Containers(mark, dataDir).ConfigureAwait(false)).Map(cs => cs.HeadOrNone().Match(c => c.State, () => "absent"));

    public Task<Either<string, Unit>> Kill(string id) =>
        Call("kill " + id, async ct =>
        {
            await client.Containers.KillContainerAsync(id, new ContainerKillParameters(), ct).ConfigureAwait(false);
            return Unit.Default;
        });

    public Task<Either<string, Unit>> Remove(string id) =>
        Call("remove " + id, async ct =>
        {
            try
            {
                await client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, ct).ConfigureAwait(false);
            }
            catch (DockerContainerNotFoundException)
            {
                // Gone already.
            }

            return Unit.Default;
        });

    /// <summary>Removes every container and image of the mark; returns what it removed, or what it could not.</summary>
    public async Task<Seq<string>> CleanUp(string mark, string dataDir)
    {
        var removed = Seq<string>.Empty;
        var containers = await Containers(mark, dataDir).ConfigureAwait(false);
        foreach (var c in containers.RightToSeq().Flatten())
        {
            var r = await Remove(c.Id).ConfigureAwait(false);
            removed = removed.Add(r.Match(_ => $"container {c.Name}", e => $"container {c.Name} NOT removed: {e}"));
        }

        var images = await Call("list images", async ct =>
        {
            var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{RunLabel}={mark}"] = true } };
            return (await client.Images.ListImagesAsync(new ImagesListParameters { All = true, Filters = filter }, ct).ConfigureAwait(false)).ToSeq().Strict();
        }).ConfigureAwait(false);
        foreach (var i in images.RightToSeq().Flatten())
        {
            var r = await Call("remove image", async ct =>
            {
                await client.Images.DeleteImageAsync(i.ID, new ImageDeleteParameters { Force = true }, ct).ConfigureAwait(false);
                return Unit.Default;
            }).ConfigureAwait(false);
            removed = removed.Add(r.Match(_ => $"image {i.ID[..Math.Min(i.ID.Length, 19)]}", e => $"image {i.ID} NOT removed: {e}"));
        }

        return containers.Match(_ => removed, e => removed.Add($"containers not listed: {e}"));
    }

    private static async Task<Either<string, T>> Call<T>(string what, Func<CancellationToken, Task<T>> call)
    {
        using var cts = new CancellationTokenSource(Limit);
        try
        {
            return await call(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return $"engine call '{what}' took longer than {Limit.TotalSeconds} s";
        }
        catch (DockerApiException e)
        {
            return $"engine call '{what}' failed: {e.StatusCode} {e.ResponseBody}";
        }
        catch (Exception e) when (e is System.Net.Http.HttpRequestException or System.IO.IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return $"engine call '{what}' failed: {e.Message}";
        }
    }

    public void Dispose() => client.Dispose();
}

/// <summary>What the suite tells wrappers about the engine: <c>host_info/docker_type</c> and <c>docker_version</c>.</summary>
public sealed record EngineIdentity(string Version, int DockerType, string DockerVersionLine);
