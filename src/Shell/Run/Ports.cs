using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Engine;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

// The narrow ports the interpreter (and the loop's feeds) depend on. The binary implements them over the real
// engine, CheckpointStore, slot files and BOINC shared memory (Adapters.cs); a simulation implements them over a
// simulated engine and a model file system, and drives the SAME Interpreter and JobLoop. Time comes from the
// TimeProvider given to the loop; the log is a WrapperLog over any TextWriter.

/// <summary>The engine operations a wrapper run needs. Errors are values; every call has a time limit.</summary>
public interface IJobEngine
{
    /// <summary>Our container by name, with <see cref="Observation.Run"/> filled in; <see cref="Observation.Absent"/> when none.</summary>
    Task<Either<EngineError, Observation>> Inspect(string name, CancellationToken ct);

    /// <summary>The image ready to run: reused if the tag exists, else built from <paramref name="dockerfile"/>.</summary>
    Task<Either<EngineError, EnsuredImage>> EnsureImage(ImagePlan image, string dockerfile, TextWriter log, CancellationToken ct);

    /// <summary>Creates the container (a no-op when one with that name exists); its id.</summary>
    Task<Either<EngineError, string>> Create(ContainerSpec spec, CancellationToken ct);

    Task<Either<EngineError, Unit>> Start(string name, CancellationToken ct);

    Task<Either<EngineError, Unit>> Pause(string name, CancellationToken ct);

    Task<Either<EngineError, Unit>> Unpause(string name, CancellationToken ct);

    /// <summary>The stop signal to the container's PID 1 (our init), SIGKILL after <paramref name="grace"/>. Absent is fine.</summary>
    Task<Either<EngineError, Unit>> Stop(string name, TimeSpan grace, CancellationToken ct);

    Task<Either<EngineError, Unit>> Kill(string name, CancellationToken ct);

    /// <summary>Force-removes the container; absent is fine.</summary>
    Task<Either<EngineError, Unit>> Remove(string name, CancellationToken ct);

    Task<Either<EngineError, bool>> RemoveImageIfUnused(string tag, CancellationToken ct);

    /// <summary>Until the container exits (its code), up to <paramref name="limit"/> (then <see cref="EngineError.Timeout"/>).</summary>
    Task<Either<EngineError, int>> WaitForExit(string name, TimeSpan limit, CancellationToken ct);

    /// <summary>The container's cumulative CPU time in nanoseconds, now.</summary>
    Task<Either<EngineError, long>> CpuNanos(string name, CancellationToken ct);

    /// <summary>
    /// The container's output into <paramref name="sink"/> until it stops or <paramref name="ct"/> ends (from
    /// <paramref name="since"/> if given); what the relay has to say of its own stream (it broke, it is followed
    /// again, it gave up) through <paramref name="notice"/>.
    /// </summary>
    Task<Either<EngineError, Unit>> StreamLogs(string name, string prefix, TextWriter sink, CancellationToken ct, DateTimeOffset? since,
        Action<string>? notice = null);

    /// <summary>Whether the engine has the image <paramref name="tag"/> (a build or pull needs no network then).</summary>
    Task<Either<EngineError, bool>> HasImage(string tag, CancellationToken ct) =>
        Task.FromResult<Either<EngineError, bool>>(true);

    /// <summary>The loopback host port published for <paramref name="containerPort"/>/tcp (web graphics); None when none.</summary>
    Task<Either<EngineError, Option<int>>> LoopbackPort(string name, int containerPort, CancellationToken ct) =>
        Task.FromResult<Either<EngineError, Option<int>>>(Option<int>.None);
}

/// <summary>What recovery of the store (without touching WORKDIR) found: the newest generation it verified durable.</summary>
public sealed record StoreRecovery(Option<GenerationInfo> Newest, Seq<string> Rejected, string Why);

/// <summary>An app file in WORKDIR matching the declared checkpoint patterns, as recovery is about to see it.</summary>
public sealed record WorkFile(string Name, long Bytes, DateTimeOffset Modified);

/// <summary>The slot's checkpoint store (the binary: <see cref="CheckpointStore"/>'s public API).</summary>
public interface ICheckpoints
{
    /// <summary>Recovery of the store alone, at every start: names made durable, generations verified, the newest intact chosen. WORKDIR untouched.</summary>
    StoreRecovery RecoverStore();

    /// <summary>Full recovery: WORKDIR made to hold exactly the newest intact generation (<see cref="CheckpointStore.Recover"/>).</summary>
    RecoveryReport Restore();

