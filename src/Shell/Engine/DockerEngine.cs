using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Slots;
using System.Net;
using System.Text.Json;
using LanguageExt;
using ContainerSpec = Boinc.Persist.Core.Planning.ContainerSpec;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// <see cref="IEngine"/> over the Docker Engine API (also served by Podman), through <see cref="EngineApi"/>.
/// </summary>
public sealed partial class DockerEngine : IEngine
{
    private readonly EngineApi api;
    private readonly EnginePolicy policy;
    private EngineTraits? traits;
    // The last /version answer: Traits reads the product from it instead of asking again (the start asks both).
    private VersionFacts? version;

    public DockerEngine(EngineEndpoint endpoint, EnginePolicy? policy = null)
    {
        Endpoint = endpoint;
        this.policy = policy ?? EnginePolicy.Default;
        api = new EngineApi(endpoint.Uri);
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
            var v = await AskVersion(t).ConfigureAwait(false);
            version = v;
            return v.Version;
        });

    /// <summary>What <c>/version</c> says: the version triple, and the product's platform and component names.</summary>
    private sealed record VersionFacts(EngineVersion Version, string Platform, Seq<string> Components);

    private async Task<VersionFacts> AskVersion(CancellationToken ct)
    {
        using var doc = await api.Json("GET", "/version", ct).ConfigureAwait(false);
        var v = doc.RootElement;
        return new VersionFacts(
            new EngineVersion(v.Str("Version"), v.Str("ApiVersion"), v.Str("Os")),
            v.Get("Platform").Str("Name"),
            v.Get("Components").Items().Select(c => c.Str("Name")).ToSeq().Strict());
    }

    /// <summary>A container's inspect answer (the caller disposes it).</summary>
    private Task<JsonDocument> InspectJson(string name, CancellationToken ct) =>
        api.Json("GET", $"/containers/{EngineApi.Segment(name)}/json", ct);

    public async Task<Either<EngineError, Observation>> Inspect(string name, CancellationToken ct)
    {
        var r = await Call("inspect " + name, ct, async t =>
        {
            using var doc = await InspectJson(name, t).ConfigureAwait(false);
            var c = doc.RootElement;
            var state = c.Get("State");
            return Observation.From(c.Str("Id"), state.Str("Status"), (int)state.Long("ExitCode"), RunFactsOf(state));
        }).ConfigureAwait(false);
        return r.Match<Either<EngineError, Observation>>(o => o, e => e is EngineError.NotFound ? new Observation.Absent() : e);
    }

    public async Task<Either<EngineError, string>> Create(ContainerSpec spec, IReadOnlyList<string> command, CancellationToken ct)
    {
        var known = await Traits(ct).ConfigureAwait(false);
        if (known.Case is EngineError failed)
            return failed;
        var (adapted, options) = EngineDifferences.Adapt(spec, known.RightToSeq().Head());
        var body = ContainerSpecConverter.ToCreateBody(adapted, spec.Image.Tag, options, command.ToSeq().Strict());
        var created = PodmanConflict(await Call("create " + spec.Name, ct, async t =>
        {
            using var doc = await api.Json("POST", EngineApi.Query("/containers/create", ("name", spec.Name)), t, new EngineBody(body, "application/json"))
                .ConfigureAwait(false);
            return doc.RootElement.Str("Id");
        }).ConfigureAwait(false));
        // Idempotent by name: a container of that name exists already (we created it before being killed).
        return await created.MatchAsync<Either<EngineError, string>>(
            id => id,
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
            var v = version ?? await AskVersion(t).ConfigureAwait(false);
            using var info = await api.Json("GET", "/info", t).ConfigureAwait(false);
            var i = info.RootElement;
            var kind = EngineDifferences.KindFrom(v.Platform, v.Components);
            var cgroup = int.TryParse(i.Str("CgroupVersion"), out var n) ? n : PodmanHostFacts.HostCgroupVersion();
            return new EngineTraits(
                kind,
                EngineDifferences.RootlessFrom(i.Strings("SecurityOptions"))
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
            // 304: already running.
            await api.Call("POST", $"/containers/{EngineApi.Segment(name)}/start", t, HttpStatusCode.NotModified).ConfigureAwait(false);
            return Unit.Default;
        });

    public Task<Either<EngineError, Unit>> Pause(string name, CancellationToken ct) =>
        AlreadyIsOk(Call("pause " + name, ct, async t =>
        {
            await api.Call("POST", $"/containers/{EngineApi.Segment(name)}/pause", t).ConfigureAwait(false);
            return Unit.Default;
        }), "is already paused");

    public Task<Either<EngineError, Unit>> Unpause(string name, CancellationToken ct) =>
        AlreadyIsOk(Call("unpause " + name, ct, async t =>
        {
            await api.Call("POST", $"/containers/{EngineApi.Segment(name)}/unpause", t).ConfigureAwait(false);
            return Unit.Default;
        }), "is not paused");

    /// <summary>Stopped already, or no such container: nothing runs, which is what stop means.</summary>
    public async Task<Either<EngineError, Unit>> Stop(string name, TimeSpan grace, CancellationToken ct)
    {
        var r = await EngineCalls.Run("stop " + name, policy, grace + policy.CallLimit, ct, async t =>
        {
            var seconds = (uint)Math.Ceiling(Math.Max(0, grace.TotalSeconds));
            // 304: stopped already.
            await api.Call("POST", EngineApi.Query($"/containers/{EngineApi.Segment(name)}/stop", ("t", Num(seconds))), t, HttpStatusCode.NotModified)
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
            await api.Call("POST", EngineApi.Query($"/containers/{EngineApi.Segment(name)}/kill", ("signal", "KILL")), t)
                .ConfigureAwait(false);
            return Unit.Default;
        }), "is not running", "can only kill running containers").ConfigureAwait(false);
        return Recover(r, e => e is EngineError.NotFound, Unit.Default);
    }

    public async Task<Either<EngineError, Unit>> Remove(string name, CancellationToken ct)
    {
        var r = await Call("remove " + name, ct, async t =>
        {
            await api.Call("DELETE", EngineApi.Query($"/containers/{EngineApi.Segment(name)}", ("force", "1"), ("v", "1")), t)
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
            (await ContainerList(null, t).ConfigureAwait(false))
            .Filter(c => ids.Exists(i => c.Uses(i, names)))).ConfigureAwait(false);
    }

    // RemoveImageIfUnused: in DockerEngine.Images.cs (imagegc: it takes the image's exclusive hold first).

    public Task<Either<EngineError, int>> WaitForExit(string name, TimeSpan limit, CancellationToken ct) =>
        EngineCalls.Run("wait " + name, policy, limit, ct, async t =>
        {
            using var doc = await api.Json("POST", $"/containers/{EngineApi.Segment(name)}/wait", t).ConfigureAwait(false);
            return (int)doc.RootElement.Long("StatusCode");
        });

    public Task<Either<EngineError, long>> CpuNanos(string name, CancellationToken ct) =>
        Call("stats " + name, ct, async t =>
        {
            using var doc = await api.Json(
                "GET", EngineApi.Query($"/containers/{EngineApi.Segment(name)}/stats", ("stream", "0"), ("one-shot", "1")), t)
                .ConfigureAwait(false);
            return doc.RootElement.Get("cpu_stats").Get("cpu_usage").Long("total_usage");
        });

    public Task<Either<EngineError, Seq<ListedContainer>>> ListContainers(string label, CancellationToken ct) =>
        Call("list containers", ct, t => ContainerList(EngineApi.Filter("label", label), t));

    public Task<Either<EngineError, Seq<ListedContainer>>> AllContainers(CancellationToken ct) =>
        Call("list containers", ct, t => ContainerList(null, t));

    /// <summary>Every container in any state (<c>all</c>), with the engine filter when one is given.</summary>
    private async Task<Seq<ListedContainer>> ContainerList(string? filter, CancellationToken ct)
    {
        using var doc = await api.Json("GET", EngineApi.Query("/containers/json", ("all", "1"), ("filters", filter)), ct)
            .ConfigureAwait(false);
        return doc.RootElement.Items().Select(Listing).ToSeq().Strict();
    }

    private static ListedContainer Listing(JsonElement c) =>
        new(c.Str("Id"),
            c.Strings("Names").HeadOrNone().IfNone("").TrimStart('/'),
            c.Str("State"),
            EngineDifferences.ShortImageName(c.Str("Image")),
            c.StringMap("Labels"))
        {
            Mounts = c.Get("Mounts").Items().Select(m => m.Str("Source")).Where(m => m.Length > 0).ToSeq().Strict(),
            ImageId = Core.Naming.BareImageId(c.Str("ImageID")),
        };

    public Task<Either<EngineError, Seq<ListedImage>>> ListImages(string label, CancellationToken ct) =>
        Call("list images", ct, async t =>
            (await ImageList(label, t).ConfigureAwait(false))
            .Map(i => new ListedImage(
                i.Str("Id"),
                // Podman lists localhost/NAME for the NAME we built: report the name we gave.
                i.Strings("RepoTags").Map(EngineDifferences.ShortImageName).Strict(),
                i.StringMap("Labels"))));

    /// <summary>The images with <paramref name="label"/>, as the engine lists them (a copy of each, so no document outlives the call).</summary>
    private async Task<Seq<JsonElement>> ImageList(string label, CancellationToken ct)
    {
        using var doc = await api.Json(
            "GET", EngineApi.Query("/images/json", ("all", "0"), ("filters", EngineApi.Filter("label", label))), ct)
            .ConfigureAwait(false);
        return doc.RootElement.Items().Select(i => i.Clone()).ToSeq().Strict();
    }

    public void Dispose()
    {
        ReleaseImageHolds(); // imagegc: this wrapper no longer uses its image (DockerEngine.Images.cs)
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
    private static RunFacts RunFactsOf(JsonElement state)
    {
        static Option<DateTimeOffset> Time(string? text) =>
            DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t) && t.Year > 1970
                ? t
                : Option<DateTimeOffset>.None;
        return state.ValueKind != JsonValueKind.Object
            ? RunFacts.Unknown
            : new RunFacts(Time(state.Str("StartedAt")), Time(state.Str("FinishedAt")), state.Bool("OOMKilled"));
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

    private static string Num(long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
