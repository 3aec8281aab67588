using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>The engine port over the real <see cref="IEngine"/> (Docker's API, also served by Podman).</summary>
public sealed class EnginePort(IEngine engine) : IJobEngine
{
    public Task<Either<EngineError, Observation>> Inspect(string name, CancellationToken ct) => engine.Inspect(name, ct);

    public Task<Either<EngineError, EnsuredImage>> EnsureImage(ImagePlan image, string dockerfile, TextWriter log, CancellationToken ct) =>
        engine.EnsureImage(image, dockerfile, log, ct);

    public Task<Either<EngineError, string>> Create(ContainerSpec spec, CancellationToken ct) => engine.Create(spec, Array.Empty<string>(), ct);

    public Task<Either<EngineError, Unit>> Start(string name, CancellationToken ct) => engine.Start(name, ct);

    public Task<Either<EngineError, Unit>> Pause(string name, CancellationToken ct) => engine.Pause(name, ct);

    public Task<Either<EngineError, Unit>> Unpause(string name, CancellationToken ct) => engine.Unpause(name, ct);

    public Task<Either<EngineError, Unit>> Stop(string name, TimeSpan grace, CancellationToken ct) => engine.Stop(name, grace, ct);

    public Task<Either<EngineError, Unit>> Kill(string name, CancellationToken ct) => engine.Kill(name, ct);

    public Task<Either<EngineError, Unit>> Remove(string name, CancellationToken ct) => engine.Remove(name, ct);

    public Task<Either<EngineError, bool>> RemoveImageIfUnused(string tag, CancellationToken ct) => engine.RemoveImageIfUnused(tag, ct);

    public Task<Either<EngineError, int>> WaitForExit(string name, TimeSpan limit, CancellationToken ct) => engine.WaitForExit(name, limit, ct);

    public Task<Either<EngineError, long>> CpuNanos(string name, CancellationToken ct) => engine.CpuNanos(name, ct);

    public Task<Either<EngineError, Unit>> StreamLogs(string name, string prefix, TextWriter sink, CancellationToken ct, DateTimeOffset? since,
        Action<string>? notice = null) =>
        engine.StreamLogs(name, prefix, sink, ct, since, notice);

    // client (issue 16 point 2): no build while the network is suspended, unless the image is there.
    public Task<Either<EngineError, bool>> HasImage(string tag, CancellationToken ct) =>
        engine.HasImage(tag, ct);

    // client (issue 16 point 3): the host port of the web graphics.
    public Task<Either<EngineError, Option<int>>> LoopbackPort(string name, int containerPort, CancellationToken ct) =>
        engine.LoopbackPort(name, containerPort, ct);
}

/// <summary>The CPU port over <see cref="ContainerCpu"/> (the cgroup counter, engine stats as a fallback).</summary>
public sealed class CpuPort(IContainers engine, WrapperLog log) : ICpuMeter
{
    private readonly ContainerCpu cpu = new(engine, log.Info, log.Warn);

    public Task<Either<EngineError, long>> Sample(string name, CancellationToken ct) => cpu.Sample(name, ct);

    public Task<Option<long>> AtExit(TimeSpan limit, CancellationToken ct) => cpu.AtExit(limit, ct);

    // client (issue 16 point 1): the working set read from the container's memory cgroup with each CPU sample.
    public Option<MemoryUse> Memory => cpu.Memory;

    public void Dispose() => cpu.Dispose();
}

/// <summary>The BOINC client port over the shared-memory <see cref="ClientLink"/>.</summary>
public sealed class ClientPort(ClientLink link) : IBoincClient, IDisposable
{
    public Seq<ControlMessage> Poll() => link.Poll();

    public bool ControlPending => link.ControlPending;

    public bool ClientLost => link.ClientLost;

    public bool TrySendStatus(AppStatus status) => link.TrySendStatus(status);

    // client (issue 16 point 2): the network-suspended flag of the heartbeat, read without taking control requests.
    public void RefreshHeartbeat() => link.RefreshHeartbeat();

    public bool NetworkSuspended => link.NetworkSuspended;

    /// <summary>The client's last word to a sporadic app (kept across heartbeats without one).</summary>
    public Option<SporadicCa> SporadicCa => link.SporadicCa;

    // client (issue 16 point 3): the web graphics URL on the graphics_reply channel.
    public bool TrySendGraphics(string text) => link.TrySendGraphics(text);

    public void Dispose() => link.Dispose();
}

/// <summary>
/// The store port over <see cref="CheckpointStore"/>'s public API. <see cref="RecoverStore"/> is the store's own
/// <see cref="CheckpointStore.RecoverStore"/> (recovery without the WORKDIR restore, which must never touch a
/// running app's files), so the protocol variants model-check refutes apply to what the loop calls.
/// </summary>
public sealed class StorePort(CheckpointStore store) : ICheckpoints
{
    public StoreRecovery RecoverStore()
    {
        RecoveryReport r;
        try
        {
            r = store.RecoverStore();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new StoreRecovery(Option<GenerationInfo>.None, Seq<string>.Empty, $"the store cannot be read ({e.Message}); a restore will set it right");
        }

        var rejected = r.Rejected.Map(g => $"generation {g.Number}: {g.Why}");
        return new StoreRecovery(r.Chosen, rejected, r.Chosen.Match(
            g => $"newest intact generation {g.Number} (CPU {g.CpuNanos / 1e9:0.0}s), made durable",
            () => r.RestoreError.Match(_ => r.Why, () => r.Why)));
    }

    public RecoveryReport Restore() => store.Recover();

    public Fin<GenerationInfo> Commit(long cpuNanos, double fractionDone, string engineIdentity) =>
        store.Commit(cpuNanos, fractionDone, engineIdentity);

    public Option<string> RetentionProblem => store.RetentionProblem;

    public string WorkFingerprint() =>
        string.Join("\n", store.WorkFiles().Map(n => $"{n}\0{store.Slot.Identity(n)}"));

    public Seq<WorkFile> WorkFiles()
    {
        try
        {
            return store.WorkFiles().Map(n => store.Slot.Identity(n).Match(
                id => new WorkFile(n, id.Size, DateTimeOffset.FromUnixTimeMilliseconds(id.MtimeNs / 1_000_000)),
                () => new WorkFile(n, 0, DateTimeOffset.MinValue))).Strict();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Seq<WorkFile>.Empty;
        }
    }
}

/// <summary>The slot port: the journal, the BOINC exit files (each releases the slot lock) and WORKDIR's wrapper files.</summary>
public sealed class SlotPort(ISlotFiles slot, Plan plan, WrapperLog log) : ISlot
{
    /// <summary>The file a checkpoint-and-stop quit creates in WORKDIR: "checkpoint now, you will be stopped".</summary>
    public const string CheckpointRequestFile = "checkpoint_requested";

    private Option<SlotLock> slotLock;

    public string Directory => slot.Root;

    /// <summary>The slot lock this run holds; released by the first exit.</summary>
    public void Hold(SlotLock held) => slotLock = held;

    public JournalRead ReadJournal() => JournalFile.Read(slot.Root);

    public void WriteJournal(Journal journal) => JournalFile.Write(slot.Root, journal);

    public Option<Either<string, double>> FractionDone() => FractionDoneFile.Read(slot);

    public void RequestCheckpoint()
    {
        try
        {
            using var file = slot.CreateFresh(CheckpointRequestFile);
            file.Write("boinc-persist asks for a checkpoint now: the container will be stopped\n"u8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warn($"cannot write {CheckpointRequestFile}: {e.Message}");
        }
    }

    public void PrepareForContainer()
    {
        slot.Delete(CheckpointRequestFile);
        ProjectOutputs.Create(InputMounts.OutputsToCreate(plan), log);
    }

    public int Finish(int code) => BoincExit.Finish(slot.Root, code, Release());

    public int TemporaryExit(TimeSpan delay, string reason) => BoincExit.TemporaryExit(slot.Root, (int)delay.TotalSeconds, reason, Release());

    public int Quit() => BoincExit.Quit(Release());

    public int Aborted()
    {
        Release().Iter(l => l.Dispose());
        return ExitCodes.Aborted;
    }

    /// <summary>The lock, handed over once (the exits release it); None afterwards.</summary>
    public Option<SlotLock> Release()
    {
        var l = slotLock;
        slotLock = Option<SlotLock>.None;
        return l;
    }
}
