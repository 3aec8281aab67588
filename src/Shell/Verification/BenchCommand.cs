using Boinc.Persist.Shell.Checkpoints;
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Config;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification;

/// <summary>
/// Hidden command behind bench/checkpoint.sh and bench/run.sh's item 5: commit throughput for checkpoints of the
/// given sizes against a raw write + fsync of the same bytes on the same file system, and the latency of a 1 KB
/// commit. It runs in the binary that ships (the Native AOT one, in both benchmarks), so what is measured is the
/// store's compiled code, not a JIT's first tier.
/// </summary>
/// <remarks>
/// <c>__checkpoint-bench [--samples] [--latency N] DIR [SIZE_MB[:REPEAT]...]</c>. Without <c>--samples</c> it
/// prints a table of the best of REPEAT commits per size (default 20 for 1 MB, 3 up to 100 MB, 1 above) and the
/// 1 KB medians. With it, every single measurement as a line <c>throughput SIZE_MB WHAT SECONDS</c> or
/// <c>latency 1KB WHAT MILLISECONDS</c> (tab-separated; WHAT is raw, commit, floor, least, least-xxh3 or
/// least-sha256), for a driver to take medians of.
/// </remarks>
public static class BenchCommand
{
    public const string Name = "__checkpoint-bench";

    private const string Usage = "usage: boinc-persist " + Name + " [--samples] [--latency N] DIR [SIZE_MB[:REPEAT]...]";

