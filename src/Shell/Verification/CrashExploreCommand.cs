using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Hashing;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification;

/// <summary>
/// <c>crash-explore</c>: the shipped binary's crash states on a real file system (issue 19). Records with strace
/// what the binary issues for one commit and for one recovery in a scratch slot, checks the recorded operations
/// against what Core's protocol emits for the same inputs, then rebuilds every crash state the persistence model
/// allows (every prefix; every subset of the un-synced operations up to a bound, seeded samples beyond; torn
/// writes) as a real directory and runs the binary's real recovery on it, checking the promise.
/// </summary>
public static class CrashExploreCommand
{
    public const string Name = "crash-explore";

    private static readonly Seq<string> Patterns = new[] { "state.bin", "ckpt/*.dat" }.ToSeq();
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(120);

    public const string Help = """
        boinc-persist crash-explore [--size BYTES] [--files N] [--seed S] [--exhaustive N] [--samples N]
                                    [--block BYTES] [--binary PATH] [--work DIR] [--keep-work]
            Record (strace) the system calls this binary issues on a scratch slot for one commit (generation 3,
            retiring generation 1) and one recovery (restoring damaged WORKDIR files); check them against the
            operations Core's protocol emits for the same inputs (same order, every fsync; printed side by side
            if not); then, for every prefix of each recording and every subset of its un-synced operations
            (all subsets up to --exhaustive pending, default 12, else prefixes, all-but-one and --samples seeded
            subsets, default 64; plus each pending write torn at every --block boundary, default 4096), build
            the crash state as a real directory under --work (default: a new directory in /tmp; it should be on
            the file system the wrapper runs on) and run the binary's real recovery on it. A state violates the
            promise if recovery restarts from older than the newest acknowledged generation, leaves WORKDIR
            unlike the generation it chose, or touches anything outside the store and the checkpoint files.
            --size: bytes of the main checkpoint file (default 20000); --files: checkpoint files (default 1).
            --binary: the boinc-persist to examine (default: this one). Needs strace. Exits 1 on a violation.
        """;

