using System;
using LanguageExt;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>The start decision: what a (re)started wrapper does with what recovery and the observation found.</summary>
public static partial class JobLifecycle
{
    /// <summary>
    /// The start decision, once recovery ran and journal and engine were read. Every case depends only on
    /// durable facts, so a wrapper killed between any two of its effects and started again converges.
    /// </summary>
    public static StartDecision Start(StartInput input)
    {
        var facts = input.Facts;
        // A journal of another task (BOINC reuses slots) says nothing about this one.
        var journal = input.Journal.Filter(j => j.Container == facts.Container).IfNone(Journal.New(facts.Container));
        var observed = input.Observed;

        if (journal.FinishedExitCode.Case is int code)
            return ReportFinishedAgain(facts, journal, observed, input.Store, code);
        if (journal.Intent == Intent.Abort)
            return CompleteAbort(facts, journal, input.Store);

        return observed switch
        {
            Observation.Absent => CreateFromNewest(StartCase.CreateFromNewest, facts, journal, input.Store, Seq<Effect>.Empty,
                "there was no container"),
            Observation.Created c when ExitRule.RanAcrossReboot(c.Run, facts.HostBoot) => CreateFromNewest(
                StartCase.RestartAfterUnrecordedExit, facts, journal, input.Store, Remove(facts),
                "the host went down while the container ran (the engine reset it to created)"),
            // Created under an earlier boot: the host went down between the restore and the start, so the
            // restored files in WORKDIR may never have reached the disk (found torn by the loop simulation).
            Observation.Created when journal.BootId.Exists(b => b != facts.BootId) => CreateFromNewest(
                StartCase.RestartAfterUnrecordedExit, facts, journal, input.Store, Remove(facts),
                "the host went down after the container was created and before it started (the files restored for it may not have reached the disk)"),
            Observation.Created c => Keep(StartCase.StartCreated, input, journal, c.Id,
                new Effect.StartContainer(facts.Container), new Effect.FollowContainer(facts.Container, false)),
            Observation.Running r => Keep(StartCase.ReattachRunning, input, journal, r.Id,
                new Effect.FollowContainer(facts.Container, true)),
            Observation.Paused p => Keep(StartCase.UnpausePaused, input, journal, p.Id,
                new Effect.UnpauseContainer(facts.Container), new Effect.FollowContainer(facts.Container, true)),
            Observation.Exited x => Ended(facts, journal, input.Store, x),
            _ => CreateFromNewest(StartCase.RecreateDeadOrUnknown, facts, journal, input.Store, Remove(facts),
                $"the container was {Describe(observed)}"),
        };
    }

    /// <summary>The engine did not answer at start: BOINC should retry later. Nothing durable changes.</summary>
    public static StartDecision StartWithoutEngine(TaskFacts facts, Option<Journal> journal, string reason)
    {
        var j = journal.Filter(x => x.Container == facts.Container).IfNone(Journal.New(facts.Container));
        var state = new LifecycleState(facts, j, new Phase.Done(), 0);
        return new StartDecision(StartCase.EngineUnreachable, state, List(Unreachable(facts, reason)));
    }

    /// <summary>What each start case means, for the log.</summary>
    public static string Describe(StartCase c) => c switch
    {
        StartCase.ReportFinishedAgain => "the job already finished: reporting its result again, not re-running it",
        StartCase.CompleteAbort => "completing an abort that was interrupted",
        StartCase.CreateFromNewest => "no container: starting it from the newest committed generation",
        StartCase.StartCreated => "the container was created but never started: starting it",
        StartCase.ReattachRunning => "the container is running: re-attaching to it (no restart, no work lost)",
        StartCase.UnpausePaused => "the container is paused: resuming it",
        StartCase.FinishedWhileAway => "the job exited on its own while no wrapper watched: reporting its result, not re-running it",
        StartCase.RestartAfterUnrecordedExit => "the container was killed or stopped while no wrapper watched: recovering and starting again",
        StartCase.RecreateDeadOrUnknown => "the container is dead or in an unknown state: recreating it from the newest generation",
        StartCase.EngineUnreachable => "the container engine is unreachable",
        _ => c.ToString(),
    };