    /// <summary>Every measurement of one size, one per repetition: seconds per operation (milliseconds for the 1 KB latencies).</summary>
    private sealed record Samples(double[] Raw, double[] Commit, double[] Floor, double[] Least, double[] LeastSha, double[] LeastXxh);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var samples = false;
        var latencyN = 50;
        var rest = new System.Collections.Generic.List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--samples") samples = true;
            else if (args[i] == "--latency" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) { latencyN = n; i++; }
            else if (args[i].StartsWith("--", StringComparison.Ordinal)) { stderr.WriteLine($"{Name}: unknown or incomplete option {args[i]}; {Usage}"); return Program.Usage; }
            else rest.Add(args[i]);
        }

        if (rest.Count < 1) { stderr.WriteLine(Usage); return Program.Usage; }
        var sizes = new System.Collections.Generic.List<(long Mb, int Repeat)>();
        foreach (var a in rest.Count > 1 ? rest.Skip(1) : new[] { "1", "100", "1024" })
        {
            var parts = a.Split(':');
            var repeat = 0;
            if (parts.Length > 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var mb) || mb < 1
                || (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out repeat) || repeat < 1)))
            {
                stderr.WriteLine($"{Name}: {a} is not SIZE_MB or SIZE_MB:REPEAT (whole numbers from 1); {Usage}");
                return Program.Usage;
            }

            sizes.Add((mb, parts.Length == 2 ? repeat : mb <= 1 ? 20 : mb <= 100 ? 3 : 1));
        }

        var dir = Path.Combine(rest[0], $"boinc-persist-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            return samples ? PrintSamples(dir, sizes, latencyN, stdout) : PrintTable(rest[0], dir, sizes, latencyN, stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int PrintSamples(string dir, System.Collections.Generic.List<(long Mb, int Repeat)> sizes, int latencyN, TextWriter stdout)
    {
        void Lines(string kind, string size, string what, double[] values)
        {
            foreach (var v in values)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kind}\t{size}\t{what}\t{v:R}"));
        }

        foreach (var (mb, repeat) in sizes)
        {
            var m = Measure(dir, mb * 1024 * 1024, repeat);
            Lines("throughput", $"{mb}", "raw", m.Raw);
            Lines("throughput", $"{mb}", "commit", m.Commit);
            Lines("throughput", $"{mb}", "floor", m.Floor);
            Lines("throughput", $"{mb}", "least", m.Least);
            Lines("throughput", $"{mb}", "least-xxh3", m.LeastXxh);
            Lines("throughput", $"{mb}", "least-sha256", m.LeastSha);
        }

        var k = Latency1K(dir, latencyN);
        Lines("latency", "1KB", "raw", k.Raw);
        Lines("latency", "1KB", "commit", k.Commit);
        Lines("latency", "1KB", "floor", k.Floor);
        Lines("latency", "1KB", "least", k.Least);
        Lines("latency", "1KB", "least-xxh3", k.LeastXxh);
        Lines("latency", "1KB", "least-sha256", k.LeastSha);
        return Program.Ok;
    }

    private static int PrintTable(string given, string dir, System.Collections.Generic.List<(long Mb, int Repeat)> sizes, int latencyN, TextWriter stdout)
    {
        stdout.WriteLine($"directory: {given}; reflink: {(Reflinks(dir) ? "yes" : "no")} (the store's packs are written through the wrapper either way)");
        stdout.WriteLine($"{"size",8}  {"raw write+fsync",16}  {"commit",10}  {"raw MB/s",9}  {"commit MB/s",11}  ratio");
        var floors = new System.Collections.Generic.List<string>();
        foreach (var (mb, repeat) in sizes)
        {
            var m = Measure(dir, mb * 1024 * 1024, repeat);
            double raw = m.Raw.Min(), commit = m.Commit.Min(), floor = m.Floor.Min(), least = m.Least.Min(), leastSha = m.LeastSha.Min(), leastXxh = m.LeastXxh.Min();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{mb + " MB",8}  {raw * 1000,13:0.0} ms  {commit * 1000,7:0.0} ms  {mb / raw,9:0.0}  {mb / commit,11:0.0}  {raw / commit:0.00}"));
            floors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{mb} MB format-1 floor: {floor * 1000:0.0} ms, ratio raw/floor {raw / floor:0.00}; the store's commit takes {commit / floor:0.00}x the floor"));
            floors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{mb} MB least durable copy: {least * 1000:0.0} ms, ratio raw/least {raw / least:0.00}; with XXH3-128 in line (the store's checksum): {leastXxh * 1000:0.0} ms, ratio raw/least+xxh3 {raw / leastXxh:0.00}; with SHA-256 (pack v2's): {leastSha * 1000:0.0} ms, ratio raw/least+sha {raw / leastSha:0.00}"));
        }

        stdout.WriteLine("format-1 floor: what store format 1 (before stop 34) did per commit: the copy into gen-N, the new manifest and the four fsyncs alone, no checks or hashing (CommitFloor); the store now writes format 2, one pack and two fsyncs, whose floor is the least copy with a checksum");
        stdout.WriteLine("least durable copy: one new file, its fsync and its directory's, no checksum (CommitFloor.LeastCopy): no protocol that copies into a new file does less");
        foreach (var f in floors) stdout.WriteLine(f);

        stdout.WriteLine(HashRates());
        var k = Latency1K(dir, latencyN);
        var lat = k.Commit;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"1 KB commit latency over {lat.Length} commits: median {Pct(lat, 0.5):0.00} ms, p90 {Pct(lat, 0.9):0.00} ms, max {lat.Max():0.00} ms"));
        var raw1k = k.Raw;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"1 KB raw write+fsync latency over {raw1k.Length} writes: median {Pct(raw1k, 0.5):0.00} ms, p90 {Pct(raw1k, 0.9):0.00} ms, max {raw1k.Max():0.00} ms; commit/raw {Pct(lat, 0.5) / Pct(raw1k, 0.5):0.00}x"));
        var floor1k = k.Floor;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"1 KB format-1 floor latency over {floor1k.Length} commits: median {Pct(floor1k, 0.5):0.00} ms; floor/raw {Pct(floor1k, 0.5) / Pct(raw1k, 0.5):0.00}x, commit/floor {Pct(lat, 0.5) / Pct(floor1k, 0.5):0.00}x"));
        var least1k = k.Least;
        var leastSha1k = k.LeastSha;
        var leastXxh1k = k.LeastXxh;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"1 KB least durable copy latency over {least1k.Length} copies: median {Pct(least1k, 0.5):0.00} ms, least/raw {Pct(least1k, 0.5) / Pct(raw1k, 0.5):0.00}x; with XXH3-128 in line: median {Pct(leastXxh1k, 0.5):0.00} ms, {Pct(leastXxh1k, 0.5) / Pct(raw1k, 0.5):0.00}x; with SHA-256 in line: median {Pct(leastSha1k, 0.5):0.00} ms, {Pct(leastSha1k, 0.5) / Pct(raw1k, 0.5):0.00}x"));
        return Program.Ok;
    }

    private static Samples Measure(string dir, long bytes, int repeat)
    {
        var slot = Path.Combine(dir, "slot");
        Directory.CreateDirectory(slot);
        var data = new byte[Math.Min(bytes, 64L << 20)];
        new Random(1).NextBytes(data);
        var m = new Samples(new double[repeat], new double[repeat], new double[repeat], new double[repeat], new double[repeat], new double[repeat]);
        var store = CheckpointStore.Open(slot, Config, TimeProvider.System);
        var floor = new CommitFloor(dir);
        var buffer = new byte[Host.Sha256Files.ChunkFor(bytes)];
        var app = Path.Combine(slot, "state.bin");
        for (var r = 0; r < repeat; r++)
        {
            // The app's checkpoint, written (not fsynced, as apps do) before the wrapper commits it. Each timed
            // operation starts on a quiet disk (CommitFloor.Settle), the app's file still dirty where there is one.
            CommitFloor.Settle();
            WriteBytes(app, data, bytes, fsync: false);
            var sw = Stopwatch.StartNew();
            var g = store.Commit(r, 0, "bench");
            m.Commit[r] = sw.Elapsed.TotalSeconds;
            if (g.IsFail) throw new IOException(g.Match(_ => "", e => e.Message));

            var raw = Path.Combine(dir, "raw.bin");
            File.Delete(raw);
            CommitFloor.Settle();
            sw.Restart();
            WriteBytes(raw, data, bytes, fsync: true);
            m.Raw[r] = sw.Elapsed.TotalSeconds;
            File.Delete(raw);

            // The same app file, written the same way, committed by the protocol's operations alone.
            CommitFloor.Settle();
            WriteBytes(app, data, bytes, fsync: false);
            m.Floor[r] = floor.Once(app, buffer);

            // The least any protocol copying into a new file must do (CommitFloor.LeastCopy), without and with a checksum.
            CommitFloor.Settle();
            WriteBytes(app, data, bytes, fsync: false);
            m.Least[r] = floor.LeastCopy(app, buffer, checksum: null);
            CommitFloor.Settle();
            WriteBytes(app, data, bytes, fsync: false);
            m.LeastSha[r] = floor.LeastCopy(app, buffer, checksum: Core.Hashing.DigestKind.Sha256);
            CommitFloor.Settle();
            WriteBytes(app, data, bytes, fsync: false);
            m.LeastXxh[r] = floor.LeastCopy(app, buffer, checksum: Core.Hashing.DigestKind.Xxh3_128);
        }

        store.Dispose(); // its last retention, aside, is done before the slot goes
        Directory.Delete(slot, recursive: true);
        return m;
    }

    /// <summary>The two file digests' speed on 1 MiB already in memory (the median of 200 each): what hashing costs a commit beside its I/O.</summary>
    private static string HashRates()
    {
        var data = new byte[1 << 20];
        new Random(1).NextBytes(data);
        double Median(Core.Hashing.DigestKind kind)
        {
            var times = new double[200];
            for (var i = 0; i < times.Length; i++)
            {
                var sw = Stopwatch.StartNew();
                using var d = Host.FileDigests.Start(kind);
                d.Append(data);
                _ = d.Finish();
                times[i] = sw.Elapsed.TotalMilliseconds;
            }

            return Pct(times, 0.5);
        }

        var sha = Median(Core.Hashing.DigestKind.Sha256);
        var xxh = Median(Core.Hashing.DigestKind.Xxh3_128);
        return string.Create(CultureInfo.InvariantCulture,
            $"hashing 1 MiB in memory (median of 200): SHA-256 ({Host.Sha256Files.Implementation}) {sha:0.000} ms, XXH3-128 {xxh:0.000} ms");
    }

    /// <summary>
    /// The 1 KB latencies in milliseconds, <paramref name="n"/> of each, interleaved as the throughput's are (a
    /// commit, a raw write+fsync, the format-1 floor, the least copies), so that whatever else the disk is doing
    /// (the writeback and discards the large sizes before left) falls on all of them alike. Each starts on a quiet
    /// disk once (<see cref="CommitFloor.Settle"/>): a 1 KB operation is shorter than the settling.
    /// </summary>
    private static Samples Latency1K(string dir, int n)
    {
        var slot = Path.Combine(dir, "slot1k");
        Directory.CreateDirectory(slot);
        var store = CheckpointStore.Open(slot, Config, TimeProvider.System);
        var floor = new CommitFloor(dir);
        var app = Path.Combine(slot, "state.bin");
        var raw = Path.Combine(dir, "raw1k.bin");
        var data = new byte[1024];
        var buffer = new byte[4096];
        var m = new Samples(new double[n], new double[n], new double[n], new double[n], new double[n], new double[n]);
        CommitFloor.Settle();
        for (var i = 0; i < n; i++)
        {
            data[0] = (byte)i;
            File.WriteAllBytes(app, data);
            var sw = Stopwatch.StartNew();
            var g = store.Commit(i, 0, "bench");
            m.Commit[i] = sw.Elapsed.TotalMilliseconds;
            if (g.IsFail) throw new IOException(g.Match(_ => "", e => e.Message));

            // The baseline: a new file written and fsynced (a fresh name each time, as a commit's pack is).
            File.Delete(raw);
            sw.Restart();
            WriteBytes(raw, data, data.Length, fsync: true);
            m.Raw[i] = sw.Elapsed.TotalMilliseconds;

            // The bounds (CommitFloor) on the same app file.
            File.WriteAllBytes(app, data);
            m.Floor[i] = floor.Once(app, buffer) * 1000;
            File.WriteAllBytes(app, data);
            m.Least[i] = floor.LeastCopy(app, buffer, checksum: null) * 1000;
            File.WriteAllBytes(app, data);
            m.LeastXxh[i] = floor.LeastCopy(app, buffer, checksum: Core.Hashing.DigestKind.Xxh3_128) * 1000;
            File.WriteAllBytes(app, data);
            m.LeastSha[i] = floor.LeastCopy(app, buffer, checksum: Core.Hashing.DigestKind.Sha256) * 1000;
        }

        store.Dispose();
        Directory.Delete(slot, recursive: true);
        return m;
    }

    private static readonly CheckpointConfig Config = CheckpointConfig.Default with { Files = new[] { "state.bin" }.ToSeq() };

    private static void WriteBytes(string path, byte[] block, long total, bool fsync)
    {
        using var s = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        for (long done = 0; done < total; done += block.Length)
            s.Write(block, 0, (int)Math.Min(block.Length, total - done));
        if (fsync) s.Flush(flushToDisk: true);
    }

    private static bool Reflinks(string dir)
    {
        var a = Path.Combine(dir, "reflink-probe");
        File.WriteAllBytes(a, new byte[] { 1 });
        var r = DiskEffects.Run(dir, new Core.Checkpoints.FsEffect.CopyFile("reflink-probe", "reflink-probe.2"));
        var cloned = DiskEffects.LastCopyWasReflink;
        File.Delete(a);
        File.Delete(a + ".2");
        return r.IsSucc && cloned;
    }

    private static double Pct(double[] xs, double p)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s[Math.Min(s.Length - 1, (int)(p * s.Length))];
    }
}
