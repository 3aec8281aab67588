using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Conform;

/// <summary>A container the watch attributes to a trial, with the engine's state word.</summary>
public sealed record SeenContainer(string Id, string Name, string State);

/// <summary>
/// The engine seen from outside the wrapper under test, which names its containers and images its own way.
/// A trial's containers are those whose name contains the trial's mark (the project directory and result
/// names carry it) or that mount a path under the trial's data directory; its images carry the label
/// <see cref="RunLabel"/> from the workload's Dockerfile. It asks through the wrapper's own engine adapter
/// (<see cref="DockerEngine"/>: its time limit per call, retries, errors as values), so there is one Docker
/// client adapter in the code base; failures come back as text for the trial's evidence.
/// </summary>
public sealed class EngineWatch : IDisposable
{
    public const string RunLabel = "org.boinc-persist.conform.run";

    private static readonly EnginePolicy Policy = EnginePolicy.Default with { CallLimit = TimeSpan.FromSeconds(20) };
    private readonly DockerEngine engine;

    public EngineWatch(EngineEndpoint endpoint) => engine = new DockerEngine(endpoint, Policy);

    public EngineEndpoint Endpoint => engine.Endpoint;

    /// <summary>
    /// The engine's version, and what the client would write into init_data.xml's host_info for it:
    /// docker_type 1 (Docker) or 2 (Podman) and a docker_version line in the CLI's words. A wrapper that picks its
    /// CLI or socket from docker_type (BOINC's docker_wrapper does) must be told the engine the suite observes.
    /// </summary>
    public async Task<Either<string, EngineIdentity>> Version()
    {
        using var cts = new CancellationTokenSource(Policy.CallLimit * 2);
        var version = Text(await engine.Version(cts.Token).ConfigureAwait(false));
        var traits = Text(await engine.Traits(cts.Token).ConfigureAwait(false));
        // Bind, not query syntax (whose `let` is an anonymous type: src/Shell/LanguageExt.Substitutions.xml).
        return version.Bind(v => traits.Map(t =>
        {
            var number = v.Version.Length > 0 ? v.Version : "?";
            return t.Kind == EngineKind.Podman
                ? new EngineIdentity(number, 2, "podman version " + number)
                : new EngineIdentity(number, 1, "Docker version " + number);
        }));
    }

    /// <summary>The trial's containers, in any state.</summary>
    public async Task<Either<string, Seq<SeenContainer>>> Containers(string mark, string dataDir) =>
        Text(await engine.AllContainers(CancellationToken.None).ConfigureAwait(false))
            .Map(all => all
                .Filter(c => c.Name.Contains(mark, StringComparison.OrdinalIgnoreCase)
                    || c.Mounts.Exists(m => m.StartsWith(dataDir, StringComparison.Ordinal)))
                .Map(c => new SeenContainer(c.Id, c.Name.Length > 0 ? c.Name : c.Id, c.State.Length > 0 ? c.State : "?"))
                .Strict());

    /// <summary>Images labelled with the trial's mark: "name (id)".</summary>
    public async Task<Either<string, Seq<string>>> Images(string mark) =>
        Text(await engine.ListImages($"{RunLabel}={mark}", CancellationToken.None).ConfigureAwait(false))
            .Map(images => images.Map(i => $"{i.Tags.HeadOrNone().IfNone("<untagged>")} ({Short(i.Id)})").Strict());

    /// <summary>The state word of the trial's first container ("absent" when it has none).</summary>
    public async Task<Either<string, string>> State(string mark, string dataDir) =>
        (await Containers(mark, dataDir).ConfigureAwait(false)).Map(cs => cs.HeadOrNone().Match(c => c.State, () => "absent"));

    public async Task<Either<string, Unit>> Kill(string id) =>
        Text(await engine.Kill(id, CancellationToken.None).ConfigureAwait(false));

    /// <summary>Force-removes the container; absent is fine.</summary>
    public async Task<Either<string, Unit>> Remove(string id) =>
        Text(await engine.Remove(id, CancellationToken.None).ConfigureAwait(false));

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

        // Its containers are gone, so the engine removes each image without force (and its untagged parents).
        var images = Text(await engine.ListImages($"{RunLabel}={mark}", CancellationToken.None).ConfigureAwait(false));
        foreach (var i in images.RightToSeq().Flatten())
        {
            var r = Text(await engine.DeleteImage(i.Id, CancellationToken.None).ConfigureAwait(false));
            removed = removed.Add(r.Match(
                gone => gone ? $"image {Short(i.Id)}" : $"image {i.Id} NOT removed: the engine refused (in use) or it was gone",
                e => $"image {i.Id} NOT removed: {e}"));
        }

        containers.IfLeft(e => removed = removed.Add($"containers not listed: {e}"));
        images.IfLeft(e => removed = removed.Add($"images not listed: {e}"));
        return removed;
    }

    private static string Short(string id) => id[..Math.Min(id.Length, 19)];

    private static Either<string, T> Text<T>(Either<EngineError, T> r) => r.MapLeft(e => $"engine call '{e.Operation}' failed: {e.Message}");

    public void Dispose() => engine.Dispose();
}

/// <summary>What the suite tells wrappers about the engine: <c>host_info/docker_type</c> and <c>docker_version</c>.</summary>
public sealed record EngineIdentity(string Version, int DockerType, string DockerVersionLine);
