using System;
using System.Collections.Generic;
using System.Linq;
using Boinc.Persist.Core.Lifecycle;
using LanguageExt;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>
/// A model of everything that survives the wrapper: the engine (one container slot, by name, and images), the
/// slot's journal and the checkpoint store, plus a record of what the wrapper did (for the laws). It executes
/// the lifecycle's effects the way the shell must: idempotently, feeding results back as commands.
/// </summary>
public sealed class ModelWorld
{
    private int nextId;

    public (string Id, string Status, int Code)? Container { get; private set; }

    public System.Collections.Generic.HashSet<string> Images { get; } = new();

    public Option<Journal> Journal { get; private set; }

    public List<Generation> Store { get; } = new();

    public string BootId { get; private set; } = "boot-0";

    /// <summary>The model's clock (a second per event) and when the host last booted, for the exit rule.</summary>
    public DateTimeOffset Now { get; private set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public DateTimeOffset BootTime { get; private set; } = new(2025, 12, 31, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The engine's record of the current container's run (started, finished).</summary>
    public RunFacts Run { get; private set; } = RunFacts.Unknown;

    public bool EngineUp { get; set; } = true;

    public Option<long> Restored { get; private set; }

    /// <summary>Violations of the laws found while executing (empty when all is well).</summary>
    public List<string> Violations { get; } = new();

    public List<string> Log { get; } = new();

    public Option<int> FirstRecordedExit { get; private set; }

    public bool AbortRecorded { get; private set; }

    public Option<Effect> LastTerminal { get; private set; }

    /// <summary>The code BOINC was told (boinc_finish) first: after it, nothing may run again.</summary>
    public Option<int> Reported { get; private set; }

    public Observation Observe() => Container switch
    {
        null => new Observation.Absent(),
        var (id, status, code) => Observation.From(id, status, code, Run),
    };

    private DateTimeOffset Tick() => Now = Now.AddSeconds(1);

    private void Ended() => Run = Run with { FinishedAt = Tick() };

    public StoreState StoreState() =>
        new(Store.Count == 0 ? Option<Generation>.None : Store[^1]);

    public long CommitGeneration()
    {
        var n = Store.Count == 0 ? 1 : Store[^1].Number + 1;
        Store.Add(new Generation(n, n * 1_000_000));
        return n;
    }

    public void JobExits(int code)
    {
        if (Container is { Status: "running" } c)
        {
            Container = (c.Id, "exited", code);
            Ended();
        }
    }

    public void DaemonRestart()
    {
        if (Container is { Status: "running" or "paused" } c)
        {
            Container = (c.Id, "exited", 143);
            Ended();
        }
    }

    public void HostReboot()
    {
        BootId = "boot-" + Guid.NewGuid().ToString("N")[..6];
        BootTime = Tick();
        // Docker's daemon marks a container that ran when the host went down exited with 255, at its restore.
        if (Container is { Status: "running" or "paused" } c)
        {
            Container = (c.Id, "exited", 255);
            Ended();
        }
    }

    public void RemoveContainer() => Container = null;

    /// <summary>Executes one effect; returns the command it feeds back, if any.</summary>
    public Option<Command> Execute(Effect effect)
    {
        Log.Add(effect.GetType().Name);
        Tick();
        if (!EngineUp && TouchesEngine(effect))
            return new Command.EngineUnreachable("model engine down");
        switch (effect)
        {
            case Effect.RecoverStore:
                return new Command.StoreRecovered(StoreState());
            case Effect.ObserveWorld:
                return new Command.WorldObserved(Journal, Observe());
            case Effect.FollowContainer:
                return Option<Command>.None;
            case Effect.BuildImage b:
                Images.Add(b.Tag);
                return Option<Command>.None;
            case Effect.RestoreGeneration r:
                if (Store.Count == 0 || Store[^1].Number != r.Number)
                    Violations.Add($"restored generation {r.Number} but the newest is {Store.LastOrDefault()?.Number}");
                Restored = r.Number;
                return Option<Command>.None;
            case Effect.WriteJournal w:
                if (FirstRecordedExit.Case is int first && w.Journal.FinishedExitCode != first)
                    Violations.Add($"journal's exit code changed from {first} to {w.Journal.FinishedExitCode}");
                if (FirstRecordedExit.IsNone)
                    FirstRecordedExit = w.Journal.FinishedExitCode;
                AbortRecorded |= w.Journal.Intent == Intent.Abort;
                Journal = w.Journal;
                return Option<Command>.None;
            case Effect.CreateContainer cc:
                if (FirstRecordedExit.IsSome || AbortRecorded || Reported.IsSome)
                    Violations.Add("created a container after the result (or abort) was recorded");
                if (!Images.Contains(cc.ImageTag))
                    Violations.Add("created a container before its image existed");
                var newest = StoreState().Latest.Map(g => g.Number);
                if (newest.IsSome && Restored != newest)
                    Violations.Add($"created a container with generation {Restored} restored, newest is {newest}");
                if (Container is null)
                {
                    Container = ($"c{++nextId}", "created", 0);
                    Run = RunFacts.Unknown;
                }
                return Option<Command>.None;
            case Effect.StartContainer:
                if (FirstRecordedExit.IsSome || AbortRecorded || Reported.IsSome)
                    Violations.Add("started a container after the result (or abort) was recorded");
                if (Container is { Status: "created" or "exited" } s)
                {
                    Container = (s.Id, "running", 0);
                    Run = new RunFacts(Now, Option<DateTimeOffset>.None, false);
                }
                return Container is null ? Option<Command>.None : new Command.EngineEvent(Observe());
            case Effect.PauseContainer:
                if (Container is { Status: "running" } p)
                    Container = (p.Id, "paused", 0);
                return Option<Command>.None;
            case Effect.UnpauseContainer:
                if (Container is { Status: "paused" } u)
                    Container = (u.Id, "running", 0);
                return Option<Command>.None;
            case Effect.StopContainer:
                if (Container is { Status: "running" or "paused" } st)
                {
                    Container = (st.Id, "exited", 143);
                    Ended();
                }

                return new Command.ContainerEnded(Observe());
            case Effect.KillContainer:
                if (Container is { Status: "running" or "paused" } k)
                {
                    Container = (k.Id, "exited", 137);
                    Ended();
                }
                return Option<Command>.None;
            case Effect.RemoveContainer:
                Container = null;
                return Option<Command>.None;
            case Effect.RemoveImageIfUnused ri:
                if (Container is null)
                    Images.Remove(ri.Tag);
                return Option<Command>.None;
            case Effect.RequestCheckpoint:
                return Option<Command>.None;
            case Effect.AwaitCheckpoint:
                // A running app answers the request; a paused or gone one cannot.
                return Container is { Status: "running" }
                    ? new Command.CheckpointDetected()
                    : new Command.GraceElapsed();
            case Effect.CommitCheckpoint:
                var g = CommitGeneration();
                return new Command.CheckpointCommitted(Store[^1]);
            case Effect.ReportStatus:
                return Option<Command>.None;
            case Effect.Finish f:
                if (Reported.Case is int told && told != f.Code)
                    Violations.Add($"reported exit code {f.Code} after reporting {told}");
                Reported = f.Code;
                LastTerminal = effect;
                return Option<Command>.None;
            case Effect.TemporaryExit or Effect.QuitExit or Effect.ExitAborted:
                LastTerminal = effect;
                return Option<Command>.None;
            default:
                throw new InvalidOperationException($"the model does not know {effect}");
        }
    }

    private static bool TouchesEngine(Effect e) => e is Effect.BuildImage or Effect.CreateContainer
        or Effect.StartContainer or Effect.PauseContainer or Effect.UnpauseContainer or Effect.StopContainer
        or Effect.KillContainer or Effect.RemoveContainer or Effect.RemoveImageIfUnused or Effect.ObserveWorld;
}
