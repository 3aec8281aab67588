using System;
using System.Globalization;
using System.Linq;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// A slot's size as the BOINC client counts it (the sum of <c>st_size</c> of every regular file, found with
/// lstat, recursively; symlinks, FIFOs and directories count nothing; a hard link counts once per name, a
/// reflinked or sparse file at its full length), split into the wrapper's state directory and the rest.
/// <paramref name="Complete"/> is false when the walk stopped at its bound, so the figures are lower bounds.
/// </summary>
public sealed record SlotUsage(long JobBytes, long StoreBytes, bool Complete)
{
    /// <summary>
    /// With the result's output files in the project directory added to the job's share: the client sums the slot
    /// AND the sizes of <c>result-&gt;output_files</c> (<c>ACTIVE_TASK::current_disk_usage</c>, client/app.cpp,
    /// 8.2.15) against <c>rsc_disk_bound</c>, so a job writing its output through a link file into the project
    /// directory uses the same budget. Negative sizes count 0; the sum saturates.
    /// </summary>
    public SlotUsage WithOutputs(long outputBytes) =>
        this with { JobBytes = outputBytes <= 0 ? JobBytes : JobBytes > long.MaxValue - outputBytes ? long.MaxValue : JobBytes + outputBytes };
}

/// <summary>
/// What the budget is asked before a commit: <c>rsc_disk_bound</c> (bytes; zero, negative or not finite: no limit),
/// the slot's usage, the store's current manifest, the checkpoint about to be committed (its bytes, its number
/// of files, the total length of their names), the size of the current MANIFEST, and job.toml's <c>keep</c>.
/// </summary>
public sealed record DiskBudgetInput(
    double BoundBytes,
    SlotUsage Usage,
    Manifest Current,
    long NewBytes,
    int NewFiles,
    long NewNameBytes,
    long ManifestBytes,
    int Keep);

/// <summary>
/// The budget's answer. <paramref name="Commit"/>: whether the new generation may be staged now.
/// <paramref name="RetireFirst"/>: generations older than the newest to retire (manifest first, then their
/// directories) before staging, never the newest. <paramref name="KeepAfter"/>: how many generations, the new one
/// included, to keep once it is sealed (at least 1). <paramref name="Note"/>: what the log must say when the budget
/// keeps fewer generations than job.toml asks or refuses the commit. The figures are for the log.
/// </summary>
public sealed record DiskBudgetDecision(
    bool Commit,
    Seq<long> RetireFirst,
    int KeepAfter,
    Option<string> Note,
    long AvailableBytes,
    long MarginBytes);

/// <summary>
/// The checkpoint store's budget against BOINC's disk limit. The client aborts a task whose slot (plus its output
/// files) exceeds <c>rsc_disk_bound</c> ("Disk usage limit exceeded", checked every few minutes), and the store's
/// generations live in the slot and count in full. The budget keeps the store's peak (the kept generations plus
/// the one being staged, both manifest slots) within <c>rsc_disk_bound</c> minus a margin minus
/// what the job itself uses. It retires older generations first; the newest committed generation is only ever
/// retired after a newer one is sealed (by <see cref="CommitProtocol.Seal"/> or <see cref="Retire"/> once the
/// commit returned), so a crash at any point leaves a committed generation to resume from. When even the newest
/// generation and the new one cannot both be in the slot, the commit is refused and the newest stays: the job then
/// resumes from it after a crash, which costs the work since, where exceeding the bound would cost the task.
/// </summary>
public static class DiskBudget
{
    /// <summary>The smallest margin kept below the bound: the job writes between our measurement and the client's check.</summary>
    public const long MinMarginBytes = 64 << 10;

    /// <summary>The largest margin kept below the bound.</summary>
    public const long MaxMarginBytes = 64L << 20;

    /// <summary>The margin is this fraction of the bound, between <see cref="MinMarginBytes"/> and <see cref="MaxMarginBytes"/>.</summary>
    public const double MarginFraction = 0.02;

    /// <summary>Per stored file, a bound on its MANIFEST line apart from the name (index, size, hash, separators).</summary>
    public const long ManifestLineBytes = 160;

    /// <summary>A bound on the MANIFEST's per-generation header and checksum line.</summary>
    public const long ManifestHeaderBytes = 1024;

    /// <summary>Whether a bound is a limit at all (BOINC writes 0 when the workunit sets none).</summary>
    public static bool HasLimit(double bound) => double.IsFinite(bound) && bound >= 1;

    public static long Margin(double bound) =>
        !HasLimit(bound) ? 0 : Math.Clamp((long)(bound * MarginFraction), MinMarginBytes, MaxMarginBytes);

    /// <summary>The bound in whole bytes (rounded down: never more room than BOINC grants).</summary>
    public static long BoundBytes(double bound) => !HasLimit(bound) ? long.MaxValue : bound >= long.MaxValue ? long.MaxValue : (long)Math.Floor(bound);

