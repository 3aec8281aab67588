using Boinc.Persist.Shell.Checkpoints;
using System;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Verification.Model;
using Boinc.Persist.Core.Config;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Shell.Verification.Simulation;

/// <summary>
/// The store the binary runs, <see cref="CheckpointStore"/>, driven by the crash explorer over
/// <see cref="ModelSlotFiles"/>: a fresh store per call (as a restarted wrapper opens it), killed when the
/// budget of mutating operations runs out. Commit variants reach it through <see cref="CheckpointStore.Open(Slots.ISlotFiles, CheckpointConfig, TimeProvider, ProtocolVariant)"/>;
/// recovery variants through its Recover (which takes the variant as Commit does).
/// </summary>
public sealed class ShippedStore(ProtocolVariant variant) : IStoreUnderTest
{
    public string Name => variant == ProtocolVariant.Correct ? "CheckpointStore (shipped) on the model fs" : $"CheckpointStore running {variant} on the model fs";

    public ProtocolVariant Variant => variant;

    public CommitOutcome Commit(ModelFs fs, Seq<string> patterns, CommitFacts facts, int keep, int budget)
    {
        var slot = new ModelSlotFiles(fs, budget);
        try
        {
            using var store = Open(slot, patterns, keep, facts.NowUnixMs);
            var r = store.Commit(facts.CpuNanos, facts.FractionDone, facts.EngineIdentity);
            return new CommitOutcome(slot.Fs, slot.Used, false, r.ToOption().Map(g => g.Number), r.Match(_ => Option<Error>.None, e => Option<Error>.Some(e)));
        }
        catch (SimulatedKill)
        {
            return new CommitOutcome(slot.Fs, slot.Used, true, Option<long>.None, Option<Error>.None);
        }
    }

    public RecoverOutcome Recover(ModelFs fs, Seq<string> patterns, int budget)
    {
        var slot = new ModelSlotFiles(fs, budget);
        try
        {
            using var store = Open(slot, patterns, 2, 0);
            var r = store.Recover();
            return new RecoverOutcome(slot.Fs, slot.Used, false, new Recovered(
                r.Chosen.Map(g => g.Number), r.Chosen.Map(g => g.EngineIdentity), r.CpuNanos, r.Why, r.RestoreError));
        }
        catch (SimulatedKill)
        {
            return new RecoverOutcome(slot.Fs, slot.Used, true, Option<Recovered>.None);
        }
    }

    private CheckpointStore Open(ModelSlotFiles slot, Seq<string> patterns, int keep, long nowUnixMs) =>
        CheckpointStore.Open(slot, CheckpointConfig.Default with { Files = patterns, Keep = keep }, new FixedTime(nowUnixMs), variant);

    /// <summary>A clock that always says the same time, so a run replays byte for byte.</summary>
    private sealed class FixedTime(long unixMs) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
    }
}