    private sealed record Options(long Size, int Files, int Seed, int Exhaustive, int Samples, int Block, string Binary, string? Work, bool KeepWork);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var o = new Options(20000, 1, 1, 12, 64, 4096, Environment.ProcessPath ?? "boinc-persist", null, false);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            try
            {
                o = args[i] switch
                {
                    "--help" or "-h" => null!,
                    "--size" => o with { Size = long.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--files" => o with { Files = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--seed" => o with { Seed = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--exhaustive" => o with { Exhaustive = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--samples" => o with { Samples = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--block" => o with { Block = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--binary" => o with { Binary = Path.GetFullPath(Next()) },
                    "--work" => o with { Work = Next() },
                    "--keep-work" => o with { KeepWork = true },
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
            {
                stderr.WriteLine($"boinc-persist {Name}: {e.Message} (see --help)");
                return Program.Usage;
            }

            if (o is null)
            {
                stdout.Write(Help);
                return Program.Ok;
            }
        }

        if (o.Size < 1 || o.Files < 1 || o.Files > 64 || o.Exhaustive is < 0 or > 16 || o.Samples < 0 || o.Block < 1)
        {
            stderr.WriteLine($"boinc-persist {Name}: --size >= 1, --files 1..64, --exhaustive 0..16, --samples >= 0, --block >= 1 (see --help)");
            return Program.Usage;
        }

        try
        {
            return new Explorer(o, stdout).Run();
        }
        catch (ExploreException e)
        {
            stderr.WriteLine($"boinc-persist {Name}: {e.Message}");
            return Program.Errors;
        }
    }

    private sealed class ExploreException(string message) : Exception(message);

    private sealed class Explorer(Options o, TextWriter @out)
    {
        private readonly string work = o.Work is null
            ? Directory.CreateTempSubdirectory("boinc-persist-crash-explore-").FullName
            : Path.GetFullPath(o.Work);

        private readonly Dictionary<long, SortedDictionary<string, byte[]>> generations = new();
        private int violations;
        private long statesReplayed;
        private long subsetsConsidered;
        private long crashPoints;

        public int Run()
        {
            var broken = false;
            var clock = Stopwatch.StartNew();
            Directory.CreateDirectory(work);
            try
            {
                var version = Exec("strace", new[] { "-V" }, null).Stdout.Split('\n')[0];
                @out.WriteLine($"crash-explore: binary {o.Binary}");
                @out.WriteLine($"crash-explore: tracer {version}; scratch {work} ({FsType(work)})");
                var slot = Path.Combine(work, "record", "slot");
                Directory.CreateDirectory(Path.Combine(slot, "ckpt"));
                File.WriteAllText(Path.Combine(slot, "other.txt"), "not a checkpoint file: recovery must not touch it\n");
                File.WriteAllText(Path.Combine(work, "record", "outside.txt"), "outside the slot\n");

                // Generations 1 and 2 (untraced), then the app writes round 3.
                for (var round = 1; round <= 2; round++)
                {
                    WriteRound(slot, round);
                    var r = Exec(o.Binary, Args(StoreOnceCommand.CommitName, slot, round.ToString(CultureInfo.InvariantCulture)), null);
                    if (r.Code != 0) throw new ExploreException($"setup commit {round} failed: {r.Stderr}");
                }

                WriteRound(slot, 3);

                // ---- the commit ----
                var before = Snapshot(slot);
                var (commitOps, commitOut) = Record(slot, StoreOnceCommand.CommitName, TracedCommitCpuSeconds);
                if (!commitOut.Contains("acked 3", StringComparison.Ordinal)) throw new ExploreException($"the traced commit did not acknowledge generation 3: {commitOut}");
                var expectedCommit = ExpectedCommit(before, commitOps);
                Compare("commit", expectedCommit, commitOps);
                Explore("commit", before, commitOps, ackedBefore: 2, ackedAfter: 3);

                // ---- a recovery with work to do: state.bin damaged, a checkpoint file gone, a stray one ----
                File.WriteAllText(Path.Combine(slot, "state.bin"), "damaged by the app\n");
                if (o.Files > 1) File.Delete(Path.Combine(slot, "ckpt", "part-1.dat"));
                File.WriteAllText(Path.Combine(slot, "ckpt", "stray.dat"), "not in the generation\n");
                var damaged = Snapshot(slot);
                var (recoverOps, recoverOut) = Record(slot, StoreOnceCommand.RecoverName, null);
                if (!recoverOut.Contains("recovered 3", StringComparison.Ordinal)) throw new ExploreException($"the traced recovery did not choose generation 3: {recoverOut}");
                Compare("recovery", ExpectedRecovery(damaged), recoverOps);
                Explore("recovery", damaged, recoverOps, ackedBefore: 3, ackedAfter: 3);

                @out.WriteLine($"crash-explore: {commitOps.Count(x => x is not TraceOp.Ack)} + {recoverOps.Count(x => x is not TraceOp.Ack)} operations recorded (commit + recovery), " +
                    $"{crashPoints} crash points, {subsetsConsidered} crash subsets, {statesReplayed} distinct crash states replayed with the real recovery, " +
                    $"{violations} violation(s), {clock.Elapsed.TotalSeconds:0.0} s");
                if (violations > 0) @out.WriteLine($"crash-explore: the scratch directory {work} (traces, last crash state) is kept for inspection");
                return violations == 0 ? Program.Ok : Program.Errors;
            }
            catch (ExploreException)
            {
                broken = true;
                @out.WriteLine($"crash-explore: the scratch directory {work} is kept for inspection");
                throw;
            }
            finally
            {
                if (!o.KeepWork && o.Work is null && violations == 0 && !broken) TryDelete(work);
            }
        }

        /// <summary>The CPU time the traced commit is given: seconds on the command line, nanoseconds in Core.</summary>
        private const string TracedCommitCpuSeconds = "3";

        private const long TracedCommitCpuNanos = 3_000_000_000;

        private string[] Args(string command, string slot, string? cpu) =>
            new[] { command, slot }.Concat(cpu is null ? Array.Empty<string>() : new[] { cpu }).Concat(Patterns).ToArray();

        private (List<TraceOp> Ops, string Stdout) Record(string slot, string command, string? cpu)
        {
            var traceFile = Path.Combine(work, command.Trim('_') + ".strace");
            var args = new[] { "-f", "-qq", "-e", "trace=%file,%desc", "-y", "-xx", "-s", "16777216", "-o", traceFile, o.Binary }
                .Concat(Args(command, slot, cpu)).ToArray();
            var dirsBefore = Snapshot(slot).Dirs;
            var clock = Stopwatch.StartNew();
            var r = Exec("strace", args, null);
            if (r.Code != 0) throw new ExploreException($"traced {command} failed (exit {r.Code}): {r.Stderr}");
            var ops = StraceParser.Parse(File.ReadLines(traceFile), slot, dirsBefore);
            var acks = ops.Count(x => x is TraceOp.Ack);
            if (acks > 1) throw new ExploreException($"the trace of {command} holds {acks} acknowledgements, not one: cannot tell which crash points come after it (trace {traceFile})");
            if (acks == 0)
            {
                // The command prints its line only after the store returned, i.e. after its last operation on the
                // slot: the end of the trace is where the acknowledgement is, even if the tracer missed the write.
                @out.WriteLine($"crash-explore: {command}: the trace does not show the stdout write; the acknowledgement is placed after the last operation");
                ops.Add(new TraceOp.Ack(r.Stdout.Split('\n')[0]));
            }
            @out.WriteLine($"crash-explore: {command} recorded: {ops.Count} operations on the slot in {clock.Elapsed.TotalSeconds:0.0} s (trace {traceFile})");
            return (ops, r.Stdout);
        }

        // ---------------- step 2: binary vs Core ----------------

        private List<string> ExpectedCommit(DiskView before, List<TraceOp> recorded)
        {
            var config = StoreOnceCommand.ConfigFor(Patterns);
            var files = WorkFiles(before);
            var stage = CommitProtocol.Stage(StoreStateOf(before), files).IfFail(e => throw new ExploreException($"Core refused the commit: {e.Message}"));
            var facts = files.Map(f => FactsOf(before.Read(f)!, DigestKind.Xxh3_128)).ToSeq();
            // The trailer's commit time is the binary's clock: take it from the pack it wrote.
            var pack = new byte[recorded.OfType<TraceOp.Write>().Where(w => w.Path == stage.PackPath).Select(w => w.Offset + w.Data.Length).DefaultIfEmpty(0).Max()];
            foreach (var w in recorded.OfType<TraceOp.Write>().Where(w => w.Path == stage.PackPath)) w.Data.CopyTo(pack, (int)w.Offset);
            var now = PackFormat.ReadContent(stage.Number, Encoding.Latin1.GetString(pack), ranges: false).Generation.Map(g => g.CommittedAtUnixMs).IfNone(0);
            var seal = CommitProtocol.Seal(stage, facts, new CommitFacts(TracedCommitCpuNanos, 0, "crash-explore", now), config.Keep)
                .IfFail(e => throw new ExploreException($"Core refused to seal: {e.Message}"));
            return Expected(before, stage.Effects.Then(seal.Durable).Then(seal.Retention));
        }

        private List<string> ExpectedRecovery(DiskView damaged)
        {
            var stored = damaged.Names.Keys.Where(n => n.StartsWith(StoreLayout.StoreDir + "/" + StoreLayout.GenerationPrefix, StringComparison.Ordinal) && n.Count(c => c == '/') == 3)
                .Aggregate(HashMap<string, FileFacts>.Empty, (m, n) => m.AddOrUpdate(n, FactsOf(damaged.Read(n)!, DigestKind.Sha256)));
            var state = StoreStateOf(damaged);
            var workFacts = WorkFiles(damaged).Aggregate(HashMap<string, FileFacts>.Empty, (m, n) => m.AddOrUpdate(n, FactsOf(damaged.Read(n)!, state.WorkDigestKind(n))));
            var d = Recovery.Decide(new RecoveryInput(state, stored, workFacts));
            return Expected(damaged, d.Effects);
        }

        private static Seq<string> WorkFiles(DiskView v) =>
            v.Names.Keys.Where(n => !StoreLayout.IsWrapperPath(n) && Globs.MatchesAny(Patterns, n)).OrderBy(n => n, StringComparer.Ordinal).ToSeq();

        private static FileFacts FactsOf(byte[] b, DigestKind kind) => new(b.Length, ContentDigest.Of(kind, b));

        private static StoreState StoreStateOf(DiskView v)
        {
            if (!v.Dirs.Contains(StoreLayout.StoreDir)) return StoreState.Missing;
            var gens = v.Dirs.Where(d => DiskView.Parent(d) == StoreLayout.StoreDir)
                .Select(d => StoreLayout.ParseGenerationDirName(d[(StoreLayout.StoreDir.Length + 1)..])).Somes().OrderBy(n => n).ToSeq();
            string? Text(string p) => v.Read(p) is { } b ? Encoding.UTF8.GetString(b) : null;
            var packs = PackFormat.ReadAll(v.Names.Keys, p => Encoding.Latin1.GetString(v.Read(p)!), ranges: true);
            return new StoreState(true, Optional(Text(StoreLayout.ManifestPath)), Optional(Text(StoreLayout.TempManifestPath)), gens, packs);
        }

        private static Option<string> Optional(string? s) => s is null ? Option<string>.None : Option<string>.Some(s);

        /// <summary>Core's effects as the system calls the interpreter must issue for them, normalised like a recording.</summary>
        private static List<string> Expected(DiskView start, Seq<FsEffect> effects)
        {
            var v = start.Clone();
            var ops = new List<TraceOp>();
            var inode = 1_000_000L;
            void Create(string path, byte[] content)
            {
                if (v.Names.ContainsKey(path)) { ops.Add(new TraceOp.Unlink(path)); v.Names.Remove(path); }
                ops.Add(new TraceOp.Create(path, "O_CREAT|O_EXCL"));
                if (content.Length > 0) ops.Add(new TraceOp.Write(path, 0, content));
                v.Names[path] = ++inode;
                v.Data[inode] = content;
            }

            foreach (var e in effects)
            {
                switch (e)
                {
                    case FsEffect.CreateDir c when !v.Dirs.Contains(c.Path) && c.Path != ".":
                        ops.Add(new TraceOp.Mkdir(c.Path)); v.Dirs.Add(c.Path); break;
                    case FsEffect.CopyFile c: Create(c.To, v.Read(c.From) ?? Array.Empty<byte>()); break;
                    case FsEffect.WriteFile w: Create(w.Path, Encoding.UTF8.GetBytes(w.Text)); break;
                    case FsEffect.PackFiles p: Create(p.To, p.From.SelectMany(f => v.Read(f) ?? Array.Empty<byte>()).ToArray()); break;
                    case FsEffect.CopyRange c: Create(c.To, (v.Read(c.From) ?? Array.Empty<byte>()).Skip((int)c.Offset).Take((int)c.Length).ToArray()); break;
                    case FsEffect.AppendText a when v.Names.TryGetValue(a.Path, out var appended):
                    {
                        var old = v.Data[appended];
                        var tail = Encoding.UTF8.GetBytes(a.Text);
                        ops.Add(new TraceOp.Write(a.Path, old.Length, tail));
                        v.Data[appended] = old.Concat(tail).ToArray();
                        break;
                    }

                    case FsEffect.Fsync f: ops.Add(new TraceOp.Fsync(f.Path, false, false)); break;
                    case FsEffect.FsyncDir f: ops.Add(new TraceOp.Fsync(f.Path, true, false)); break;
                    case FsEffect.Rename r when v.Names.TryGetValue(r.From, out var i):
                        ops.Add(new TraceOp.Rename(r.From, r.To)); v.Names.Remove(r.From); v.Names[r.To] = i; break;
                    case FsEffect.Delete d when v.Names.Remove(d.Path):
                        ops.Add(new TraceOp.Unlink(d.Path)); break;
                    case FsEffect.DeleteTree d when v.Dirs.Contains(d.Path):
                        foreach (var n in v.Names.Keys.Where(n => n.StartsWith(d.Path + "/", StringComparison.Ordinal)).ToList())
                        {
                            ops.Add(new TraceOp.Unlink(n)); v.Names.Remove(n);
                        }

                        foreach (var sub in v.Dirs.Where(x => x.StartsWith(d.Path + "/", StringComparison.Ordinal)).OrderByDescending(x => x.Length).Append(d.Path).ToList())
                        {
                            ops.Add(new TraceOp.Rmdir(sub)); v.Dirs.Remove(sub);
                        }

                        break;
                }
            }

            return Normalise(ops);
        }

        /// <summary>
        /// One line per operation: consecutive writes to one file from offset 0 are one "write" with their total
        /// length and SHA-256; a run of unlinks in one directory is sorted (readdir order is the file system's).
        /// </summary>
        private static List<string> Normalise(List<TraceOp> ops)
        {
            var lines = new List<string>();
            var unlinks = new List<string>();
            void Flush() { lines.AddRange(unlinks.OrderBy(u => u, StringComparer.Ordinal)); unlinks.Clear(); }
            for (var i = 0; i < ops.Count; i++)
            {
                var op = ops[i];
                if (op is TraceOp.Ack) continue;
                if (op is TraceOp.Unlink u)
                {
                    if (unlinks.Count > 0 && DiskView.Parent(unlinks[0]["unlink ".Length..]) != DiskView.Parent(u.Path)) Flush();
                    unlinks.Add($"unlink {u.Path}");
                    continue;
                }

                Flush();
                if (op is TraceOp.Write w)
                {
                    var data = new List<byte>();
                    var contiguous = true;
                    var j = i;
                    for (; j < ops.Count && ops[j] is TraceOp.Write x && x.Path == w.Path; j++)
                    {
                        contiguous &= x.Offset == data.Count;
                        data.AddRange(x.Data);
                    }

                    lines.Add(contiguous
                        ? $"write {w.Path} {data.Count} bytes sha256:{Sha256.HexOf(data.ToArray())[..16]}"
                        : $"write {w.Path} NON-SEQUENTIAL ({j - i} writes)");
                    i = j - 1;
                    continue;
                }

                lines.Add(op.ToString());
            }

            Flush();
            return lines;
        }

        private void Compare(string what, List<string> expected, List<TraceOp> recordedOps)
        {
            var recorded = Normalise(recordedOps);
            if (expected.SequenceEqual(recorded, StringComparer.Ordinal))
            {
                @out.WriteLine($"crash-explore: {what}: the binary's {recorded.Count} operations match Core's protocol (same operations, same order, every fsync):");
                foreach (var line in recorded) @out.WriteLine($"    {line}");
                return;
            }

            violations++;
            @out.WriteLine($"crash-explore: {what}: MISMATCH between Core's protocol and the binary's system calls ('!' marks a difference):");
            var width = Math.Max(20, expected.Select(e => e.Length).DefaultIfEmpty(0).Max());
            @out.WriteLine($"     {"Core emitted".PadRight(width)} | binary issued");
            foreach (var (e, r) in Align(expected, recorded))
                @out.WriteLine($"  {(e == r ? ' ' : '!')}  {(e ?? "(missing)").PadRight(width)} | {r ?? "(missing)"}");
        }

        /// <summary>The two sequences aligned on their longest common subsequence (null: no counterpart).</summary>
        private static List<(string? Expected, string? Recorded)> Align(List<string> a, List<string> b)
        {
            var l = new int[a.Count + 1, b.Count + 1];
            for (var i = a.Count - 1; i >= 0; i--)
                for (var j = b.Count - 1; j >= 0; j--)
                    l[i, j] = a[i] == b[j] ? l[i + 1, j + 1] + 1 : Math.Max(l[i + 1, j], l[i, j + 1]);
            var rows = new List<(string?, string?)>();
            int x = 0, y = 0;
            while (x < a.Count || y < b.Count)
            {
                if (x < a.Count && y < b.Count && a[x] == b[y]) rows.Add((a[x++], b[y++]));
                else if (y >= b.Count || (x < a.Count && l[x + 1, y] >= l[x, y + 1])) rows.Add((a[x++], null));
                else rows.Add((null, b[y++]));
            }

            return rows;
        }

        // ---------------- step 3: crash states on the real disk ----------------

        private void Explore(string what, DiskView start, List<TraceOp> ops, long ackedBefore, long ackedAfter)
        {
            List<CrashPoint> points;
            try
            {
                points = CrashReplay.Points(start, ops);
            }
            catch (InvalidOperationException e)
            {
                violations++;
                @out.WriteLine($"crash-explore: {what}: VIOLATION: {e.Message}");
                return;
            }

            var clock = Stopwatch.StartNew();
            var rng = new Random(o.Seed);
            var seen = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
            var replayDir = Path.Combine(work, "replay");
            var before = violations;
            long states = 0;
            foreach (var p in points)
            {
                crashPoints++;
                var acked = p.AcksBefore > 0 ? ackedAfter : ackedBefore;
                foreach (var s in CrashReplay.Subsets(p, o.Exhaustive, o.Samples, o.Block, rng))
                {
                    subsetsConsidered++;
                    var view = s.Apply(p);
                    if (!seen.Add(acked + "\n" + view.Fingerprint())) continue;
                    states++;
                    statesReplayed++;
                    var problem = Replay(replayDir, view, acked);
                    if (problem is null) continue;
                    violations++;
                    if (violations - before > 3) continue;
                    @out.WriteLine($"crash-explore: {what}: VIOLATION after {p.Done} of {ops.Count} operations (newest acknowledged: generation {acked}): {problem}");
                    @out.WriteLine($"  crash state: {s.Describe(p)}");
                    @out.WriteLine("  operations issued before the crash:");
                    foreach (var (op, i) in ops.Take(p.Done).Select((x, i) => (x, i))) @out.WriteLine($"    #{i} {op}");
                }
            }

            @out.WriteLine($"crash-explore: {what}: {ops.Count} operations, {points.Count} crash points, max {points.Max(x => x.Pending.Count)} pending, " +
                $"{states} distinct crash states replayed, {violations - before} violation(s), {clock.Elapsed.TotalSeconds:0.0} s");
        }

        /// <summary>Build the crash state on disk, run the binary's recovery on it, and check the promise. Null if it holds.</summary>
        private string? Replay(string dir, DiskView view, long acked)
        {
            TryDelete(dir);
            var slot = Path.Combine(dir, "slot");
            foreach (var d in view.Dirs.OrderBy(d => d.Length)) Directory.CreateDirectory(d == "." ? slot : Path.Combine(slot, d));
            foreach (var (n, i) in view.Names) File.WriteAllBytes(Path.Combine(slot, n), view.Data.GetValueOrDefault(i, Array.Empty<byte>()));
            File.WriteAllText(Path.Combine(dir, "outside.txt"), "outside the slot\n");
            var outsideBefore = Outside(view);

            var r = Exec(o.Binary, Args(StoreOnceCommand.RecoverName, slot, null), null);
            var line = r.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("recovered ", StringComparison.Ordinal));
            if (r.Code != 0 || line is null) return $"recovery failed (exit {r.Code}): {r.Stderr.Trim()} {r.Stdout.Trim()}";
            var chosenText = line.Split(' ')[1];
            var chosen = chosenText == "none" ? 0 : long.Parse(chosenText, CultureInfo.InvariantCulture);
            if (chosen < acked)
                return $"recovery restarted from {(chosen == 0 ? "zero" : $"generation {chosen}")}, older than the acknowledged generation {acked} ({r.Stdout.Trim().Replace('\n', ' ')})";

            var after = Snapshot(slot);
            if (chosen > 0 && generations.TryGetValue(chosen, out var files))
            {
                var work = WorkFiles(after).ToList();
                if (!work.SequenceEqual(files.Keys, StringComparer.Ordinal))
                    return $"after recovery WORKDIR holds [{string.Join(", ", work)}], generation {chosen} has [{string.Join(", ", files.Keys)}]";
                var differs = files.FirstOrDefault(f => !after.Read(f.Key)!.AsSpan().SequenceEqual(f.Value));
                if (differs.Key is not null) return $"after recovery {differs.Key} differs from generation {chosen}'s copy";
            }

            var outsideAfter = Outside(after);
            if (outsideAfter != outsideBefore) return $"recovery touched files outside the store: before [{outsideBefore}], after [{outsideAfter}]";
            var siblings = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal);
            if (!siblings.SequenceEqual(new[] { "outside.txt", "slot" }) || File.ReadAllText(Path.Combine(dir, "outside.txt")) != "outside the slot\n")
                return "recovery touched the slot's parent directory";
            return null;
        }

        /// <summary>
        /// Everything in the slot that is neither the store, nor a checkpoint file, nor a restore's temp copy of one
        /// (which a crashed recovery leaves and the next one replaces), with contents.
        /// </summary>
        private static string Outside(DiskView v) =>
            string.Join("; ", v.Names.Where(n => !StoreLayout.IsWrapperPath(n.Key) && !Globs.MatchesAny(Patterns, n.Key) && !IsRestoreTemp(n.Key))
                .Select(n => $"{n.Key}={Sha256.HexOf(v.Data.GetValueOrDefault(n.Value, Array.Empty<byte>()))[..12]}")
                .Concat(v.Dirs.Where(d => !StoreLayout.IsWrapperPath(d)).Select(d => d + "/")));

        private static bool IsRestoreTemp(string name) =>
            name.EndsWith(StoreLayout.RestoreSuffix, StringComparison.Ordinal) && Globs.MatchesAny(Patterns, name[..^StoreLayout.RestoreSuffix.Length]);

        // ---------------- the scratch slot ----------------

        private void WriteRound(string slot, int round)
        {
            var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
            var main = new byte[o.Size];
            var head = Encoding.ASCII.GetBytes($"round {round}\n");
            for (var k = 0; k < main.Length; k++) main[k] = k < head.Length ? head[k] : (byte)((round * 31 + k * 7 + o.Seed) % 251);
            files["state.bin"] = main;
            for (var f = 1; f < o.Files; f++)
                files[$"ckpt/part-{f}.dat"] = Encoding.ASCII.GetBytes($"part {f} of round {round} " + new string((char)('a' + f % 26), (f * 997 + round * 13) % 3000));
            foreach (var (n, b) in files) File.WriteAllBytes(Path.Combine(slot, n), b);
            generations[round] = files;
        }

        private static DiskView Snapshot(string slot)
        {
            var v = new DiskView();
            long inode = 0;
            void Walk(string rel)
            {
                var abs = rel == "." ? slot : Path.Combine(slot, rel);
                foreach (var e in new DirectoryInfo(abs).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
                {
                    var r = rel == "." ? e.Name : rel + "/" + e.Name;
                    if (e.LinkTarget is not null) throw new ExploreException($"unexpected symlink {r} in the scratch slot");
                    if (e is DirectoryInfo) { v.Dirs.Add(r); Walk(r); }
                    else { v.Names[r] = ++inode; v.Data[inode] = File.ReadAllBytes(e.FullName); }
                }
            }

            Walk(".");
            return v;
        }

        private static string FsType(string dir)
        {
            var r = Exec("stat", new[] { "-f", "-c", "%T", dir }, null);
            return r.Code == 0 ? "file system " + r.Stdout.Trim() : "file system unknown";
        }

        private static void TryDelete(string dir)
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }

        private sealed record Result(int Code, string Stdout, string Stderr);

        private static Result Exec(string file, string[] args, string? cwd)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            if (cwd is not null) psi.WorkingDirectory = cwd;
            Process p;
            try
            {
                p = Process.Start(psi) ?? throw new ExploreException($"cannot start {file}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new ExploreException($"cannot start {file}: {e.Message}" + (file == "strace" ? " (install it: apt-get install -y strace)" : ""));
            }

            using (p)
            {
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                if (!p.WaitForExit(CallTimeout))
                {
                    p.Kill(entireProcessTree: true);
                    throw new ExploreException($"{file} {string.Join(' ', args)} did not finish within {CallTimeout.TotalSeconds} s");
                }

                p.WaitForExit();
                return new Result(p.ExitCode, stdout.Result, stderr.Result);
            }
        }
    }
}