    public static DiskBudgetDecision Decide(DiskBudgetInput input)
    {
        var keep = Math.Max(1, input.Keep);
        var gens = input.Current.Generations;
        if (!HasLimit(input.BoundBytes))
            return new DiskBudgetDecision(true, Seq<long>.Empty, keep, Option<string>.None, long.MaxValue, 0);

        var room = Room.Of(input);
        var newBytes = Math.Max(0, input.NewBytes);
        var newest = gens.IsEmpty ? Option<Generation>.None : Option<Generation>.Some(gens.Last);
        var peakMinimum = Sat(newBytes, newest.Map(g => g.TotalBytes).IfNone(0));
        if (peakMinimum > room.Available)
            return Refuse(input, room, newest, peakMinimum, keep);

        var during = Fitting(gens, room.Available, newBytes);
        var retireFirst = gens.Filter(g => !during.Exists(k => k.Number == g.Number)).Map(g => g.Number);
        var keepAfter = input.Usage.Complete ? KeepAfterSeal(during, room.Available, newBytes, keep) : 1;
        // Fewer than keep is news only when the store would otherwise hold more (a first commit keeps one anyway).
        var note = keepAfter < Math.Min(keep, during.Count + 1) || !retireFirst.IsEmpty
            ? Option<string>.Some($"kept {keepAfter} generation{(keepAfter == 1 ? "" : "s")} instead of {keep}: {room.Context}" +
                                  (retireFirst.IsEmpty ? "" : $"; retired generation{(retireFirst.Count == 1 ? "" : "s")} {string.Join(", ", retireFirst)} before the commit to make room"))
            : Option<string>.None;
        return new DiskBudgetDecision(true, retireFirst, keepAfter, note, room.Available, room.Margin);
    }

    /// <summary>
    /// The room the generations have within the bound: what the job, the store's other files (manifest, journal,
    /// leftovers of unsealed commits, counted as they are), the next manifest written beside the old one before the
    /// rename (both at once, at the peak) and the margin leave. Negative when the job alone leaves no room.
    /// </summary>
    private sealed record Room(long Available, long Margin, long NextManifest, long OtherStore, string Context)
    {
        public static Room Of(DiskBudgetInput input)
        {
            var bound = BoundBytes(input.BoundBytes);
            var margin = DiskBudget.Margin(input.BoundBytes);
            var listed = input.Current.Generations.Fold(0L, (s, g) => Sat(s, g.TotalBytes));
            var otherStore = Math.Max(0, input.Usage.StoreBytes - listed);
            var nextManifest = Sat(Sat(input.ManifestBytes, ManifestHeaderBytes),
                Sat(Math.Max(0, input.NewNameBytes), Mul(Math.Max(0, input.NewFiles), ManifestLineBytes)));
            var fixedCost = Sat(Sat(Sat(input.Usage.JobBytes, otherStore), nextManifest), margin);
            var context = $"rsc_disk_bound {Mb(bound)}, the job uses {Mb(input.Usage.JobBytes)}{(input.Usage.Complete ? "" : " or more (the slot has too many entries to count them all)")}, " +
                          $"the checkpoint is {Mb(Math.Max(0, input.NewBytes))}, safety margin {Mb(margin)}";
            return new Room(bound - fixedCost, margin, nextManifest, otherStore, context);
        }
    }

    /// <summary>Newest first: the generations that fit beside <paramref name="extra"/> bytes, always the newest (it is never retired here).</summary>
    private static Seq<Generation> Fitting(Seq<Generation> gens, long available, long extra)
    {
        var kept = Seq<Generation>.Empty;
        var sum = extra;
        foreach (var g in gens.Reverse())
        {
            var next = Sat(sum, g.TotalBytes);
            if (!kept.IsEmpty && next > available) break;
            kept = kept.Add(g);
            sum = next;
        }

        return kept;
    }

    /// <summary>
    /// Refused: the newest generation and the new checkpoint cannot both be in the slot. Older generations are
    /// retired anyway when the job's own growth leaves no room for them; the newest stays.
    /// </summary>
    private static DiskBudgetDecision Refuse(DiskBudgetInput input, Room room, Option<Generation> newest, long peakMinimum, int keep)
    {
        var gens = input.Current.Generations;
        var stay = Fitting(gens, room.Available, 0);
        var retire = gens.Filter(g => !stay.Exists(k => k.Number == g.Number)).Map(g => g.Number);
        var needed = Mb(Needed(input, room.Margin, room.NextManifest, room.OtherStore, peakMinimum));
        var why = newest.Match(
            g => $"disk budget: generation {g.Number} ({Mb(g.TotalBytes)}) and the new checkpoint cannot both be in the slot within the disk limit ({room.Context}); " +
                 $"generation {g.Number} is kept and the job resumes from it after a crash; raise the workunit's rsc_disk_bound to at least {needed} to checkpoint again",
            () => $"disk budget: the checkpoint alone does not fit in the slot within the disk limit ({room.Context}); " +
                  $"raise the workunit's rsc_disk_bound to at least {needed}");
        return new DiskBudgetDecision(false, retire, keep, Option<string>.Some(why), room.Available, room.Margin);
    }

