using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Planning;
using System.Text.Json;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

public sealed partial class DockerEngine
{
    // The images this engine (one wrapper) chose, held against the image collector until Dispose.
    private readonly Dictionary<string, IDisposable> imageHolds = new(StringComparer.Ordinal);

    // fcntl locks do not exclude threads of one process, so one process also serialises by tag in memory.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> LocalBuildLocks = new();

    /// <summary>
    /// Whether the image carries our owner label (<see cref="Labels.Owner"/>), so removing it cannot remove a
    /// volunteer's own or another project's image that a job named in image_name. Absent: false.
    /// </summary>
    public async Task<Either<EngineError, bool>> OwnedImage(string tag, CancellationToken ct)
    {
        var r = await Call("inspect image " + tag, ct, async t =>
        {
            using var doc = await InspectImageJson(tag, t).ConfigureAwait(false);
            return doc.RootElement.Get("Config").StringMap("Labels").TryGetValue(Labels.Owner, out var v) && v == Labels.OwnerValue;
        }).ConfigureAwait(false);
        return Recover(r, e => e is EngineError.NotFound, false);
    }

    public async Task<Either<EngineError, EnsuredImage>> EnsureImage(
        ImagePlan image, string dockerfile, TextWriter log, CancellationToken ct)
    {
        // Image chosen: held (shared) from before we look for it until this wrapper ends, so the image
        // collector cannot remove it between "present" and "our container exists" (see ImageUse).
        var held = await HoldImage(image.Tag, ct).ConfigureAwait(false);
        if (held.IsLeft)
            return held.Map(_ => new EnsuredImage("", false));
        var present = await ImageId(image.Tag, ct).ConfigureAwait(false);
        if (present.Exists(id => id.IsSome))
            return present.Map(id => new EnsuredImage(id.IfNone(""), false));

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(policy.BuildLimit);
        var local = LocalBuildLocks.GetOrAdd(image.Tag, _ => new SemaphoreSlim(1, 1));
        try
        {
            await local.WaitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new EngineError.Timeout("wait for the build of " + image.Tag, policy.BuildLimit);
        }

        try
        {
            HostLock hostLock;
            try
            {
                hostLock = await HostLock.Acquire("image:" + image.Tag, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new EngineError.Timeout("wait for the host-wide build lock of " + image.Tag, policy.BuildLimit);
            }

            using (hostLock)
            {
                // Another wrapper may have built it while we waited.
                var again = await ImageId(image.Tag, ct).ConfigureAwait(false);
                if (again.Exists(id => id.IsSome))
                    return again.Map(id => new EnsuredImage(id.IfNone(""), false));
                IDisposable building;
                try
                {
                    building = await ImageUse.HoldBuilds(limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    return new EngineError.Timeout("wait for an image removal to end before building " + image.Tag, policy.BuildLimit);
                }
                catch (IOException e)
                {
                    return new EngineError.Failed("build " + image.Tag, "cannot take the build hold: " + e.Message);
                }

                Either<EngineError, Unit> built;
                using (building)
                    built = await Build(image, dockerfile, log, ct).ConfigureAwait(false);
                if (built.IsLeft)
                    return built.Map(_ => new EnsuredImage("", true));
                var id = await ImageId(image.Tag, ct).ConfigureAwait(false);
                return id.Bind<EnsuredImage>(o => o.Match<Either<EngineError, EnsuredImage>>(
                    i => new EnsuredImage(i, true),
                    () => new EngineError.Failed("build " + image.Tag, "the build ended but the tag does not exist")));
            }
        }
        finally
        {
            local.Release();
        }
    }

    private async Task<Either<EngineError, Unit>> HoldImage(string tag, CancellationToken ct)
    {
        var key = ImageUse.Key(tag);
        lock (imageHolds)
            if (imageHolds.ContainsKey(key))
                return Unit.Default;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(policy.CallLimit);
        try
        {
            var hold = await ImageUse.Hold(tag, Option<string>.None, limit.Token).ConfigureAwait(false);
            lock (imageHolds)
            {
                if (imageHolds.TryAdd(key, hold))
                    return Unit.Default;
            }

            hold.Dispose();
            return Unit.Default;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new EngineError.Timeout("wait for the image lock of " + tag + " (an image gc holds it)", policy.CallLimit);
        }
        catch (IOException e)
        {
            return new EngineError.Failed("hold image " + tag, e.Message);
        }
    }

    /// <summary>Releases this wrapper's image holds (each records the time of last use).</summary>
    private void ReleaseImageHolds()
    {
        List<IDisposable> all;
        lock (imageHolds)
        {
            all = imageHolds.Values.ToList();
            imageHolds.Clear();
        }

        all.ForEach(Release);
    }

    private void ReleaseImageHold(string tag)
    {
        IDisposable? hold;
        lock (imageHolds)
            imageHolds.Remove(ImageUse.Key(tag), out hold);
        if (hold is not null)
            Release(hold);
    }

    private static void Release(IDisposable hold)
    {
        try
        {
            hold.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The record could not be written; the lock itself is released (its descriptor is closed).
        }
    }

    /// <summary>
    /// Removes the image (an aborted job's) unless it is not ours, a container uses it, or another wrapper holds
    /// it: this wrapper lets go of its own hold first, then needs the exclusive one (waiting, at most
    /// <see cref="BuildsPatience"/>, for builds elsewhere on the host to end). Returns whether it went.
    /// </summary>
    /// <summary>How long an aborted task's image removal waits for other wrappers' builds (a build holds every
    /// removal off, see <see cref="ImageUse.HoldBuilds"/>); the client gives an aborted app far longer to exit.</summary>
    public static readonly TimeSpan BuildsPatience = TimeSpan.FromSeconds(15);

    public async Task<Either<EngineError, bool>> RemoveImageIfUnused(string tag, CancellationToken ct)
    {
        // Only an image we built (our owner label): a job's image_name can name anyone's image.
        var owned = await OwnedImage(tag, ct).ConfigureAwait(false);
        if (owned.IsLeft || owned.Exists(o => !o))
            return owned.Map(_ => false);
        ReleaseImageHold(tag);
        Option<IDisposable> exclusive;
        try
        {
            exclusive = await ImageUse.ExclusiveAfterBuilds(Seq1(tag), BuildsPatience, TimeProvider.System, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false; // the wrapper is stopping: the image collector removes it later
        }
        catch (IOException e)
        {
            return new EngineError.Failed("lock image " + tag, e.Message);
        }

        if (exclusive.IsNone)
            return false; // another wrapper is using it, or builds went on for longer than the patience
        using var held = exclusive.IfNone(() => throw new InvalidOperationException());
        var users = await ContainersUsing(tag, ct).ConfigureAwait(false);
        if (users.IsLeft)
            return users.Map(_ => false);
        if (users.Exists(list => !list.IsEmpty))
            return false;
        var removed = await Call("remove image " + tag, ct, t => DeleteImageCall(tag, t)).ConfigureAwait(false);
        // Absent already, or a container started using it meanwhile (409): not removed, not an error.
        var r = Recover(removed, e => e is EngineError.NotFound or EngineError.Conflict, false);
        if (r.Exists(x => x))
            ImageUse.Forget(Seq1(tag));
        return r;
    }

    public Task<Either<EngineError, Seq<StoredImage>>> StoredImages(string label, CancellationToken ct) =>
        Call("list images", ct, async t =>
            (await ImageList(label, t).ConfigureAwait(false))
            .Map(i => new StoredImage(
                i.Str("Id"),
                i.Strings("RepoTags").Filter(x => x != "<none>:<none>").Map(EngineDifferences.ShortImageName).Strict(),
                i.Long("Size"),
                i.StringMap("Labels"))));

    public async Task<Either<EngineError, bool>> DeleteImage(string id, CancellationToken ct)
    {
        var r = await Call("remove image " + id, ct, t => DeleteImageCall(id, t)).ConfigureAwait(false);
        return Recover(r, e => e is EngineError.NotFound or EngineError.Conflict, false);
    }

    private async Task<bool> DeleteImageCall(string name, CancellationToken ct)
    {
        await api.Call("DELETE", EngineApi.Query($"/images/{EngineApi.Segment(name)}", ("force", "0")), ct).ConfigureAwait(false);
        return true;
    }

    private Task<JsonDocument> InspectImageJson(string tag, CancellationToken ct) =>
        api.Json("GET", $"/images/{EngineApi.Segment(tag)}/json", ct);

    private static Seq<string> Seq1(string x) => LanguageExt.Prelude.Seq1(x);

    private async Task<Either<EngineError, Option<string>>> ImageId(string tag, CancellationToken ct)
    {
        var r = await Call("inspect image " + tag, ct, async t =>
        {
            using var doc = await InspectImageJson(tag, t).ConfigureAwait(false);
            return doc.RootElement.Str("Id");
        }).ConfigureAwait(false);
        return r.Match<Either<EngineError, Option<string>>>(
            id => Option<string>.Some(id),
            e => e is EngineError.NotFound ? Option<string>.None : e);
    }

    private async Task<Either<EngineError, Unit>> Build(ImagePlan image, string dockerfile, TextWriter log, CancellationToken ct)
    {
        var op = "build " + image.Tag;
        var path = EngineApi.Query(
            "/build",
            ("t", image.Tag),
            ("dockerfile", "Dockerfile"),
            ("labels", EngineApi.StringMap(image.Labels.Then(image.Build.Labels).GroupBy(l => l.Key)
                .Select(g => new KeyValuePair<string, string>(g.Key, g.Last().Value)))),
            ("buildargs", EngineApi.StringMap(image.Build.BuildArgs.Map(a => new KeyValuePair<string, string>(a.Key, a.Value)))),
            ("nocache", image.Build.NoCache ? "1" : "0"),
            ("rm", "1"),
            ("forcerm", "1"),
            ("target", image.Build.Target.MatchUnsafe(t => t, () => null)),
            ("platform", image.Build.Platform.MatchUnsafe(p => p, () => null)));

        string? failure = null;
        var r = await EngineCalls.Run(op, policy, policy.BuildLimit, ct, async t =>
        {
            failure = null; // a retried attempt reports its own outcome
            using var response = await api.Send("POST", path, new EngineBody(EmptyContext(dockerfile).ToArray(), "application/x-tar"), t)
                .ConfigureAwait(false);
            using var lines = new StreamReader(response.Body, Encoding.UTF8);
            // The engine reports the build as JSON messages, one a line: the build's output, or its error.
            while (await lines.ReadLineAsync(t).ConfigureAwait(false) is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                    continue;
                var (output, error) = BuildMessage(line);
                if (output.Length > 0)
                    log.Write(output);
                if (error.Length > 0)
                {
                    failure = error;
                    log.WriteLine("build error: " + error);
                }
            }

            return Unit.Default;
        }).ConfigureAwait(false);
        await log.FlushAsync(ct).ConfigureAwait(false);
        return r.Bind<Unit>(u => failure is null ? u : new EngineError.Failed(op, failure));
    }

    /// <summary>
    /// One line of the engine's build progress: its output (<c>stream</c>) and its error (<c>errorDetail.message</c>,
    /// else <c>error</c>). A line that is not such a message is output as it came, so nothing the engine said is lost.
    /// </summary>
    public static (string Output, string Error) BuildMessage(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var m = doc.RootElement;
            var detail = m.Get("errorDetail").Str("message");
            return (m.Str("stream"), detail.Length > 0 ? detail : m.Str("error"));
        }
        catch (JsonException)
        {
            return (line + "\n", "");
        }
    }

    /// <summary>A tar holding only the Dockerfile: nothing on the host can reach the build.</summary>
    public static MemoryStream EmptyContext(string dockerfile)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "Dockerfile")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(dockerfile)),
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                ModificationTime = DateTimeOffset.UnixEpoch,
            };
            writer.WriteEntry(entry);
        }

        tar.Position = 0;
        return tar;
    }
}
