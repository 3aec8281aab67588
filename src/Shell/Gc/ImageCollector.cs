using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Gc;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Engine;
using LanguageExt;

namespace Boinc.Persist.Shell.Gc;

/// <summary>One image the collector looked at.</summary>
public sealed record ImageGcItem(string Id, string Name, bool Removed, string Reason);

/// <summary>
/// Collects our images (see <see cref="ImageGcRules"/> for when one goes and <see cref="ImageUse"/> for the
/// protocol that makes it safe against a wrapper about to use it): lists, gathers facts, decides (pure),
/// then, per image to remove, takes the image's exclusive hold, gathers its facts again and decides again
/// under the hold, and only then deletes. Engine errors are returned, never thrown.
/// </summary>
public static class ImageCollector
{
    public static async Task<(Seq<ImageGcItem> Items, Seq<EngineError> Errors)> Run(
        IInventory engine, TimeSpan maxAge, Option<long> maxTotalBytes, Seq<string> slotHints, Func<IReadOnlyDictionary<string, string>, bool> inScope,
        IReadOnlySet<string> goneContainers, DateTimeOffset now, bool dryRun, CancellationToken ct)
    {
        var errors = Seq<EngineError>.Empty;
        var listed = await engine.StoredImages($"{Labels.Owner}={Labels.OwnerValue}", ct).ConfigureAwait(false);
        if (listed.Case is EngineError le)
            return (Seq<ImageGcItem>.Empty, Seq1(le));
        var images = ((Seq<StoredImage>)listed.Case!).Filter(i => GcRules.Ours(i.Labels)).Filter(i => inScope(i.Labels)).Strict();

        // Slots named by our containers: their journals may name an image.
        var slots = slotHints;
        var ours = await engine.ListContainers($"{Labels.Owner}={Labels.OwnerValue}", ct).ConfigureAwait(false);
        if (ours.Case is EngineError oe)
            errors = errors.Add(oe);
        else
            slots = slots.Then(((Seq<ListedContainer>)ours.Case!).Choose(c => c.Labels.TryGetValue(Labels.Slot, out var s) ? Option<string>.Some(s) : Option<string>.None));

        // Every container, listed once for all images (users are matched here, by id or name): a collection asks
        // the engine three things whatever the number of our images. (It asked an image id and a full container
        // list per image: bench item 8 counted 61 calls per wrapper run with 10 of our images on the host, 21 with none.)
        var facts = new List<ImageFacts>();
        var byId = new Dictionary<string, StoredImage>(StringComparer.Ordinal);
        if (images.IsEmpty)
            return (Seq<ImageGcItem>.Empty, errors);
        var everyContainer = await engine.AllContainers(ct).ConfigureAwait(false);
        if (everyContainer.Case is EngineError ae)
            return (Seq<ImageGcItem>.Empty, errors.Add(ae));
        var containers = (Seq<ListedContainer>)everyContainer.Case!;
        foreach (var i in images)
        {
            facts.Add(Facts(containers, i, slots, goneContainers));
            byId[i.Id] = i;
        }

        var items = Seq<ImageGcItem>.Empty;
        foreach (var verdict in ImageGcRules.Decide(facts.ToSeq(), now, maxAge, maxTotalBytes))
        {
            var image = byId[verdict.Id];
            switch (verdict)
            {
                case ImageVerdict.StartClock:
                    if (!dryRun) ImageUse.StartClock(image.Tags.IsEmpty ? Seq1(image.Id) : image.Tags);
                    items = items.Add(new ImageGcItem(verdict.Id, verdict.Name, false, verdict.Reason));
                    break;
                case ImageVerdict.Keep:
                    items = items.Add(new ImageGcItem(verdict.Id, verdict.Name, false, verdict.Reason));
                    break;
                case ImageVerdict.Remove r when dryRun:
                    items = items.Add(new ImageGcItem(r.Id, r.Name, true, r.Reason));
                    break;
                case ImageVerdict.Remove r:
                    var (item, error) = await RemoveUnderHold(engine, image, r, facts.First(f => f.Id == r.Id), slots, goneContainers, ct).ConfigureAwait(false);
                    items = items.Add(item);
                    error.Iter(e => errors = errors.Add(e));
                    break;
            }
        }

        return (items, errors);
    }

