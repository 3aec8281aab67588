using System;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Slots;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Shell.Run;

/// <summary>
/// The checkpoint port under BOINC's disk limit: before each commit it measures the slot as the client does
/// (<see cref="SlotUsageMeter"/>), asks <see cref="DiskBudget.Decide"/>, retires older generations that would not
/// fit beside the new one (never the newest), refuses the commit when even the newest and the new one cannot both
/// be in the slot (the newest stays), and after the seal keeps only as many generations as leave room for the next
/// commit. The job's share includes the result's output files in the project directory (<paramref name="outputBytes"/>),
/// which the client sums with the slot. Every time it keeps fewer generations than job.toml asks, or refuses, the log says why. With no
/// <c>rsc_disk_bound</c> it only passes through.
/// </summary>
public sealed class DiskBudgetPort(ICheckpoints inner, CheckpointStore store, double rscDiskBound, Action<string> warn, Func<long>? outputBytes = null) : ICheckpoints
{
    /// <summary>The error code of a commit the disk budget refused (the previous generation is intact).</summary>
    public const int RefusedCode = 0x4250_0010;

    private Option<string> budgetProblem;

    /// <summary>The last decision (for tests and the log).</summary>
    public Option<DiskBudgetDecision> LastDecision { get; private set; }

    public StoreRecovery RecoverStore() => inner.RecoverStore();

    public RecoveryReport Restore() => inner.Restore();

    public Option<string> RetentionProblem => inner.RetentionProblem.IsSome ? inner.RetentionProblem : budgetProblem;

    public Seq<WorkFile> WorkFiles() => inner.WorkFiles();

    public string WorkFingerprint() => inner.WorkFingerprint();

    public Fin<GenerationInfo> Commit(long cpuNanos, double fractionDone, string engineIdentity)
    {
        budgetProblem = Option<string>.None;
        if (!DiskBudget.HasLimit(rscDiskBound))
            return inner.Commit(cpuNanos, fractionDone, engineIdentity);

        var slot = store.Slot;
        var decision = Decide(slot);
        if (decision.IsFail)
        {
            // The budget cannot be worked out (the manifest unreadable, the files gone): the commit decides; it
            // fails on the same causes and says so, and keeps the previous generation.
            decision.IfFail(e => warn($"disk budget not applied to this commit: {e.Message}"));
            return inner.Commit(cpuNanos, fractionDone, engineIdentity);
        }

        var (d, state) = decision.IfFail(default((DiskBudgetDecision, StoreState)));
        LastDecision = d;
        if (!d.RetireFirst.IsEmpty)
        {
            var retired = Run(slot, state, d.RetireFirst);
            if (retired.IsFail)
                return Fin<GenerationInfo>.Fail(Error.New(RefusedCode,
                    $"checkpoint not committed: older generations could not be retired to make room under rsc_disk_bound ({retired.Match(_ => "", e => e.Message)}); the previous generation is intact"));
        }

        if (!d.Commit)
            return Fin<GenerationInfo>.Fail(Error.New(RefusedCode, d.Note.IfNone("checkpoint not committed: it does not fit under rsc_disk_bound")));
        d.Note.Iter(warn);

        var committed = inner.Commit(cpuNanos, fractionDone, engineIdentity);
        if (committed.IsFail) return committed;

        // After the seal: the newest is now the generation just committed, so the older ones may go. When the budget
        // keeps as many as job.toml does, the commit's own retention already leaves that many: nothing to read (and
        // no wait for that retention, which the store runs aside).
        if (d.KeepAfter >= store.Config.Keep) return committed;
        var after = ReadStore();
        after.Iter(current =>
        {
            var m = current.Current;
            var surplus = m.Generations.Count - Math.Max(1, d.KeepAfter);
            if (surplus <= 0) return;
            var old = m.Generations.Take(surplus).Map(g => g.Number).ToSeq();
            Run(slot, current, old).IfFail(e => budgetProblem = $"generations {string.Join(", ", old)} not retired after the commit: {e.Message}");
        });
        return committed;
    }

    private Fin<(DiskBudgetDecision, StoreState)> Decide(ISlotFiles slot)
    {
        try
        {
            var state = store.ObserveStore(ranges: false);
            var newest = ManifestSlots.Newest(state);
            if (state.SealedPacks.IsEmpty && newest.IsNone && state.ManifestText.IsSome)
                return Error.New($"{StoreLayout.ManifestPath}: {state.ManifestText.Map(t => ManifestText.Parse(t).Match(_ => "", e => e.Message)).IfNone("")}");
            var m = state.Current;
            // Store format 1's manifest is rewritten by a retirement; a pack's trailer is written once, with it.
            var manifestText = state.SealedPacks.IsEmpty ? newest.Bind(n => ManifestSlots.TextOf(state, n.Path)) : Option<string>.None;
            var files = store.WorkFiles();
            var sizes = files.Map(f => slot.Identity(f).Map(i => Math.Max(0, i.Size)).IfNone(0)).Strict();
            // The result's output files in the project directory count as the job's too (the client adds them).
            var usage = SlotUsageMeter.Measure(slot).WithOutputs(outputBytes?.Invoke() ?? 0);
            var input = new DiskBudgetInput(rscDiskBound, usage, m,
                sizes.Fold(0L, (s, x) => s > long.MaxValue - x ? long.MaxValue : s + x),
                files.Count, files.Fold(0L, (s, f) => s + System.Text.Encoding.UTF8.GetByteCount(f)),
                manifestText.Map(t => (long)System.Text.Encoding.UTF8.GetByteCount(t)).IfNone(0),
                store.Config.Keep);
            return (DiskBudget.Decide(input), state);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Error.New($"the slot could not be measured: {e.Message}");
        }
    }

    private static Fin<Unit> Run(ISlotFiles slot, StoreState state, Seq<long> numbers) =>
        DiskBudget.Retire(state, numbers).Bind(r => DiskEffects.Run(slot, r.Effects));

    /// <summary>The store as it is on disk (its packs' trailers read).</summary>
    private Option<StoreState> ReadStore()
    {
        try
        {
            return store.ObserveStore(ranges: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Option<StoreState>.None;
        }
    }
}
