using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Slots;
using Docker.DotNet;
using Docker.DotNet.Models;
using LanguageExt;
using ContainerSpec = Boinc.Persist.Core.Planning.ContainerSpec;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// <see cref="IEngine"/> over Docker.DotNet (Docker Engine API, also served by Podman). Unversioned requests, so
/// Docker 20.10 (API 1.41) and Podman work as well as current engines.
/// </summary>
public sealed partial class DockerEngine : IEngine
{
    private readonly DockerClient client;
    private readonly EnginePolicy policy;
    private EngineTraits? traits;
    // The last /version answer: Traits reads the product from it instead of asking again (the start asks both).
    private VersionResponse? version;

    public DockerEngine(EngineEndpoint endpoint, EnginePolicy? policy = null)
    {
        Endpoint = endpoint;
        this.policy = policy ?? EnginePolicy.Default;
        client = new DockerClientBuilder().WithEndpoint(endpoint.Uri).Build();
    }

    public EngineEndpoint Endpoint { get; }

    public static DockerEngine Connect(EnginePolicy? policy = null) => new(EngineEndpoint.Resolve(), policy);

    /// <summary>
    /// The engine for a task whose client prefers <paramref name="preference"/> (init_data.xml's
    /// <c>host_info/docker_type</c>, as the job directory read it): it orders the sockets; see
    /// <see cref="EngineEndpoint"/>.
    /// </summary>
    public static DockerEngine ConnectFor(ContainerEngine preference, EnginePolicy? policy = null) =>
        new(EngineEndpoint.Resolve(preference), policy);

    public Task<Either<EngineError, EngineVersion>> Version(CancellationToken ct) =>
        Call("version", ct, async t =>
        {
            var v = await client.System.GetVersionAsync(t).ConfigureAwait(false);
            version = v;
            return new EngineVersion(v.Version ?? "", v.APIVersion ?? "", v.Os ?? "");
        });

    public async Task<Either<EngineError, Observation>> Inspect(string name, CancellationToken ct)
    {
        var r = await Call("inspect " + name, ct, t => client.Containers.InspectContainerAsync(name, t)).ConfigureAwait(false);
        return r.Match<Either<EngineError, Observation>>(
            c => Observation.From(c.ID, c.State?.Status ?? "", (int)(c.State?.ExitCode ?? 0), RunFactsOf(c.State)),
            e => e is EngineError.NotFound ? new Observation.Absent() : e);
    }

    public async Task<Either<EngineError, string>> Create(ContainerSpec spec, IReadOnlyList<string> command, CancellationToken ct)
    {
        var known = await Traits(ct).ConfigureAwait(false);
        if (known.Case is EngineError failed)
            return failed;
        var (adapted, options) = EngineDifferences.Adapt(spec, known.RightToSeq().Head());
        var parameters = ContainerSpecConverter.ToCreateParameters(adapted, spec.Image.Tag, options);
        if (command.Count > 0)
            parameters.Cmd = command.ToList();
        var created = PodmanConflict(await Call("create " + spec.Name, ct, t => client.Containers.CreateContainerAsync(parameters, t))
            .ConfigureAwait(false));
        // Idempotent by name: a container of that name exists already (we created it before being killed).
        return await created.MatchAsync<Either<EngineError, string>>(
            r => r.ID,
            async e => e is EngineError.Conflict
                ? (await Inspect(spec.Name, ct).ConfigureAwait(false)).Bind<string>(o => IdOf(o) is { } id ? id : e)
                : e).ConfigureAwait(false);
    }

    /// <summary>
    /// The engine's product and what differs (<see cref="EngineTraits"/>): asked once (engine /version and
    /// /info, the host's SELinux and rlimits), then remembered for this connection.
    /// </summary>
    public async Task<Either<EngineError, EngineTraits>> Traits(CancellationToken ct)
    {
        if (traits is { } known)
            return known;
        var r = await Call("info", ct, async t =>
        {
            var v = version ?? await client.System.GetVersionAsync(t).ConfigureAwait(false);
            var i = await client.System.GetSystemInfoAsync(t).ConfigureAwait(false);
            var kind = EngineDifferences.KindFrom(
                v.Platform?.Name ?? "", (v.Components ?? new List<ComponentVersion>()).Select(c => c.Name ?? "").ToSeq().Strict());
            var cgroup = int.TryParse(i.CgroupVersion, out var n) ? n : PodmanHostFacts.HostCgroupVersion();
            return new EngineTraits(
                kind,
                EngineDifferences.RootlessFrom((i.SecurityOptions ?? new List<string>()).ToSeq().Strict())
                || (kind == EngineKind.Podman && PodmanHostFacts.SocketOwnedByUser(Endpoint.Uri)),
                PodmanHostFacts.SelinuxEnforcing(),
                cgroup,
                PodmanHostFacts.Limits())
            {
                InitAvailable = kind != EngineKind.Podman || PodmanHostFacts.PodmanInitAvailable(),
            };
        }).ConfigureAwait(false);
        r.IfRight(t => traits = t);
        return r;
    }