    /// <summary>An exited container nobody recorded: its own exit is the result; a kill or our stop means run again.</summary>
    private static StartDecision Ended(TaskFacts facts, Journal journal, StoreSummary store, Observation.Exited x) =>
        ExitRule.Classify(x.Code, x.Run, journal.Intent, facts.HostBoot, watched: false) switch
        {
            ContainerEnd.OwnExit own => RecordResult(StartCase.FinishedWhileAway, facts, journal, store, own.Code),
            ContainerEnd.Killed k => CreateFromNewest(StartCase.RestartAfterUnrecordedExit, facts, journal, store, Remove(facts), k.Why),
            _ => CreateFromNewest(StartCase.RestartAfterUnrecordedExit, facts, journal, store, Remove(facts),
                "we had stopped it for a quit"),
        };

    private static StartDecision RecordResult(StartCase why, TaskFacts facts, Journal journal, StoreSummary store, int code)
    {
        var next = journal with { FinishedExitCode = code };
        var state = new LifecycleState(facts, next, new Phase.Done(), 0) { Durable = store.Latest };
        return new StartDecision(why, state, List<Effect>(
            new Effect.WriteJournal(next),
            new Effect.RemoveContainer(facts.Container),
            Status(state, $"{Describe(why)} (exit code {code})"),
            new Effect.Finish(code)));
    }

    private static StartDecision ReportFinishedAgain(TaskFacts facts, Journal journal, Observation observed, StoreSummary store, int code)
    {
        var state = new LifecycleState(facts, journal, new Phase.Done(), 0) { Durable = store.Latest };
        var effects = observed is Observation.Absent ? Seq<Effect>.Empty : Remove(facts);
        effects = effects.Add(Status(state, $"the job already finished with exit code {code}; reporting it again"))
            .Add(new Effect.Finish(code));
        return new StartDecision(StartCase.ReportFinishedAgain, state, effects);
    }

    private static StartDecision CompleteAbort(TaskFacts facts, Journal journal, StoreSummary store)
    {
        var state = new LifecycleState(facts, journal, new Phase.Done(), 0) { Durable = store.Latest };
        return new StartDecision(StartCase.CompleteAbort, state, AbortEffects(facts));
    }

    private static StartDecision CreateFromNewest(
        StartCase why, TaskFacts facts, Journal journal, StoreSummary store, Seq<Effect> before, string reason)
    {
        var newest = store.Latest;
        var next = journal with
        {
            ContainerId = Option<string>.None,
            CommittedGeneration = newest.Map(g => g.Number),
            CpuBaseNanos = newest.Map(g => g.CpuNanos).IfNone(0),
            BootId = facts.BootId,
            Intent = Intent.Run,
        };
        var restore = newest.Map(g => (Effect)new Effect.RestoreGeneration(g.Number,
            $"{reason}: the job restarts from its newest committed generation, and app files not committed with it may be torn or incomplete")).ToSeq();
        var state = new LifecycleState(facts, next, new Phase.Running(), 0) { Durable = newest };
        var effects = before
            .Add(new Effect.BuildImage(facts.ImageTag))
            .Then(restore)
            .Add(new Effect.WriteJournal(next))
            .Add(new Effect.CreateContainer(facts.Container, facts.ImageTag))
            .Add(new Effect.StartContainer(facts.Container))
            .Add(new Effect.FollowContainer(facts.Container, false))
            .Add(Status(state, newest.Match(
                g => $"started from committed generation {g.Number}",
                () => "started from the beginning (no committed generation)")));
        return new StartDecision(why, state, effects);
    }

    /// <summary>
    /// The container survives: record its id and boot, catch up with a commit the journal missed (we died between
    /// commit and journal write), go back to wanting it to run, then <paramref name="effects"/>.
    /// </summary>
    private static StartDecision Keep(StartCase why, StartInput input, Journal journal, string id, params Effect[] effects)
    {
        var facts = input.Facts;
        var committed = input.Store.Latest.Map(g => g.Number);
        var generation = committed.IsSome && committed.IfNone(0) > journal.CommittedGeneration.IfNone(-1)
            ? committed
            : journal.CommittedGeneration;
        var next = journal with { ContainerId = id, BootId = facts.BootId, Intent = Intent.Run, CommittedGeneration = generation };
        var state = new LifecycleState(facts, next, new Phase.Running(), 0) { Durable = input.Store.Latest };
        var write = next == journal ? Seq<Effect>.Empty : List<Effect>(new Effect.WriteJournal(next));
        return new StartDecision(why, state, write.Then(effects.ToSeq()));
    }
}