    /// <summary>The hold, then the facts again: removed only if still free and no use was recorded since.</summary>
    private static async Task<(ImageGcItem, Option<EngineError>)> RemoveUnderHold(
        IInventory engine, StoredImage image, ImageVerdict.Remove verdict, ImageFacts before, Seq<string> slots, IReadOnlySet<string> goneContainers, CancellationToken ct)
    {
        var refs = image.Tags.IsEmpty ? Seq1(image.Id) : image.Tags;
        var hold = ImageUse.TryExclusive(refs);
        if (hold.IsNone)
            return (new ImageGcItem(image.Id, verdict.Name, false, "held by a running wrapper (image lock)"), Option<EngineError>.None);
        using var held = hold.IfNone(() => throw new InvalidOperationException());
        var listedAgain = await engine.AllContainers(ct).ConfigureAwait(false);
        if (listedAgain.Case is EngineError e)
            return (new ImageGcItem(image.Id, verdict.Name, false, "kept: its users could not be listed again"), Option<EngineError>.Some(e));
        var now = Facts((Seq<ListedContainer>)listedAgain.Case!, image, slots, goneContainers);
        var changed = !now.Containers.IsEmpty || !now.Slots.IsEmpty || now.LastUsed != before.LastUsed;
        if (changed)
            return (new ImageGcItem(image.Id, verdict.Name, false, "kept: it was used while gc looked at it"), Option<EngineError>.None);
        // By its one tag when it has one (Podman refuses some removals by id that it accepts by name).
        var deleted = await engine.DeleteImage(image.Tags.Count == 1 ? image.Tags.Head() : image.Id, ct).ConfigureAwait(false);
        return deleted.Match(
            d =>
            {
                if (d) ImageUse.Forget(refs);
                return (new ImageGcItem(image.Id, verdict.Name, d, d ? verdict.Reason : "kept: the engine refused (a container uses it, or it is gone)"), Option<EngineError>.None);
            },
            err => (new ImageGcItem(image.Id, verdict.Name, false, "kept: the engine failed to remove it"), Option<EngineError>.Some(err)));
    }

    /// <summary>The image's facts, its users taken from <paramref name="containers"/> (every container the engine listed).</summary>
    private static ImageFacts Facts(Seq<ListedContainer> containers, StoredImage i, Seq<string> slots, IReadOnlySet<string> goneContainers)
    {
        // By id or by any of its tags: a container created from a tag the image still has, or from its id.
        var users = containers.Filter(c => c.Uses(i.Id, i.Tags));
        var refs = i.Tags.IsEmpty ? Seq1(i.Id) : i.Tags;
        var (lastUsed, recorded) = ImageUse.Recorded(refs);
        var naming = Seqs.Then(slots, recorded).Distinct()
            .Filter(s => JournalNames(s, i.Id, unreadableCounts: recorded.Contains(s))).ToSeq().Strict();
        return new ImageFacts(i.Id, i.Tags.HeadOrNone().IfNone(i.Id), true, i.SizeBytes, lastUsed,
            users.Filter(c => !goneContainers.Contains(c.Id)).Map(c => c.Name).Strict(), naming, false);
    }

    /// <summary>
    /// Whether the slot's journal names the image for a job that is not over. A journal that cannot be read
    /// counts as naming it when the image's use record says this slot used it (gc removes only what it can
    /// prove unused); for any other slot it names nothing, or one torn journal (the job can write its slot)
    /// would pin every image on the host.
    /// </summary>
    private static bool JournalNames(string slot, string imageId, bool unreadableCounts)
    {
        if (!Path.IsPathFullyQualified(slot) || !Directory.Exists(slot))
            return false;
        var read = JournalFile.Read(slot);
        if (read.Problem.IsSome)
            return unreadableCounts;
        return read.Journal.Exists(j => !j.Finished && j.Intent != Intent.Abort && j.ImageId.Exists(id => SameId(id, imageId)));
    }

    public static bool SameId(string a, string b) => Core.Naming.BareImageId(a) == Core.Naming.BareImageId(b);

    private static Seq<T> Seq1<T>(T x) => LanguageExt.Prelude.Seq1(x);
}