    public Task<Either<EngineError, Unit>> Start(string name, CancellationToken ct) =>
        Call("start " + name, ct, async t =>
        {
            // false = 304: already running.
            await client.Containers.StartContainerAsync(name, new ContainerStartParameters(), t).ConfigureAwait(false);
            return Unit.Default;
        });

    public Task<Either<EngineError, Unit>> Pause(string name, CancellationToken ct) =>
        AlreadyIsOk(Call("pause " + name, ct, async t =>
        {
            await client.Containers.PauseContainerAsync(name, t).ConfigureAwait(false);
            return Unit.Default;
        }), "is already paused");

    public Task<Either<EngineError, Unit>> Unpause(string name, CancellationToken ct) =>
        AlreadyIsOk(Call("unpause " + name, ct, async t =>
        {
            await client.Containers.UnpauseContainerAsync(name, t).ConfigureAwait(false);
            return Unit.Default;
        }), "is not paused");

    /// <summary>Stopped already, or no such container: nothing runs, which is what stop means.</summary>
    public async Task<Either<EngineError, Unit>> Stop(string name, TimeSpan grace, CancellationToken ct)
    {
        var r = await EngineCalls.Run("stop " + name, policy, grace + policy.CallLimit, ct, async t =>
        {
            var seconds = (uint)Math.Ceiling(Math.Max(0, grace.TotalSeconds));
            await client.Containers.StopContainerAsync(name, new ContainerStopParameters { WaitBeforeKillSeconds = seconds }, t)
                .ConfigureAwait(false);
            return Unit.Default;
        }).ConfigureAwait(false);
        return Recover(r, e => e is EngineError.NotFound, Unit.Default);
    }

    /// <summary>Not running, or no such container: nothing runs, which is what kill means.</summary>
    public async Task<Either<EngineError, Unit>> Kill(string name, CancellationToken ct)
    {
        var r = await AlreadyIsOk(Call("kill " + name, ct, async t =>
        {
            await client.Containers.KillContainerAsync(name, new ContainerKillParameters { Signal = "KILL" }, t)
                .ConfigureAwait(false);
            return Unit.Default;
        }), "is not running", "can only kill running containers").ConfigureAwait(false);
        return Recover(r, e => e is EngineError.NotFound, Unit.Default);
    }

    public async Task<Either<EngineError, Unit>> Remove(string name, CancellationToken ct)
    {
        var r = await Call("remove " + name, ct, async t =>
        {
            await client.Containers.RemoveContainerAsync(name, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, t)
                .ConfigureAwait(false);
            return Unit.Default;
        }).ConfigureAwait(false);
        return Recover(r, e => e is EngineError.NotFound || (e is EngineError.Conflict && e.Message.Contains("already in progress")), Unit.Default);
    }

