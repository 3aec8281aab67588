using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
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
/// container uses. Only objects with our owner label are considered (and, with a scope, only those that also
/// carry that label), so nothing we did not create is ever touched.
/// </summary>
public static class GarbageCollector
{
    public static async Task<GcReport> Run(IEngine engine, bool dryRun, Option<string> scope, CancellationToken ct)
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

        var images = await engine.ListImages(ownerLabel, ct).ConfigureAwait(false);
        if (images.Case is EngineError imageError)
            return new GcReport(items, errors.Add(imageError));
        foreach (var i in ((Seq<ListedImage>)images.Case!).Filter(i => InScope(i.Labels, scope) && GcRules.Ours(i.Labels)))
        {
            var name = i.Tags.HeadOrNone().IfNone(i.Id);
            var users = await engine.ContainersUsing(i.Id, ct).ConfigureAwait(false);
            if (users.Case is EngineError usersError)
            {
                errors = errors.Add(usersError);
                continue;
            }

            // In a dry run the containers gc would remove still exist: count them as gone.
            var wouldGo = items.Filter(x => x.Kind == "container" && x.Removed).Map(x => x.Id).ToHashSet();
            var inUse = ((Seq<ListedContainer>)users.Case!).Filter(u => !wouldGo.Contains(u.Id));
            if (!inUse.IsEmpty)
            {
                items = items.Add(new GcItem("image", name, i.Id, false, $"used by {string.Join(", ", inUse.Map(u => u.Name))}"));
                continue;
            }

            var removed = dryRun;
            if (!dryRun)
            {
                var r = await engine.RemoveImageIfUnused(i.Id, ct).ConfigureAwait(false);
                r.IfLeft(e => errors = errors.Add(e));
                removed = r.Exists(x => x);
            }

            items = items.Add(new GcItem("image", name, i.Id, removed, removed ? "no container uses it" : "in use or referenced elsewhere"));
        }

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