    /// <summary>
    /// After the seal: as many generations (the new one included) as leave room to stage the next checkpoint of
    /// about this size beside them, at most <paramref name="keep"/>, at least the new one.
    /// </summary>
    private static int KeepAfterSeal(Seq<Generation> during, long available, long newBytes, int keep)
    {
        var keepAfter = 1;
        var afterSum = Sat(newBytes, newBytes);
        foreach (var g in during.Take(Math.Max(0, keep - 1)))
        {
            var next = Sat(afterSum, g.TotalBytes);
            if (next > available) break;
            afterSum = next;
            keepAfter++;
        }

        return keepAfter;
    }

    /// <summary>
    /// Retire generations other than the newest (<see cref="StoreState.Current"/>'s). In store format 2 each is one
    /// pack, deleted (then the store fsynced, so the space is back for good): a deletion a crash undoes brings back
    /// an older generation, never a newer one. In a store of format 1 (before its first pack), the manifest without
    /// them is written to the other manifest slot and made durable with its name (it lists the same newest generation
    /// with fewer beside it, so it is the newer of the two), and only then are their directories removed. Refuses to
    /// retire the newest or a generation the store does not have.
    /// </summary>
    public static Fin<(Manifest Next, Seq<FsEffect> Effects)> Retire(StoreState store, Seq<long> numbers)
    {
        var current = store.Current;
        if (numbers.IsEmpty) return (current, Seq<FsEffect>.Empty);
        if (current.Latest.Map(l => numbers.Contains(l.Number)).IfNone(false))
            return Error.New($"generation {current.Latest.Map(l => l.Number).IfNone(0)} is the newest committed generation and is never retired before a newer one is sealed");
        var unknown = numbers.Find(n => !current.Generations.Exists(g => g.Number == n));
        if (unknown.IsSome)
            return Error.New($"generation {unknown.IfNone(0)} is not in the store");
        var next = new Manifest(current.Generations.Filter(g => !numbers.Contains(g.Number)));
        if (!store.SealedPacks.IsEmpty)
            return (next, numbers.Map(n => (FsEffect)new FsEffect.Delete(StoreLayout.PackPath(n))).Add(new FsEffect.FsyncDir(StoreLayout.StoreDir)));
        var target = ManifestSlots.Other(ManifestSlots.Newest(store).Map(n => n.Path));
        var effects = new FsEffect[]
            {
                new FsEffect.WriteFile(target, ManifestText.Format(next)),
                new FsEffect.Fsync(target),
                new FsEffect.FsyncDir(StoreLayout.StoreDir),
            }.ToSeq()
            .Then(numbers.Map(n => (FsEffect)new FsEffect.DeleteTree(StoreLayout.GenerationDir(n))))
            .Add(new FsEffect.FsyncDir(StoreLayout.StoreDir));
        return (next, effects);
    }

    /// <summary>
    /// For <c>check</c> and <c>plan</c>: why a checkpoint of <paramref name="checkpointBytes"/> beside
    /// <paramref name="jobBytes"/> of other files cannot be committed twice (the newest generation and the one being
    /// staged) within the bound, if it cannot.
    /// </summary>
    public static Option<string> CannotFitTwice(double bound, long jobBytes, long checkpointBytes, int files)
    {
        if (!HasLimit(bound)) return Option<string>.None;
        var margin = Margin(bound);
        var need = Sat(Sat(Sat(jobBytes, Mul(2, checkpointBytes)), margin), Sat(ManifestHeaderBytes * 2, Mul(files, 2 * (ManifestLineBytes + 256))));
        return need <= BoundBytes(bound)
            ? Option<string>.None
            : Option<string>.Some($"rsc_disk_bound is {Mb(BoundBytes(bound))}, but the slot's files ({Mb(jobBytes)}, the checkpoint included) and two checkpoint generations " +
                                  $"({Mb(Mul(2, checkpointBytes))}) with the safety margin ({Mb(margin)}) need {Mb(need)}: the wrapper will keep one generation and skip commits " +
                                  "that do not fit (resuming from an older checkpoint after a crash) rather than exceed the limit; raise rsc_disk_bound or make the checkpoint smaller");
    }

    private static long Needed(DiskBudgetInput input, long margin, long nextManifest, long otherStore, long peak) =>
        Sat(Sat(Sat(Sat(input.Usage.JobBytes, otherStore), nextManifest), margin), peak);

    private static string Mb(long bytes) =>
        bytes == long.MaxValue ? "unlimited" : (bytes / 1048576.0).ToString("0.00", CultureInfo.InvariantCulture) + " MB";

    private static long Sat(long a, long b) => b > 0 && a > long.MaxValue - b ? long.MaxValue : a + b;

    private static long Mul(long a, long b) => a != 0 && b > long.MaxValue / a ? long.MaxValue : a * b;
}
