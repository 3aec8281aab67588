using System.Collections.Immutable;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Checkpoints.Model;
using FsCheck;
using FsCheck.Experimental;
using FsCheck.Fluent;

namespace Boinc.Persist.Properties.Checkpoints;

/// <summary>The system under test: Core's commit and recovery protocols run on the model file system.</summary>
public sealed class StoreOnModelFs
{
    public StoreOnModelFs(ProtocolVariant variant) => World = World.Start(variant);

    public World World { get; set; }

    public override string ToString() => $"store on model fs ({World.Variant})";
}

/// <summary>
/// The FsCheck model: the story so far (what shrinking prints) and how many acknowledgements the spec
/// expects at most. The property itself (never older than acknowledged, byte-identical, CPU time, keep) is
/// checked at every restart by <see cref="Simulation.Check"/>, the same check model-check uses.
/// </summary>
public sealed record StorySoFar(ImmutableList<string> Steps)
{
    public override string ToString() => Steps.IsEmpty ? "(start)" : string.Join(" -> ", Steps);
}

/// <summary>
/// Crash sequences as an FsCheck state machine: the operations of issue 3 (the app writes by rename or in
/// place, writes more, the wrapper commits / is killed mid-commit, disk full during a commit, host crash,
/// container removal, wrapper killed, restart with recovery).
/// </summary>
public sealed class CrashMachine(ProtocolVariant variant, int maxSteps) : Machine<StoreOnModelFs, StorySoFar>(maxSteps)
{
    public override Arbitrary<Setup<StoreOnModelFs, StorySoFar>> Setup =>
        Arb.From(Gen.Constant((Setup<StoreOnModelFs, StorySoFar>)new StoreSetup(variant)));

    public override Gen<Operation<StoreOnModelFs, StorySoFar>> Next(StorySoFar model) =>
        Generators.StepGen().Select(s => (Operation<StoreOnModelFs, StorySoFar>)new StepOperation(s));

    private sealed class StoreSetup(ProtocolVariant variant) : Setup<StoreOnModelFs, StorySoFar>
    {
        public override StoreOnModelFs Actual() => new(variant);

        public override StorySoFar Model() => new(ImmutableList<string>.Empty);
    }

    private sealed class StepOperation(Step step) : Operation<StoreOnModelFs, StorySoFar>
    {
        public override StorySoFar Run(StorySoFar model) => model with { Steps = model.Steps.Add(step.ToString()) };

        public override Property Check(StoreOnModelFs actual, StorySoFar model)
        {
            var before = actual.World.Violations.Count;
            actual.World = Simulation.Run(actual.World, step);
            // A crash, kill or removal is followed by a restart before anything else; check it now, so every
            // sequence ends with its crash recovered and checked.
            if (!actual.World.Up) actual.World = Simulation.Restart(actual.World);
            var found = actual.World.Violations.Skip(before);
            return found.IsEmpty.Label($"{model}: {string.Join("; ", found)}");
        }

        public override string ToString() => step.ToString();
    }
}
