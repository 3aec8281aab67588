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

    // ---- commit: Stage ----

    /// <summary>First commit: the slot directory is not fsynced after <c>mkdir .boinc-persist</c>.</summary>
    CommitNoSlotDirFsync,

    /// <summary>First commit: <c>.boinc-persist</c> is not fsynced after <c>mkdir checkpoints</c>.</summary>
    CommitNoStateDirFsync,

    /// <summary>The store is not fsynced after <c>mkdir gen-N</c>.</summary>
    CommitNoStoreFsyncAfterMkdir,

    /// <summary>The stored copies are never fsynced.</summary>
    CommitNoCopyFsync,

    /// <summary><c>gen-N</c> is not fsynced after its copies were created in it.</summary>
    CommitNoGenerationDirFsync,

    // ---- commit: Seal ----

    /// <summary><c>MANIFEST.tmp</c> is renamed over <c>MANIFEST</c> without being fsynced first.</summary>
    CommitNoTempManifestFsync,

    /// <summary>No rename: <c>MANIFEST</c> is truncated and rewritten in place (then fsynced).</summary>
    CommitManifestInPlace,

    /// <summary>The store is not fsynced after the rename: the commit is acknowledged before the rename is durable.</summary>
    CommitNoStoreFsyncAfterRename,

    /// <summary>Ordering: the rename comes before the temp manifest's fsync.</summary>
    CommitRenameBeforeTempFsync,

    /// <summary>Ordering: the copies and <c>gen-N</c> are fsynced after the manifest naming them is durable (still before the acknowledgement).</summary>
    CommitManifestBeforeCopiesDurable,

    /// <summary>Ordering: the generations the new manifest drops are deleted (durably) before the new manifest is durable.</summary>
    CommitRetentionBeforeManifest,

    // ---- recovery ----

    /// <summary>Recovery does not fsync the slot directory (names a killed commit left may not be durable).</summary>
    RecoveryNoSlotDirFsync,

    /// <summary>Recovery does not fsync <c>.boinc-persist</c>.</summary>
    RecoveryNoStateDirFsync,

    /// <summary>Recovery does not fsync the store directory (a rename a killed commit left may not be durable).</summary>
    RecoveryNoStoreDirFsync,

    /// <summary>Redundant step: recovery does not fsync the generation directories.</summary>
    RecoveryNoGenerationDirFsync,

    /// <summary>A valid temp manifest is promoted without fsyncing it first.</summary>
    RecoveryPromoteWithoutFsync,

    /// <summary>A valid temp manifest is used but never renamed into place.</summary>
    RecoveryPromoteWithoutRename,

    /// <summary>Redundant step: the promoting rename is not made durable (no fsync of the store after it).</summary>
    RecoveryPromoteWithoutStoreFsync,

    /// <summary>Redundant step: the chosen generation's copies are not fsynced again.</summary>
    RecoveryNoCopyFsync,

    /// <summary>Redundant step: a restored WORKDIR file is renamed into place without fsync.</summary>
    RecoveryRestoreWithoutFsync,

    // ---- the caller (the wrapper loop around the store) ----

    /// <summary>Ordering: the chosen generation is reported to BOINC before recovery's effects ran.</summary>
    CallerReportBeforeRecovery,

    /// <summary>Recovery runs only when the manifest lists a generation (the pre-issue-13 shell: never before the first one).</summary>
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
        ProtocolVariant.RecoveryNoGenerationDirFsync => new(v, VariantPart.Recovery, VariantExpectation.Holds,
            "redundant: a commit fsyncs gen-N before any manifest names it, so a listed generation's names are already durable"),
        ProtocolVariant.RecoveryPromoteWithoutStoreFsync => new(v, VariantPart.Recovery, VariantExpectation.Holds,
            "redundant: a promotion a crash undoes is redone (the temp manifest stays, fsynced), and the next commit's first store fsync makes it durable"),
        ProtocolVariant.RecoveryNoCopyFsync => new(v, VariantPart.Recovery, VariantExpectation.Holds,
            "redundant: a commit fsyncs every copy before any manifest names it"),
        ProtocolVariant.RecoveryRestoreWithoutFsync => new(v, VariantPart.Recovery, VariantExpectation.Holds,
            "redundant while recovery runs on every start: a restore lost in a crash is redone from the store, which holds the truth"),
        ProtocolVariant.RecoveryNoSlotDirFsync or ProtocolVariant.RecoveryNoStateDirFsync => new(v, VariantPart.Recovery, VariantExpectation.Refuted,
            "hole 1 of the first protocol: a first commit killed after mkdir leaves a store whose names the next commit trusts"),
        ProtocolVariant.RecoveryPromoteWithoutFsync => new(v, VariantPart.Recovery, VariantExpectation.Refuted,
            "hole 2 of the first protocol: a temp manifest a killed commit wrote but never fsynced is promoted and reported"),
        ProtocolVariant.CallerSkipRecoveryWithoutGeneration => new(v, VariantPart.Caller, VariantExpectation.Refuted,
            "the shell before issue 13: hole 1 again, since recovery (and its fsyncs) never ran before the first generation"),
        ProtocolVariant.CallerReportBeforeRecovery => new(v, VariantPart.Caller, VariantExpectation.Refuted,
            "a generation is reported that a crash during recovery can still lose"),
        _ => new(v, v.ToString().StartsWith("Commit", System.StringComparison.Ordinal) ? VariantPart.Commit : VariantPart.Recovery,
            VariantExpectation.Refuted, "omits or reorders a step the promise needs"),
    };

    public static Seq<VariantInfo> All => System.Enum.GetValues<ProtocolVariant>().Map(Of).ToSeq();
}
