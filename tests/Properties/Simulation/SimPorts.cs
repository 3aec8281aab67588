using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Run;
using LanguageExt;

namespace Boinc.Persist.Properties.LoopSimulation;

/// <summary>
/// A clock that moves only when the simulation advances it; its timers (the interpreter's checkpoint grace) fire
/// synchronously inside <see cref="Advance"/>, so what they post is posted before the simulation looks again.
/// </summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private readonly object gate = new();
    private readonly List<ManualTimer> timers = new();
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (gate) return now;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var t = new ManualTimer(this, callback, state);
        t.Change(dueTime, period);
        return t;
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (gate)
        {
            now += by;
            due = timers.FindAll(t => t.Due <= now);
            foreach (var t in due) timers.Remove(t);
        }

        foreach (var t in due) t.Fire();
    }

    private void Schedule(ManualTimer t, TimeSpan due)
    {
        lock (gate)
        {
            timers.Remove(t);
            if (due == Timeout.InfiniteTimeSpan) return;
            t.Due = now + due;
            timers.Add(t);
        }
    }

    private void Cancel(ManualTimer t)
    {
        lock (gate) timers.Remove(t);
    }

    private sealed class ManualTimer(ManualTime owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset Due { get; set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime);
            return true;
        }

        public void Dispose() => owner.Cancel(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>The slot's wrapper files for the simulation: the journal is durable once written (as JournalFile's replace-and-fsync makes it), the exits are recorded.</summary>
public sealed class SimSlot(SimWorld world) : ISlot
{
    public string Directory => "<simulated slot>";

    public JournalRead ReadJournal() => new(world.Journal, Option<string>.None);

    public void WriteJournal(Journal journal) => world.Journal = journal;

    public Option<Either<string, double>> FractionDone() => Option<Either<string, double>>.None;

    public void RequestCheckpoint() => world.CheckpointRequested = true;

    public void PrepareForContainer() => world.CheckpointRequested = false;

    public int Finish(int code)
    {
        world.FinishReported(code);
        return code == 0 ? 0 : 1;
    }

    public int TemporaryExit(TimeSpan delay, string reason) => 0;

    public int Quit() => 0;

    public int Aborted()
    {
        world.AbortReported();
        return 0;
    }
}

/// <summary>BOINC's side of the shared-memory channel: every status it receives is an acknowledgment the simulation checks.</summary>
public sealed class SimClient(SimWorld world) : IBoincClient
{
    public Seq<ControlMessage> Poll() => Seq<ControlMessage>.Empty;

    public bool ControlPending => false;

    public bool ClientLost => false;

    public bool TrySendStatus(AppStatus status)
    {
        world.StatusReceived(status);
        return true;
    }
}

/// <summary>The container's CPU counter: one simulated second per step the app made since its container started.</summary>
public sealed class SimCpu(SimWorld world) : ICpuMeter
{
    public Task<Either<EngineError, long>> Sample(string name, CancellationToken ct) =>
        Task.FromResult<Either<EngineError, long>>(world.ContainerCpuNanos);

    public Task<Option<long>> AtExit(TimeSpan limit, CancellationToken ct) => Task.FromResult(Option<long>.Some(world.ContainerCpuNanos));

    public void Dispose() { }
}

/// <summary>
/// The crash injector around the SHIPPED interpreter: counts every effect the loop runs (across the wrapper's
/// restarts) and, at the chosen index, lets the host crash instead of running it: the effect never completes, so
/// the loop (and everything after) never runs again.
/// </summary>
public sealed class CrashBefore(IEffectRunner inner, SimWorld world) : IEffectRunner
{
    private static readonly Task<Outcome> Never = new TaskCompletionSource<Outcome>().Task;

    public Task<Outcome> Execute(Effect effect)
    {
        if (world.Crashing) return Never;
        var index = world.EffectCount++;
        if (world.CrashAt == index)
        {
            world.CrashHere(effect);
            return Never;
        }

        return Observe(effect);
    }

    public void SendStatus()
    {
        if (!world.Crashing) inner.SendStatus();
    }

    private async Task<Outcome> Observe(Effect effect)
    {
        var stepBefore = world.FileStep();
        var outcome = await inner.Execute(effect);
        // Whether the interpreter's follower is on the container (it posts the container's end once).
        if (effect is Effect.FollowContainer)
            world.Following = true;
        else if (effect is Effect.StopContainer or Effect.KillContainer or Effect.RemoveContainer or Effect.Finish
                 or Effect.TemporaryExit or Effect.QuitExit or Effect.ExitAborted)
            world.Following = false;
        foreach (var c in outcome.Feedback)
            if (c is Command.CheckpointCommitted committed)
                world.Committed(committed.Generation, stepBefore);
        return outcome;
    }
}
