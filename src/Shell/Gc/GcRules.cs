using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using LanguageExt;
using System.Collections.Generic;

namespace Boinc.Persist.Shell.Gc;

/// <summary>What gc found in a container's slot directory.</summary>
public abstract record SlotView
{
    private SlotView() { }

    public sealed record NoSlotLabel : SlotView;

    public sealed record SlotGone(string Path) : SlotView;

    public sealed record NoJournal(string Path) : SlotView;

    public sealed record Unreadable(string Path, string Why) : SlotView;

    public sealed record HasJournal(string Path, Journal Journal) : SlotView;
}

/// <summary>gc's verdict on one container: remove it (orphaned) or keep it, and why.</summary>
public sealed record Verdict(bool Remove, string Reason);

/// <summary>
/// When a container of ours is orphaned. Every container we create carries our owner label and its slot's path,
/// and the slot's journal names it before it is created. So a container is orphaned when its slot is gone, its
/// slot has no journal, the journal names another container (BOINC reused the slot), or the journal records
/// that the job finished or was aborted. Anything else — in particular a journal we cannot read — is kept: gc
/// removes only what it can prove unused.
/// </summary>
public static class GcRules
{
    public static Verdict Judge(string containerName, SlotView slot) => slot switch
    {
        SlotView.NoSlotLabel => new(true, $"no {Labels.Slot} label"),
        SlotView.SlotGone s => new(true, $"slot directory {s.Path} no longer exists"),
        SlotView.NoJournal s => new(true, $"slot {s.Path} has no journal ({Journal.FileName})"),
        SlotView.Unreadable s => new(false, $"journal in {s.Path} is unreadable ({s.Why}); not proven orphaned"),
        SlotView.HasJournal { Journal: var j } s when j.Container != containerName =>
            new(true, $"slot {s.Path} now runs {j.Container}"),
        SlotView.HasJournal { Journal: var j } s when j.Finished =>
            new(true, $"the job in {s.Path} finished (exit code {j.FinishedExitCode.IfNone(0)})"),
        SlotView.HasJournal { Journal: var j } s when j.Intent == Intent.Abort =>
            new(true, $"the job in {s.Path} was aborted"),
        SlotView.HasJournal s => new(false, $"in use by slot {s.Path}"),
        _ => new(false, "unknown"),
    };

    /// <summary>True when the labels say we created it.</summary>
    public static bool Ours(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(Labels.Owner, out var owner) && owner == Labels.OwnerValue;
}
