using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Engine;
using LanguageExt;

namespace Boinc.Persist.Shell.Gc;

/// <summary>One thing gc looked at.</summary>
public sealed record GcItem(string Kind, string Name, string Id, bool Removed, string Reason);

/// <summary>What gc did (or, in a dry run, would do), and the engine errors it met.</summary>
public sealed record GcReport(Seq<GcItem> Items, Seq<EngineError> Errors);

/// <summary>
/// <c>boinc-persist gc</c>: removes our orphaned containers (see <see cref="GcRules"/>), then our images that no
/// container, live slot journal or running wrapper uses (see <see cref="ImageCollector"/>). Only objects with our owner label are considered (and, with a scope, only those that also
/// carry that label), so nothing we did not create is ever touched.
/// </summary>
public static class GarbageCollector
{
    public static Task<GcReport> Run<TEngine>(TEngine engine, bool dryRun, Option<string> scope, CancellationToken ct)
        where TEngine : IInventory, IContainers =>
        Run(engine, dryRun, scope, TimeSpan.Zero, DateTimeOffset.UtcNow, ct);

    /// <summary>As above; our images go once unused for <paramref name="maxAge"/> (zero: now).</summary>
    public static async Task<GcReport> Run<TEngine>(TEngine engine, bool dryRun, Option<string> scope, TimeSpan maxAge, DateTimeOffset now, CancellationToken ct)
        where TEngine : IInventory, IContainers
    {
        var items = Seq<GcItem>.Empty;
        var errors = Seq<EngineError>.Empty;
        var ownerLabel = $"{Labels.Owner}={Labels.OwnerValue}";

        var containers = await engine.ListContainers(ownerLabel, ct).ConfigureAwait(false);
        if (containers.Case is EngineError listError)
            return new GcReport(items, errors.Add(listError));
        foreach (var c in ((Seq<ListedContainer>)containers.Case!).Filter(c => InScope(c.Labels, scope) && GcRules.Ours(c.Labels)))
        {
            var verdict = GcRules.Judge(c.Name, ReadSlot(c));
            var removed = false;
            if (verdict.Remove && !dryRun)
            {
                var r = await engine.Remove(c.Id, ct).ConfigureAwait(false);
                r.IfLeft(e => errors = errors.Add(e));
                removed = r.IsRight;
            }

            items = items.Add(new GcItem("container", c.Name, c.Id, verdict.Remove && (removed || dryRun), verdict.Reason));
        }

        // Images: the collector's rules and protocol (ImageUse), with the age the command line gives.
        // In a dry run the containers gc would remove still exist: count them as gone.
        var wouldGo = items.Filter(x => x.Kind == "container" && x.Removed).Map(x => x.Id).ToHashSet();
        var (images, imageErrors) = await ImageCollector.Run(
            engine, maxAge, Option<long>.None, Seq<string>.Empty, l => InScope(l, scope), wouldGo, now, dryRun, ct).ConfigureAwait(false);
        items = items.Then(images.Map(i => new GcItem("image", i.Name, i.Id, i.Removed, i.Reason)));
        errors = errors.Then(imageErrors);
        return new GcReport(items, errors);
    }

    private static bool InScope(System.Collections.Generic.IReadOnlyDictionary<string, string> labels, Option<string> scope) =>
        scope.Match(
            s =>
            {
                var eq = s.IndexOf('=');
                return eq < 0
                    ? labels.ContainsKey(s)
                    : labels.TryGetValue(s[..eq], out var v) && v == s[(eq + 1)..];
            },
            () => true);

    private static SlotView ReadSlot(ListedContainer c)
    {
        if (!c.Labels.TryGetValue(Labels.Slot, out var slot) || string.IsNullOrWhiteSpace(slot))
            return new SlotView.NoSlotLabel();
        if (!Directory.Exists(slot))
            return new SlotView.SlotGone(slot);
        // The journal is the job's slot's: read through the slot accessor (no link followed, size bounded).
        var read = JournalFile.Read(slot);
        return read.Problem.Match<SlotView>(
            problem => new SlotView.Unreadable(slot, problem),
            () => read.Journal.Match<SlotView>(j => new SlotView.HasJournal(slot, j), () => new SlotView.NoJournal(slot)));
    }
}
