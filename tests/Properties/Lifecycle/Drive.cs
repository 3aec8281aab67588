using System.Collections.Generic;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Lifecycle;
using LanguageExt;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>Drives the decider as the shipped loop does: <see cref="JobLifecycle.Begin"/>, then the outcomes as commands.</summary>
public static class Drive
{
    /// <summary>A wrapper (re)started on this world: recovery found <paramref name="store"/>, the engine <paramref name="observed"/>.</summary>
    public static Decision Started(TaskFacts facts, StoreSummary store, Option<Journal> journal = default, Observation? observed = null)
    {
        var begin = JobLifecycle.Begin(facts);
        var recovered = JobLifecycle.Decide(begin.State, new Command.StoreRecovered(store));
        var seen = JobLifecycle.Decide(recovered.State, new Command.WorldObserved(journal, observed ?? new Observation.Absent()));
        return new Decision(seen.State, begin.Effects.Then(recovered.Effects).Then(seen.Effects));
    }

    /// <summary>Commands in order; the effects of all of them.</summary>
    public static Decision Decide(LifecycleState state, IEnumerable<Command> commands)
    {
        var d = new Decision(state, Seq<Effect>.Empty);
        foreach (var c in commands)
        {
            var next = JobLifecycle.Decide(d.State, c);
            d = new Decision(next.State, d.Effects.Then(next.Effects));
        }

        return d;
    }
}