    /// <summary>Commits the declared files; returns only once the generation is durable.</summary>
    Fin<GenerationInfo> Commit(long cpuNanos, double fractionDone, string engineIdentity);

    /// <summary>Why the last commit's retention failed, if it did (the commit itself stood).</summary>
    Option<string> RetentionProblem { get; }

    /// <summary>The app's declared checkpoint files in WORKDIR now.</summary>
    Seq<WorkFile> WorkFiles();

    /// <summary>
    /// The identity of the declared files as they are now (each name with device, inode, size, modification and
    /// change time, never their bytes): equal fingerprints mean no file was written, replaced, added or removed.
    /// </summary>
    string WorkFingerprint();
}

/// <summary>The slot directory's wrapper files: the journal, the BOINC exit files, and what the wrapper puts in WORKDIR.</summary>
public interface ISlot
{
    string Directory { get; }

    JournalRead ReadJournal();

    void WriteJournal(Journal journal);

    /// <summary>The app's fraction_done (None when absent; Left with the reason when it cannot be used).</summary>
    Option<Either<string, double>> FractionDone();

    /// <summary>Writes <c>checkpoint_requested</c> into WORKDIR (the app's cue to checkpoint now).</summary>
    void RequestCheckpoint();

    /// <summary>Before a container starts: no stale <c>checkpoint_requested</c>, and the output files its bind mounts need.</summary>
    void PrepareForContainer();

    /// <summary>boinc_finish: writes the finish file, releases the slot lock; the process exit status.</summary>
    int Finish(int code);

    /// <summary>boinc_temporary_exit; releases the slot lock; the process exit status.</summary>
    int TemporaryExit(TimeSpan delay, string reason);

    /// <summary>Exit after quit (no file); releases the slot lock; the process exit status.</summary>
    int Quit();

    /// <summary>Exit after abort; releases the slot lock; the process exit status.</summary>
    int Aborted();
}

/// <summary>The BOINC client's shared-memory channel (none when standalone).</summary>
public interface IBoincClient
{
    /// <summary>Control messages (suspend, resume, quit, abort) received since the last poll.</summary>
    Seq<ControlMessage> Poll();

    /// <summary>A control message is waiting (a cheap look, from the tick thread).</summary>
    bool ControlPending { get; }

    /// <summary>No heartbeat for 30 s, or the client's process ended.</summary>
    bool ClientLost { get; }

    /// <summary>False when the client has not read the previous status yet.</summary>
    bool TrySendStatus(AppStatus status);

    /// <summary>Reads the heartbeat channel only (control requests stay for <see cref="Poll"/>).</summary>
    void RefreshHeartbeat()
    {
    }

    /// <summary>The client's last heartbeat said network activity is suspended.</summary>
    bool NetworkSuspended => false;

    /// <summary>A graphics_reply message (the web graphics URL); false when the client has not read the previous one.</summary>
    bool TrySendGraphics(string text) => true;
}

/// <summary>The container's CPU counter (the binary: its cgroup, located once; the engine as a fallback).</summary>
public interface ICpuMeter : IDisposable
{
    Task<Either<EngineError, long>> Sample(string name, CancellationToken ct);

    /// <summary>
    /// The container's cumulative CPU at its end (the counter read the instant its main process ended, never below
    /// an earlier sample), waiting at most <paramref name="limit"/>; None when it was never sampled.
    /// </summary>
    Task<Option<long>> AtExit(TimeSpan limit, CancellationToken ct);

    /// <summary>The container's memory use at the last sample (None when not known: the client then measures on its own).</summary>
    Option<MemoryUse> Memory => Option<MemoryUse>.None;
}

/// <summary>
/// What runs effects for the loop: the <see cref="Interpreter"/>, or a decorator around it (a simulation that
/// crashes the wrapper before effect k wraps the shipped interpreter rather than replacing it).
/// </summary>
public interface IEffectRunner
{
    /// <summary>Runs one effect; its outcome as commands for the decider, or the process exit status.</summary>
    Task<Outcome> Execute(Effect effect);

    /// <summary>Sends the client the current status (the 1-second tick when no CPU sample came).</summary>
    void SendStatus();
}

/// <summary>Everything a wrapper run acts on, as ports.</summary>
public sealed record RunPorts(IJobEngine Engine, Option<ICheckpoints> Store, ISlot Slot, Option<IBoincClient> Client, ICpuMeter Cpu);
