using Boinc.Persist.Shell.Verification;
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Boinc.Persist.Shell;
using Boinc.Persist.Shell.Checkpoints;
using Xunit;
using Xunit.Abstractions;

namespace Boinc.Persist.Integration.Checkpoints;

/// <summary>
/// kill -9 of a process committing checkpoints on the real disk, at seeded random moments (during its start-up
/// recovery, the app's in-place writes, the copies, the manifest, retention), then recovery: never a torn or
/// missing checkpoint, never older than what was acknowledged.
/// </summary>
public class KillDuringCommitTests(ITestOutputHelper output)
{
    private const int Trials = 200;

    private const int Workers = 4;

    [Fact]
    public void Killing_the_committing_process_at_random_points_never_loses_an_acknowledged_checkpoint()
    {
        // (on /dev/shm: a process kill loses nothing the page cache holds, so durability is not what this tests,
        // and without fsync latency every trial gets through many commits; four slots are tortured side by side)
        var clock = Stopwatch.StartNew();
        var results = new Summary[Workers];
        System.Threading.Tasks.Parallel.For(0, Workers, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = Workers },
            w => results[w] = Torture(20261129 + w, Trials / Workers, clock));
        foreach (var (r, w) in results.Select((r, w) => (r, w)))
        {
            output.WriteLine($"slot {w}: {r.Trials} kills; last acknowledged generation {r.LastAckedGen}; {r.Chosen} recoveries chose a generation; {r.Restored} files restored");
            Assert.True(r.LastAckedGen >= 10, $"slot {w}: only {r.LastAckedGen} generations committed: the kills came too early to test anything");
        }

        output.WriteLine($"{results.Sum(r => r.Trials)} kills in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(results.Sum(r => r.Restored) > 0, "no kill ever left WORKDIR differing from the store: the kills did not hit the app's writes");
    }

    private sealed record Summary(int Trials, long LastAckedGen, int Chosen, int Restored);

    private static Summary Torture(int seed, int trials, Stopwatch clock)
    {
        // Given a slot and the wrapper's store, committed to by a child boinc-persist process
        using var slot = new CheckpointSlot($"kill{seed}", Directory.Exists("/dev/shm") ? "/dev/shm" : null);
        var rng = new Random(seed);
        long lastAckedGen = 0, lastAckedRound = 0;
        int chosenTotal = 0, restoredTotal = 0;
        for (var trial = 0; trial < trials; trial++)
        {
            // When it is killed with SIGKILL after a random delay (one trial in four counts from the child's
            // start, to hit its own recovery; the rest from its first acknowledged commit, to hit the app's
            // writes, the copies, the manifest and retention)
            var fromStart = trial % 4 == 0;
            var delay = fromStart ? rng.Next(0, 400) : rng.Next(0, 40);
            var acks = RunAndKill(slot.Root, delay, fromStart);
            foreach (var (gen, round) in acks)
            {
                Assert.True(gen > lastAckedGen, $"trial {trial}: generation {gen} acknowledged after {lastAckedGen}");
                (lastAckedGen, lastAckedRound) = (gen, round);
            }

            // Then recovery picks a generation at least as new as the last acknowledged one, and WORKDIR holds
            // exactly that round's files, byte for byte
            var store = CheckpointStore.Open(slot.Root, TortureCommand.Config, TimeProvider.System);
            var report = store.Recover();
            Assert.True(report.RestoreError.IsNone, $"trial {trial}: {report.Why}");
            if (lastAckedGen > 0)
            {
                Assert.True(report.Chosen.IsSome, $"trial {trial}: generation {lastAckedGen} was acknowledged, recovery chose nothing: {report.Why}");
                var chosen = report.Chosen.Map(c => c.Number).IfNone(0);
                Assert.True(chosen >= lastAckedGen, $"trial {trial}: recovered {chosen} < acknowledged {lastAckedGen}: {report.Why}");
                Assert.True(report.CpuNanos >= lastAckedRound, $"trial {trial}: CPU time {report.CpuNanos} < acknowledged round {lastAckedRound}");
                AssertWorkdirIsRound(slot.Root, (long)report.CpuNanos, trial);
                chosenTotal++;
                restoredTotal += report.Restored.Count;
                // The recovered generation counts as acknowledged from now on (its CPU time is reported to BOINC).
                (lastAckedGen, lastAckedRound) = (chosen, (long)report.CpuNanos);
            }

            var listed = store.List();
            Assert.True(listed.IsSucc);
            listed.Iter(gens => Assert.All(gens, g => Assert.True(g.Problem.IsNone, $"trial {trial}: generation {g.Info.Number}: {g.Problem}")));
        }

        return new Summary(trials, lastAckedGen, chosenTotal, restoredTotal);
    }

    private static void AssertWorkdirIsRound(string slot, long round, int trial)
    {
        var expected = TortureCommand.Contents(round).ToDictionary(f => f.Name, f => f.Bytes);
        var present = new[] { "state.bin", "ckpt/a.dat", "ckpt/b.dat" }.Where(n => File.Exists(Path.Combine(slot, n))).ToHashSet();
        Assert.True(present.SetEquals(expected.Keys), $"trial {trial}: files {string.Join(",", present)} for round {round}");
        foreach (var (name, bytes) in expected)
            Assert.True(File.ReadAllBytes(Path.Combine(slot, name)).AsSpan().SequenceEqual(bytes), $"trial {trial}: {name} is not round {round}'s");
    }

    private static List<(long Gen, long Round)> RunAndKill(string slot, int delayMs, bool fromStart)
    {
        var dll = typeof(Program).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add(TortureCommand.Name);
        psi.ArgumentList.Add(slot);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet");
        var lines = new List<string>();
        var errors = new List<string>();
        using var started = new System.Threading.ManualResetEventSlim();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (lines) lines.Add(e.Data);
            if (fromStart || e.Data.StartsWith("acked ", StringComparison.Ordinal)) started.Set();
        };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.Add(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        // The delay counts from the child's first line (printed before its own recovery) or first acknowledgement.
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "the committing process never started or never committed");
        var exited = p.WaitForExit(delayMs);
        if (!exited) p.Kill(); // SIGKILL on Linux
        Assert.True(p.WaitForExit(10_000), "the killed process did not exit");
        p.WaitForExit(); // drains the redirected streams
        Assert.True(!exited, $"the committing process exited by itself ({p.ExitCode}): {string.Join(" | ", errors)}");
        lock (lines)
            return lines.Where(l => l.StartsWith("acked ", StringComparison.Ordinal))
                .Select(l => l.Split(' '))
                .Select(a => (long.Parse(a[1], CultureInfo.InvariantCulture), long.Parse(a[2], CultureInfo.InvariantCulture)))
                .ToList();
    }
}
