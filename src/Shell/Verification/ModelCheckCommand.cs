using Boinc.Persist.Shell.Checkpoints;
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Verification.Model;
using Boinc.Persist.Shell.Verification.Simulation;

namespace Boinc.Persist.Shell.Verification;

/// <summary>
/// <c>boinc-persist model-check</c>: run Core's crash explorer over the shipped store and every broken variant;
/// print for the shipped one what was explored (runs, crash points, crash states) and for each variant its
/// shrunk counterexample. Exit 0 when the shipped store has no counterexample, every variant that must be
/// refuted is, and every step marked redundant is shown harmless to omit.
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
            a kept data write may be torn at a block boundary, or lose one block while the rest of it arrives;
            names whose directory did not survive vanish.
            (As ALICE and CrashMonkey: no ordering between unsynced operations is assumed.)
          - rename(2) is atomic: after a crash the target names the old or the new file, never a mix.
          - Process kill (the wrapper) and container removal lose nothing already written to the slot.
          - Disk full: a write or copy that would exceed the capacity fails with ENOSPC, changing nothing.
          - The app never fsyncs; it writes its checkpoint by temp+rename or in place, and other output.
        What is enumerated: every run is crashed after EVERY file-system operation of every step (app writes,
        commits, recoveries); at each such crash point EVERY subset of the pending operations while there are
        at most --exhaustive of them (default 12), else every prefix, every all-but-one and --samples seeded
        subsets; plus every pending data write torn, and holed, at every --block boundary (default 16 chars). What is
        sampled: the runs themselves (seeded), process kills inside a commit, and the runs' own host crashes.
        Property, checked after every recovery: never older than the newest generation BOINC was told about
        (a commit returned it or a recovery reported it); WORKDIR's checkpoint files then byte-identical to what
        the app held when it was committed; the CPU time reported the one it was committed with; that generation
        intact in the store, and no sealed pack newer than it left there; at least min(keep, acknowledged
        commits) intact generations in the store; a commit is never refused but for ENOSPC.
        """;

    public sealed record Options(int Runs, int Length, ulong Seed, int Keep, CrashBounds Bounds, CrashBounds KillBounds);

    public static readonly Options Defaults = new(5, 16, 20261202, 2, CrashBounds.Default, CrashBounds.Default);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var o = Defaults;
        var explain = false;
        var chosen = Variants.All;
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
            int n;
            var good = a switch
            {
                "--runs" => Positive(value, out n) && Set(ref o, o with { Runs = n }),
                "--length" => Positive(value, out n) && Set(ref o, o with { Length = n }),
                "--keep" => Positive(value, out n) && n >= 2 && Set(ref o, o with { Keep = n }),
                "--exhaustive" => Positive(value, out n) && n <= 20 && Set(ref o, o with { Bounds = o.Bounds with { ExhaustiveUpTo = n } }),
                "--samples" => Positive(value, out n) && Set(ref o, o with { Bounds = o.Bounds with { Samples = n } }),
                "--block" => Positive(value, out n) && Set(ref o, o with { Bounds = o.Bounds with { BlockSize = n } }),
                "--seed" => ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seed) && Set(ref o, o with { Seed = seed }),
                "--variant" => ParseVariants(value, ref chosen),
                _ => false,
            };
            if (!good)
            {
                stderr.WriteLine($"boinc-persist model-check: bad value for {a}: {value} (variants: all, refuted, {string.Join(", ", Enum.GetNames<ProtocolVariant>())})");
                return Program.Usage;
            }
        }

        if (explain)
        {
            stdout.Write(Explanation);
            return Program.Ok;
        }

        return Check(o, chosen.ToArray(), stdout);
    }

    /// <summary>Explore the shipped store and the given variants; print counts and counterexamples; the exit code.</summary>
    public static int Check(Options o, VariantInfo[] variants, TextWriter stdout)
    {
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model-check: {o.Runs} runs of {o.Length} steps, seed {o.Seed}, keep {o.Keep}; a host crash after every file-system operation of every run; crash states: {o.Bounds} (--explain for the model)"));
        var ok = true;
        var all = Stopwatch.StartNew();
        foreach (var v in variants)
        {
            var clock = Stopwatch.StartNew();
            var sut = ModelStores.For(v.Variant);
            var mustRefute = v.Expect == VariantExpectation.Refuted;
            var r = CrashExplorer.Explore(sut, new ExploreOptions(o.Runs, o.Length, o.Seed, o.Bounds, o.KillBounds, o.Keep, StopAtFirst: mustRefute));
            var c = r.Counts;
            var counts = string.Create(CultureInfo.InvariantCulture,
                $"runs={c.Runs} steps={c.Steps} crash-points={c.CrashPoints} (exhaustive {c.ExhaustivePoints}, sampled {c.SampledPoints}, max pending {c.MaxPending}) crash-states={c.CrashStates} recoveries-run={c.Recoveries} ({clock.Elapsed.TotalSeconds:0.0} s)");
            var verdict = mustRefute
                ? r.Counterexample.IsSome ? "refuted" : "FAIL: not refuted (the model lacks teeth here)"
                : r.Counterexample.IsNone ? "holds" : v.Variant == ProtocolVariant.Correct ? "FAIL: the shipped store has a counterexample" : "FAIL: refuted, but its step was documented as redundant";
            ok &= !verdict.StartsWith("FAIL", StringComparison.Ordinal);
            stdout.WriteLine($"{v.Variant,-38} [{v.Part}] {verdict}: {sut.Name}");
            stdout.WriteLine($"  {counts}");
            if (v.Variant != ProtocolVariant.Correct) stdout.WriteLine($"  why: {v.Why}");
            r.Counterexample.Iter(x =>
            {
                stdout.WriteLine($"  counterexample (shrunk from {x.OriginalLength} to {x.Steps.Count} steps): {x.Story}");
                foreach (var line in x.Violations) stdout.WriteLine($"    violated: {line}");
            });
            stdout.Flush();
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model-check: {(ok ? "OK" : "FAILED")} ({all.Elapsed.TotalSeconds:0.0} s)"));
        return ok ? Program.Ok : Program.Errors;
    }

    private static bool ParseVariants(string value, ref LanguageExt.Seq<VariantInfo> chosen)
    {
        if (value == "all") { chosen = Variants.All; return true; }
        if (value == "refuted") { chosen = Variants.All.Filter(v => v.Expect == VariantExpectation.Refuted); return true; }
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var parsed = names.Select(n => Enum.TryParse<ProtocolVariant>(n, ignoreCase: true, out var v) && Enum.IsDefined(v) ? v : (ProtocolVariant?)null).ToArray();
        if (parsed.Length == 0 || parsed.Any(p => p is null)) return false;
        chosen = new LanguageExt.Seq<VariantInfo>(parsed.Select(p => Variants.Of(p!.Value)));
        return true;
    }

    private static bool Positive(string value, out int n) => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out n) && n > 0;

    private static bool Set(ref Options o, Options value)
    {
        o = value;
        return true;
    }
}
