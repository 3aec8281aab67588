using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Checkpoints.Model;

namespace Boinc.Persist.Shell.Checkpoints;

/// <summary>
/// <c>boinc-persist model-check</c>: run Core's crash explorer over the shipped protocol and the broken
/// variants, print what was explored and the shrunk counterexamples. Exit 0 when the shipped protocol has no
/// counterexample and every broken variant that was run has one.
/// </summary>
public static class ModelCheckCommand
{
    public const string Explanation = """
        Persistence model (what model-check assumes; see docs/PERSISTENCE_MODEL.md):
          - A file system with a volatile view (what processes see) and a durable one (what survives a host
            crash). Every operation enters the volatile view at once and joins a list of pending operations.
          - fsync(file) makes that file's pending data writes durable, not its name. fsync(dir) makes the
            pending name operations in that directory durable (create, unlink, rename, mkdir, rmdir).
          - Host crash: the durable state plus ANY subset of the pending operations, applied in issue order;
            each kept data write may be torn to a prefix; names whose directory did not survive vanish.
            (As ALICE and CrashMonkey: no ordering between unsynced operations is assumed.)
          - rename(2) is atomic: after a crash the target names the old or the new file, never a mix.
          - Process kill (the wrapper) and container removal lose nothing already written to the slot.
          - Disk full: a write or copy that would exceed the capacity fails with ENOSPC, changing nothing.
          - The app never fsyncs; it writes its checkpoint by temp+rename or in place, and other output.
        Property, checked at every restart (recovery): if a generation was acknowledged, recovery picks one
        at least that new; WORKDIR's checkpoint files are then byte-identical to that generation as it was
        staged; the CPU time reported is the one it was committed with; at least min(keep, acknowledged)
        intact generations exist.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var sequences = 2000;
        var length = 30;
        var states = 32;
        ulong seed = 20261129;
        var keep = 2;
        var explain = false;
        var variants = Enum.GetValues<ProtocolVariant>();
        var variant1 = ProtocolVariant.Correct;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "--explain") { explain = true; continue; }
            if (i + 1 >= args.Length || !a.StartsWith("--", StringComparison.Ordinal))
            {
                stderr.WriteLine($"boinc-persist model-check: bad option {a} (see --help)");
                return Program.Usage;
            }

            var value = args[++i];
            var good = a switch
            {
                "--sequences" => int.TryParse(value, out sequences) && sequences > 0,
                "--length" => int.TryParse(value, out length) && length > 0,
                "--states" => int.TryParse(value, out states) && states > 0,
                "--keep" => int.TryParse(value, out keep) && keep >= 2,
                "--seed" => ulong.TryParse(value, out seed),
                "--variant" => value == "all" || Enum.TryParse(value, ignoreCase: true, out variant1),
                _ => false,
            };
            if (!good)
            {
                stderr.WriteLine($"boinc-persist model-check: bad value for {a}: {value} (variants: all, {string.Join(", ", Enum.GetNames<ProtocolVariant>())})");
                return Program.Usage;
            }

            if (a == "--variant" && value != "all") variants = new[] { variant1 };
        }

        if (explain)
        {
            stdout.Write(Explanation);
            return Program.Ok;
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model-check: {sequences} sequences of {length} steps per variant, up to {states} crash states per host crash, keep={keep}, seed={seed} (--explain for the model)"));
        var ok = true;
        foreach (var variant in variants)
        {
            var clock = Stopwatch.StartNew();
            var r = CrashExplorer.Explore(new ExploreOptions(variant, sequences, length, states, seed, keep));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{variant,-20} sequences={r.Sequences} steps={r.Steps} crash-states={r.CrashStates} restarts-checked={r.Restarts} failing-sequences={r.FailingSequences} ({clock.Elapsed.TotalSeconds:0.0} s)"));
            r.Counterexample.Iter(c =>
            {
                stdout.WriteLine($"  counterexample (shrunk from {c.OriginalLength} to {c.Steps.Count} steps): {c.Story}");
                foreach (var v in c.Violations) stdout.WriteLine($"    violated: {v}");
            });
            var expected = variant == ProtocolVariant.Correct ? r.Counterexample.IsNone : r.Counterexample.IsSome;
            if (!expected)
            {
                ok = false;
                stdout.WriteLine(variant == ProtocolVariant.Correct
                    ? "  FAIL: the shipped protocol has a counterexample"
                    : "  FAIL: no counterexample found for a broken variant (the model lacks teeth here)");
            }
        }

        stdout.WriteLine(ok ? "model-check: OK" : "model-check: FAILED");
        return ok ? Program.Ok : Program.Errors;
    }
}
