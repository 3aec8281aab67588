using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// The protocols Core can produce. Only <see cref="Correct"/> ships. Every other value omits or reorders ONE step
/// of the commit, of recovery, or of how the wrapper calls them: the crash model must refute each one (find a
/// crash sequence that loses an acknowledged generation) or, for the few marked redundant in
/// <see cref="Variants"/>, show that the step is defence in depth the property does not need.
/// Runnable with <c>model-check --variant NAME</c>.
/// </summary>
public enum ProtocolVariant
{
    /// <summary>The shipped protocol.</summary>
    Correct,

    // ---- commit: the fsyncs the new pack waits for ----

    /// <summary>First commit: the slot directory is not fsynced after <c>mkdir .boinc-persist</c>.</summary>
    CommitNoSlotDirFsync,

    /// <summary>First commit: <c>.boinc-persist</c> is not fsynced after <c>mkdir checkpoints</c>.</summary>
    CommitNoStateDirFsync,

    /// <summary>The store is not fsynced: the new pack's name is not made durable.</summary>
    CommitNoStoreFsync,

    /// <summary>The new pack's bytes are never fsynced.</summary>
    CommitNoPackFsync,

    // ---- commit: retention ----

    /// <summary>Ordering: the generations beyond keep are deleted before the new pack is durable.</summary>
    CommitRetentionBeforeDurable,

    // ---- recovery ----

    /// <summary>Recovery does not fsync the slot directory (names a killed commit left may not be durable).</summary>
    RecoveryNoSlotDirFsync,

    /// <summary>Recovery does not fsync <c>.boinc-persist</c>.</summary>
    RecoveryNoStateDirFsync,

    /// <summary>Recovery does not fsync the store directory (a pack's name a killed commit left may not be durable).</summary>
    RecoveryNoStoreDirFsync,

    /// <summary>The chosen pack's bytes are not fsynced (a killed commit may have left it visible, not durable).</summary>
    RecoveryNoPackFsync,

    /// <summary>Recovery takes the newest pack whose trailer reads without checking its files against their hashes.</summary>
    RecoveryTakesUnverifiedPack,

    /// <summary>Recovery leaves the packs newer than the one it chose (read, and not verifying) in the store.</summary>
    RecoveryKeepsTornNewerPacks,

    /// <summary>Redundant step: a restored WORKDIR file is renamed into place without fsync.</summary>
    RecoveryRestoreWithoutFsync,

    // ---- the caller (the wrapper loop around the store) ----

    /// <summary>Ordering: the chosen generation is reported to BOINC before recovery's effects ran.</summary>
    CallerReportBeforeRecovery,

    /// <summary>Recovery runs only when the store has a sealed pack (the pre-issue-13 shell: never before the first generation).</summary>
    CallerSkipRecoveryWithoutGeneration,
}

/// <summary>Which part of the protocol a variant breaks.</summary>
public enum VariantPart
{
    Shipped,
    Commit,
    Recovery,
    Caller,
}

/// <summary>What the crash model must find for a variant: nothing (shipped, redundant steps) or a counterexample.</summary>
public enum VariantExpectation
{
    Holds,
    Refuted,
}

/// <summary>A variant's part, what the model must find, and why.</summary>
public sealed record VariantInfo(ProtocolVariant Variant, VariantPart Part, VariantExpectation Expect, string Why);

/// <summary>The catalogue of variants: where each one breaks the protocol and what the model must find for it.</summary>
public static class Variants
{
    public static VariantInfo Of(ProtocolVariant v) => v switch
    {
        ProtocolVariant.Correct => new(v, VariantPart.Shipped, VariantExpectation.Holds, "the shipped protocol"),
        ProtocolVariant.RecoveryNoPackFsync or ProtocolVariant.RecoveryNoStoreDirFsync => new(v, VariantPart.Recovery, VariantExpectation.Refuted,
            "a commit killed after its trailer was written leaves a whole pack visible but not durable (its bytes or its name); recovery reports that generation"),
        ProtocolVariant.RecoveryRestoreWithoutFsync => new(v, VariantPart.Recovery, VariantExpectation.Holds,
            "redundant while recovery runs on every start: a restore lost in a crash is redone from the store, which holds the truth"),
        ProtocolVariant.RecoveryNoSlotDirFsync or ProtocolVariant.RecoveryNoStateDirFsync => new(v, VariantPart.Recovery, VariantExpectation.Refuted,
            "hole 1 of the first protocol: a first commit killed after mkdir leaves a store whose names the next commit trusts"),
        ProtocolVariant.RecoveryTakesUnverifiedPack => new(v, VariantPart.Recovery, VariantExpectation.Refuted,
            "a crash can keep a pack's trailer while a block of its files never reached the disk; only the files' hashes tell"),
        ProtocolVariant.RecoveryKeepsTornNewerPacks => new(v, VariantPart.Recovery, VariantExpectation.Refuted,
            "a torn pack whose trailer survived stays sealed: the next commit counts it among the kept generations and retires an intact one"),
        ProtocolVariant.CallerSkipRecoveryWithoutGeneration => new(v, VariantPart.Caller, VariantExpectation.Holds,
            "redundant since store format 2 (it was hole 1 before: a torn manifest refused every commit until recovery ran): with no sealed pack there is nothing to recover, and the next commit removes unsealed packs and makes the store's names durable itself"),
        ProtocolVariant.CallerReportBeforeRecovery => new(v, VariantPart.Caller, VariantExpectation.Refuted,
            "a generation is reported that a crash during recovery can still lose"),
        _ => new(v, v.ToString().StartsWith("Commit", System.StringComparison.Ordinal) ? VariantPart.Commit : VariantPart.Recovery,
            VariantExpectation.Refuted, "omits or reorders a step the promise needs"),
    };

    public static Seq<VariantInfo> All => System.Enum.GetValues<ProtocolVariant>().Map(Of).ToSeq();
}