    /// <summary>
    /// Every container (any state, ours or not) made from <paramref name="image"/> (a name or an id). Matched
    /// here by image id and by name rather than with the engine's <c>ancestor</c> filter: Podman 4.3's filter
    /// was seen to return nothing for a created container, both by id and by tag, and gc must never take an
    /// image in use for a free one.
    /// </summary>
    public async Task<Either<EngineError, Seq<ListedContainer>>> ContainersUsing(string image, CancellationToken ct)
    {
        var id = await ImageId(image, ct).ConfigureAwait(false);
        if (id.Case is EngineError ie)
            return ie;
        var ids = ((Option<string>)id.Case!).ToSeq().Add(image);
        var names = Seq1(image);
        return await Call("list containers of " + image, ct, async t =>
            (await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, t).ConfigureAwait(false))
            .Select(Listing)
            .Where(c => ids.Exists(i => c.Uses(i, names)))
            .ToSeq().Strict()).ConfigureAwait(false);
    }

    // RemoveImageIfUnused: in DockerEngine.Images.cs (imagegc: it takes the image's exclusive hold first).

    public Task<Either<EngineError, int>> WaitForExit(string name, TimeSpan limit, CancellationToken ct) =>
        EngineCalls.Run("wait " + name, policy, limit, ct, async t =>
            (int)(await client.Containers.WaitContainerAsync(name, t).ConfigureAwait(false)).StatusCode);

    public Task<Either<EngineError, long>> CpuNanos(string name, CancellationToken ct) =>
        Call("stats " + name, ct, async t =>
        {
            ContainerStatsResponse? last = null;
            await client.Containers.GetContainerStatsAsync(
                name,
                new ContainerStatsParameters { Stream = false, OneShot = true },
                new Progress(r => last = r),
                t).ConfigureAwait(false);
            return (long)(last?.CPUStats?.CPUUsage?.TotalUsage ?? 0);
        });

    public Task<Either<EngineError, Seq<ListedContainer>>> ListContainers(string label, CancellationToken ct) =>
        Listed("list containers", Filter("label", label), ct);

    public Task<Either<EngineError, Seq<ListedContainer>>> AllContainers(CancellationToken ct) =>
        Listed("list containers", new Dictionary<string, IDictionary<string, bool>>(), ct);

    private Task<Either<EngineError, Seq<ListedContainer>>> Listed(
        string op, IDictionary<string, IDictionary<string, bool>> filter, CancellationToken ct) =>
        Call(op, ct, async t =>
            (await client.Containers.ListContainersAsync(
                new ContainersListParameters { All = true, Filters = filter }, t).ConfigureAwait(false))
            .Select(Listing)
            .ToSeq().Strict());

    private static ListedContainer Listing(ContainerListResponse c) =>
        new(c.ID,
            c.Names?.FirstOrDefault()?.TrimStart('/') ?? "",
            c.State ?? "",
            EngineDifferences.ShortImageName(c.Image ?? ""),
            (IReadOnlyDictionary<string, string>)(c.Labels ?? new Dictionary<string, string>()))
        {
            Mounts = (c.Mounts ?? new List<MountPoint>()).Select(m => m.Source ?? "").Where(m => m.Length > 0).ToSeq().Strict(),
            ImageId = Core.Naming.BareImageId(c.ImageID ?? ""),
        };

    public Task<Either<EngineError, Seq<ListedImage>>> ListImages(string label, CancellationToken ct) =>
        Call("list images", ct, async t =>
            (await client.Images.ListImagesAsync(
                new ImagesListParameters { All = false, Filters = Filter("label", label) }, t).ConfigureAwait(false))
            .Select(i => new ListedImage(
                i.ID,
                // Podman lists localhost/NAME for the NAME we built: report the name we gave.
                (i.RepoTags ?? new List<string>()).Select(EngineDifferences.ShortImageName).ToSeq().Strict(),
                (IReadOnlyDictionary<string, string>)(i.Labels ?? new Dictionary<string, string>())))
            .ToSeq().Strict());

    public void Dispose()
    {
        ReleaseImageHolds(); // imagegc: this wrapper no longer uses its image (DockerEngine.Images.cs)
        client.Dispose();
    }

    private async Task<Either<EngineError, T>> Call<T>(string op, CancellationToken ct, Func<CancellationToken, Task<T>> call) =>
        (await EngineCalls.Run(op, policy, policy.CallLimit, ct, call).ConfigureAwait(false))
            .MapLeft(e => IsPodmanGone(e) ? new EngineError.NotFound(e.Operation, e.Message) : e);

    /// <summary>"Already so" in Docker's words, or in Podman's (listed after it).</summary>
    private static async Task<Either<EngineError, Unit>> AlreadyIsOk(Task<Either<EngineError, Unit>> call, params string[] already)
    {
        var r = await call.ConfigureAwait(false);
        return Recover(r, e => (e is EngineError.Conflict or EngineError.Failed)
            && already.Any(a => e.Message.Contains(a, StringComparison.Ordinal)), Unit.Default);
    }

    /// <summary>
    /// Podman, asked about a container it is removing right now, answers 500 "... does not exist in database: no
    /// such container" where Docker answers 404: not found either way (every call goes through <see cref="Call"/>).
    /// </summary>
    private static bool IsPodmanGone(EngineError e) =>
        e is EngineError.Failed f && f.Message.Contains("no such container", StringComparison.Ordinal);

    /// <summary>
    /// Podman answers a name already in use with 500 "that name is already in use" where Docker answers 409:
    /// the same conflict, so create stays idempotent by name on both.
    /// </summary>
    private static Either<EngineError, T> PodmanConflict<T>(Either<EngineError, T> r) =>
        r.MapLeft(e => e is EngineError.Failed f && f.Message.Contains("is already in use", StringComparison.Ordinal)
            ? new EngineError.Conflict(f.Op, f.Detail)
            : e);

    /// <summary>An error that means "already so" becomes the value.</summary>
    private static Either<EngineError, T> Recover<T>(Either<EngineError, T> r, Func<EngineError, bool> already, T value) =>
        r.Match(v => Either<EngineError, T>.Right(v), e => already(e) ? Either<EngineError, T>.Right(value) : Either<EngineError, T>.Left(e));

    /// <summary>StartedAt, FinishedAt (None for the engines' zero time) and OOMKilled, for the exit rule.</summary>
    private static RunFacts RunFactsOf(State? state)
    {
        static Option<DateTimeOffset> Time(string? text) =>
            DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t) && t.Year > 1970
                ? t
                : Option<DateTimeOffset>.None;
        return state is null ? RunFacts.Unknown : new RunFacts(Time(state.StartedAt), Time(state.FinishedAt), state.OOMKilled);
    }

    private static string? IdOf(Observation o) => o switch
    {
        Observation.Created c => c.Id,
        Observation.Running r => r.Id,
        Observation.Paused p => p.Id,
        Observation.Exited x => x.Id,
        Observation.Dead d => d.Id,
        Observation.Unknown u => u.Id,
        _ => null,
    };

    private static IDictionary<string, IDictionary<string, bool>> Filter(string key, string value) =>
        new Dictionary<string, IDictionary<string, bool>> { [key] = new Dictionary<string, bool> { [value] = true } };

    private sealed class Progress(Action<ContainerStatsResponse> report) : IProgress<ContainerStatsResponse>
    {
        public void Report(ContainerStatsResponse value) => report(value);
    }
}
