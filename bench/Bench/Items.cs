using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Boinc.Persist.Bench;

/// <summary>What the standard runs measured, one value per run.</summary>
public sealed record StandardRuns(Sample Launch, Sample EndNoticed, Sample WrapperCorePercent, Sample WrapperPerJobCpu,
    Sample WrapperCpuPerMinute, Sample PeakRssMb, Sample EngineCalls, Sample PeakChildRssMb);

/// <summary>What BOINC's docker_wrapper measured in the same run (<c>--docker-wrapper PATH</c>); null without the option.</summary>
public sealed record ForeignRuns(StandardRuns Standard, int Jobs, int Builds, double JobsSeconds);

/// <summary>The benchmark's items; each returns its table rows.</summary>
public static class Items
{
    /// <summary>
    /// Items 1, 2, 3 (and 7's RSS): the wrapper runs a CPU-bound job; launch (wrapper start to the job's first
    /// instruction), a steady window (wrapper CPU from its own cgroup against the job's from the container's),
    /// then the job ends and the time until <c>boinc_finish_called</c> is taken.
    /// </summary>
    /// <remarks>
    /// <paramref name="foreign"/>: the wrapper is BOINC's docker_wrapper (<see cref="Options.DockerWrapper"/>): same
    /// workload, same fake client; it logs no engine call count (it runs the docker CLI, whose children's CPU the
    /// cgroup includes).
    /// </remarks>
    public static StandardRuns Standard(Options opt, string root, string run, string dockerfile, DockerClient docker, Action<string> log,
        bool foreign = false)
    {
        var binary = foreign ? opt.DockerWrapper! : opt.Bin;
        var who = foreign ? "docker_wrapper" : "standard";
        var childRss = new List<double>();
        var launch = new List<double>();
        var end = new List<double>();
        var core = new List<double>();
        var perJob = new List<double>();
        var perMinute = new List<double>();
        var rss = new List<double>();
        var calls = new List<double>();
        for (var i = 0; i < opt.Runs; i++)
        {
            using var s = BenchSlot.Create(root, run, foreign ? $"dw{i}" : $"std{i}", dockerfile, foreign);
            s.Start(binary, "busy");
            var started = s.WaitFile("started", s.StartedAt, TimeSpan.FromMinutes(2));
            launch.Add((started - s.StartedAt).TotalSeconds);
            Settle(s, TimeSpan.FromSeconds(2));

            var pid = (int)docker.Containers.InspectContainerAsync(s.ContainerName).GetAwaiter().GetResult().State!.Pid;
            using var job = CgroupCpu.Open(pid).Match(c => c, why => throw new InvalidOperationException($"job cgroup: {why}"));
            var w0 = s.Cgroup.CpuSeconds();
            var j0 = job.Read().Match(v => v, e => throw new InvalidOperationException(e));
            var sw = Stopwatch.StartNew();
            Settle(s, TimeSpan.FromSeconds(opt.Window));
            var w1 = s.Cgroup.CpuSeconds();
            var j1 = job.Read().Match(v => v, e => throw new InvalidOperationException(e));
            var wall = sw.Elapsed.TotalSeconds;

            s.Stop();
            var ended = s.WaitFile("ended", started, TimeSpan.FromSeconds(30));
            var finished = s.WaitFile("boinc_finish_called", ended, TimeSpan.FromSeconds(60));
            if (!s.WaitExit(TimeSpan.FromSeconds(60)) || s.ExitCode != 0)
                throw new InvalidOperationException($"{who} run {i} did not end well; stderr.txt:\n{s.StderrTail()}");
            end.Add((finished - ended).TotalSeconds);
            var wrapper = w1 - w0;
            var jobCpu = (j1 - j0) / 1e9;
            core.Add(100 * wrapper / wall);
            perJob.Add(100 * wrapper / jobCpu);
            perMinute.Add(1000 * wrapper / wall * 60);
            rss.Add(s.PeakRssMb);
            childRss.Add(s.PeakChildRssMb);
            if (!foreign)
                calls.Add(s.EngineCalls().Total);
            log($"{who} run {i}: launch {launch[^1]:0.000} s, wrapper {wrapper * 1000:0.0} ms CPU in {wall:0.0} s (job {jobCpu:0.0} s), end noticed {end[^1]:0.000} s, peak RSS {rss[^1]:0.0} MB (largest child {childRss[^1]:0.0} MB)");
        }

        return new StandardRuns(Sample.Of(launch), Sample.Of(end), Sample.Of(core), Sample.Of(perJob), Sample.Of(perMinute), Sample.Of(rss), Sample.Of(calls),
            Sample.Of(childRss));
    }

    /// <summary>The docker_wrapper cell of a row: its same-run figure, or "not measured" without <c>--docker-wrapper</c>.</summary>
    private static string Dw(ForeignRuns? dw, Func<ForeignRuns, string> show) => dw is null ? NotMeasured : show(dw);

    public const string NotMeasured = "not measured (bench/run.sh --docker-wrapper PATH)";

    public static IEnumerable<Row> StandardRows(StandardRuns std, List<(double Launch, double EndNoticed, double Total)> bare, ForeignRuns? dw)
    {
        var bareLaunch = Sample.Of(bare.Select(b => b.Launch));
        var bareEnd = Sample.Of(bare.Select(b => b.EndNoticed));
        yield return new Row("1", "wrapper CPU while a CPU-bound job runs (% of one core)", std.WrapperCorePercent.Show("0.000", " %"),
            $"job's own CPU: wrapper = {std.WrapperPerJobCpu.Show("0.000", " %")} of it", "n/a", "< 0.1 % of a core",
            Table.Verdict(std.WrapperCorePercent.Median < 0.1));
        yield return new Row("1", "wrapper CPU per minute of job (children included)", std.WrapperCpuPerMinute.Show("0.0", " ms"),
            dw is null ? "n/a" : "ratio: against docker_wrapper's", dw is null ? "n/a" : Table.Ratio(std.WrapperCpuPerMinute.Median, dw.Standard.WrapperCpuPerMinute.Median), "", "",
            Dw(dw, d => d.Standard.WrapperCpuPerMinute.Show("0.0", " ms")));
        yield return new Row("2", "job end noticed: container's last instruction to boinc_finish_called", std.EndNoticed.Show("0.000", " s"),
            $"engine's wait returning (bare): {bareEnd.Show("0.000", " s")}", Table.Ratio(std.EndNoticed.Median, bareEnd.Median), "< 0.5 s",
            Table.Verdict(std.EndNoticed.Median < 0.5), Dw(dw, d => d.Standard.EndNoticed.Show("0.000", " s")));
        yield return new Row("3", "launch to running: wrapper start to the job's first instruction (image cached)", std.Launch.Show("0.000", " s"),
            $"bare create+start: {bareLaunch.Show("0.000", " s")}", Table.Ratio(std.Launch.Median, bareLaunch.Median), "<= 1.2x",
            Table.Verdict(std.Launch.Median <= 1.2 * bareLaunch.Median), Dw(dw, d => d.Standard.Launch.Show("0.000", " s") + " (it builds one image per WU)"));
    }

    /// <summary>Item 7: peak RSS (AOT; JIT for comparison) and the startup time of <c>--version</c>.</summary>
    public static IEnumerable<Row> Footprint(Options opt, string root, string run, string dockerfile, StandardRuns std, ForeignRuns? dw, Action<string> log)
    {
        var jitRss = Sample.Of(Array.Empty<double>());
        if (opt.Jit is not null)
        {
            var values = new List<double>();
            for (var i = 0; i < 2; i++)
            {
                using var s = BenchSlot.Create(root, run, $"jit{i}", dockerfile);
                s.Start(opt.Jit, "busy");
                var started = s.WaitFile("started", s.StartedAt, TimeSpan.FromMinutes(2));
                Settle(s, TimeSpan.FromSeconds(3));
                s.Stop();
                s.WaitFile("boinc_finish_called", started, TimeSpan.FromSeconds(60));
                s.WaitExit(TimeSpan.FromSeconds(60));
                values.Add(s.PeakRssMb);
            }

            jitRss = Sample.Of(values);
            log($"JIT peak RSS {jitRss.Show("0.0", " MB")}");
        }

        // Goal (issue 17): below docker_wrapper's own figure, at most 20 MB, over a whole job with status ticks, a
        // checkpoint commit and the log relay (the busy workload commits one checkpoint and prints a line every few s).
        var cache = opt.DropBinaryCache ? "binary read from disk" : "binary's page cache as found (--binary-cache keep)";
        yield return new Row("7", $"peak RSS of the wrapper (AOT), whole job: ticks, a checkpoint commit, log relay; {cache}", std.PeakRssMb.Show("0.0", " MB"),
            opt.Jit is null ? "n/a" : $"JIT build: {jitRss.Show("0.0", " MB")}", Table.Ratio(std.PeakRssMb.Median, jitRss.Median), "<= 20 MB",
            Table.Verdict(std.PeakRssMb.Max <= 20),
            Dw(dw, d => $"{d.Standard.PeakRssMb.Show("0.0", " MB")}; its largest docker CLI child {d.Standard.PeakChildRssMb.Show("0.0", " MB")}"));

        var aot = Sample.Of(Enumerable.Range(0, 20).Select(_ => TimeProcess(opt.Bin, "--version")));
        var baseline = opt.Jit is null ? Sample.Of(Enumerable.Range(0, 20).Select(_ => TimeProcess("/bin/true")))
            : Sample.Of(Enumerable.Range(0, 20).Select(_ => TimeProcess(opt.Jit, "--version")));
        yield return new Row("7", "startup: `boinc-persist --version` (AOT)", aot.Show("0.0", " ms"),
            $"{(opt.Jit is null ? "/bin/true" : "JIT build")}: {baseline.Show("0.0", " ms")}", Table.Ratio(aot.Median, baseline.Median), "", "");
    }

    /// <summary>Item 4: N jobs of one app one after another, from an image never built before.</summary>
    public static async Task<Row> Builds(Options opt, string root, string run, BareEngine bare, string image, Action<string> log, CancellationToken ct,
        ForeignRuns? dw)
    {
        var dockerfile = $"FROM boinc-persist/busybox:1\nWORKDIR /app\nLABEL boinc-persist.bench=\"{run}-builds\"\nCMD [\"/bin/sh\", \"/app/job.sh\"]\n";
        var builds = 0;
        var times = new List<double>();
        for (var i = 0; i < opt.Jobs; i++)
        {
            using var s = BenchSlot.Create(root, run, $"app{i}", dockerfile);
            s.Start(opt.Bin, "quick");
            if (!s.WaitExit(TimeSpan.FromMinutes(3)) || s.ExitCode != 0)
                throw new InvalidOperationException($"job {i} of the app failed; stderr.txt:\n{s.StderrTail()}");
            times.Add((s.ExitedAt - s.StartedAt).TotalSeconds);
            builds += s.EngineCalls().Builds;
        }

        var bareDir = Path.Combine(root, "bare-builds");
        Directory.CreateDirectory(bareDir);
        var bareTimes = new List<double>();
        for (var i = 0; i < opt.Jobs; i++)
            bareTimes.Add((await bare.Run(image, bareDir, ct)).Total);
        log($"{opt.Jobs} jobs: {builds} builds, {times.Sum():0.0} s (bare {bareTimes.Sum():0.0} s)");
        var t = Sample.Of(times);
        return new Row("4", $"{opt.Jobs} jobs of one app in a row: image builds; total time (per job)",
            $"{builds} build(s); {times.Sum():0.0} s (per job {t.Show("0.00", " s")})",
            $"bare create+start+wait+remove: {bareTimes.Sum():0.0} s",
            Table.Ratio(times.Sum(), bareTimes.Sum()), "1 build", Table.Verdict(builds == 1),
            dw is null ? NotMeasured : $"{dw.Builds} build(s); {dw.JobsSeconds:0.0} s");
    }

    /// <summary>Item 4 for docker_wrapper: the same N quick jobs of one app, its builds counted from its stderr.txt.</summary>
    public static (int Builds, double Seconds) ForeignBuilds(Options opt, string root, string run, Action<string> log)
    {
        var dockerfile = $"FROM boinc-persist/busybox:1\nWORKDIR /app\nLABEL boinc-persist.bench=\"{run}-dwbuilds\"\nCMD [\"/bin/sh\", \"/app/job.sh\"]\n";
        var builds = 0;
        var total = 0.0;
        for (var i = 0; i < opt.Jobs; i++)
        {
            using var s = BenchSlot.Create(root, run, $"dwapp{i}", dockerfile, foreign: true);
            s.Start(opt.DockerWrapper!, "quick");
            if (!s.WaitExit(TimeSpan.FromMinutes(3)) || s.ExitCode != 0)
                throw new InvalidOperationException($"docker_wrapper job {i} of the app failed; stderr.txt:\n{s.StderrTail()}");
            total += (s.ExitedAt - s.StartedAt).TotalSeconds;
            builds += s.ForeignBuilds();
        }

        log($"docker_wrapper, {opt.Jobs} jobs: {builds} builds, {total:0.0} s");
        return (builds, total);
    }

    /// <summary>
    /// Item 5: checkpoint commits against a raw write+fsync of the same bytes (same file system), measured by the
    /// shipped binary (<see cref="CheckpointBench"/>): 15 repetitions of 1 MB, 5 of 100 MB, 50 1 KB commits.
    /// </summary>
    public static IEnumerable<Row> Checkpoints(Options opt, string root)
    {
        var sizes = new (long Mb, int Repeat)[] { (1, 15), (100, 5) };
        var m = CheckpointBench.Run(opt.Bin, Path.Combine(root, "ckpt"), sizes, 50, TimeSpan.FromMinutes(30));
        foreach (var (mb, _) in sizes)
        {
            var raw = m.Rate(mb, "raw");
            var commit = m.Rate(mb, "commit");
            Row Bound(string what, Sample s) =>
                new("5", what, s.Show("0", " MB/s"), $"raw write+fsync: {raw.Show("0", " MB/s")}", Table.Ratio(s.Median, raw.Median), "", "");
            yield return new Row("5", $"checkpoint commit of {mb} MB: throughput", commit.Show("0", " MB/s"),
                $"raw write+fsync: {raw.Show("0", " MB/s")}", Table.Ratio(commit.Median, raw.Median), ">= 0.8x raw",
                Table.Verdict(commit.Median >= 0.8 * raw.Median));
            yield return Bound($"format-1 floor of {mb} MB (the previous store's copy, manifest and four fsyncs alone)", m.Rate(mb, "floor"));
            yield return Bound($"least durable copy of {mb} MB (one new file, its fsync and its directory's, no checksum: what any protocol copying into a new file must do)", m.Rate(mb, "least"));
            yield return Bound($"least durable copy of {mb} MB with an XXH3-128 checksum (the store's, pack v3) in a trailer", m.Rate(mb, "least-xxh3"));
            yield return Bound($"least durable copy of {mb} MB with a SHA-256 checksum (pack v2's) in a trailer", m.Rate(mb, "least-sha256"));
        }

        var rawLat = m.Get("latency", "1KB", "raw");
        var commitLat = m.Get("latency", "1KB", "commit");
        Row LatBound(string what, Sample s) =>
            new("5", what, s.Show("0.00", " ms"), $"raw write+fsync: {rawLat.Show("0.00", " ms")}", Table.Ratio(s.Median, rawLat.Median), "", "");
        yield return new Row("5", "checkpoint commit of 1 KB: latency", commitLat.Show("0.00", " ms"),
            $"raw write+fsync: {rawLat.Show("0.00", " ms")}", Table.Ratio(commitLat.Median, rawLat.Median), "<= 3x raw",
            Table.Verdict(commitLat.Median <= 3 * rawLat.Median));
        yield return LatBound("format-1 floor of 1 KB (the previous store's copy, manifest and four fsyncs alone)", m.Get("latency", "1KB", "floor"));
        yield return LatBound("least durable copy of 1 KB (one new file, its fsync and its directory's, no checksum)", m.Get("latency", "1KB", "least"));
        yield return LatBound("least durable copy of 1 KB with an XXH3-128 checksum in a trailer", m.Get("latency", "1KB", "least-xxh3"));
        yield return LatBound("least durable copy of 1 KB with a SHA-256 checksum in a trailer", m.Get("latency", "1KB", "least-sha256"));
    }

    /// <summary>
    /// Item 6: a task with a committed generation loses wrapper and container (SIGKILL, container removed: a
    /// reboot); the wrapper is started again; time until the job runs again from its generation.
    /// </summary>
    public static async Task<Row> Recovery(Options opt, string root, string run, string dockerfile, DockerClient docker, Sample launch,
        Action<string> log, CancellationToken ct)
    {
        var times = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            using var s = BenchSlot.Create(root, run, $"rec{i}", dockerfile);
            s.Start(opt.Bin, "ckpt");
            // The wrapper logs this once the generation is durable (the pack appears before it is).
            s.WaitLog("committed checkpoint generation 1 ", TimeSpan.FromMinutes(2));
            s.Kill();
            await docker.Containers.RemoveContainerAsync(s.ContainerName, new ContainerRemoveParameters { Force = true }, ct);
            s.ClientRestart();
            s.Start(opt.Bin, "ckpt");
            var started = s.WaitFile("started", s.StartedAt, TimeSpan.FromMinutes(2));
            // The job logs where it resumed from right after touching `started`: wait for its second line.
            var log2 = Path.Combine(s.Dir, "starts.log");
            var until = DateTime.UtcNow.AddSeconds(30);
            while (File.ReadLines(log2).Count() < 2 && DateTime.UtcNow < until)
                Thread.Sleep(20);
            var resumed = File.ReadLines(log2).Last();
            if (resumed != "resumed_from=1")
                throw new InvalidOperationException($"recovery run {i}: the job started with {resumed}, not from generation 1's state");
            times.Add((started - s.StartedAt).TotalSeconds);
            s.Stop();
            if (!s.WaitExit(TimeSpan.FromSeconds(60)) || s.ExitCode != 0)
                throw new InvalidOperationException($"recovery run {i} did not end well; stderr.txt:\n{s.StderrTail()}");
            log($"recovery {i}: {times[^1]:0.000} s");
        }

        var rec = Sample.Of(times);
        return new Row("6", "recovery: wrapper restart after a lost container until the job runs again from its generation",
            rec.Show("0.000", " s"), $"item 3 launch: {launch.Show("0.000", " s")}", Table.Ratio(rec.Median, launch.Median), "", "");
    }

    /// <summary>
    /// Item 8: N concurrent slots of a sleeping job against 1 slot: per-slot wrapper CPU, and engine API calls
    /// per minute in the steady window (each wrapper talks to the engine through its own counting proxy).
    /// </summary>
    public static IEnumerable<Row> Scale(Options opt, string root, string run, string dockerfile, Action<string> log)
    {
        var one = new List<SlotFigures>();
        for (var i = 0; i < 3; i++)
            one.AddRange(Concurrent(opt, root, run, dockerfile, $"one{i}", 1));
        var many = Concurrent(opt, root, run, dockerfile, "many", opt.Slots);
        var c1 = Sample.Of(one.Select(f => f.CorePercent));
        var cn = Sample.Of(many.Select(f => f.CorePercent));
        var k1 = Sample.Of(one.Select(f => f.WindowCallsPerMinute));
        var kn = Sample.Of(many.Select(f => f.WindowCallsPerMinute));
        var t1 = Sample.Of(one.Select(f => f.RunCalls));
        var tn = Sample.Of(many.Select(f => f.RunCalls));
        log($"scale: 1 slot {c1.Show("0.0000")} % / {k1.Show("0.0")} calls/min; {opt.Slots} slots {cn.Show("0.0000")} % / {kn.Show("0.0")} calls/min");
        yield return new Row("8", $"{opt.Slots} concurrent slots: wrapper CPU per slot (% of one core, sleeping job, steady {opt.ScaleWindow} s)",
            cn.Show("0.0000", " %"), $"1 slot: {c1.Show("0.0000", " %")}", Table.Ratio(cn.Median, c1.Median), "flat",
            Table.Verdict(cn.Median <= 1.5 * c1.Median + 0.002));
        yield return new Row("8", $"{opt.Slots} concurrent slots: engine API calls per minute per slot, steady (counting proxy)",
            kn.Show("0.0"), $"1 slot: {k1.Show("0.0")}", Table.Ratio(kn.Median, k1.Median), "flat",
            Table.Verdict(kn.Median <= 1.2 * k1.Median + 0.5));
        yield return new Row("8", $"{opt.Slots} concurrent slots: engine API calls per slot, whole run (start to finish, wrapper's count)",
            tn.Show("0"), $"1 slot: {t1.Show("0")}", Table.Ratio(tn.Median, t1.Median), "", "");
    }

    /// <summary>The engine's unix socket the proxies forward to: the one the bench resolved (DOCKER_HOST honoured).</summary>
    private static string EngineSocket()
    {
        var uri = EngineEndpoint.Resolve().Uri;
        return uri.Scheme == "unix" ? uri.AbsolutePath : throw new InvalidOperationException($"the counting proxy needs a unix socket, not {uri}");
    }

    private sealed record SlotFigures(double CorePercent, double WindowCallsPerMinute, double RunCalls);

    private static List<SlotFigures> Concurrent(Options opt, string root, string run, string dockerfile, string name, int n)
    {
        var slots = Enumerable.Range(0, n).Select(i => BenchSlot.Create(root, run, $"{name}{i}", dockerfile)).ToList();
        var proxies = slots.Select((s, i) => new EngineProxy(Path.Combine(root, $"{name}{i}.sock"), EngineSocket())).ToList();
        try
        {
            for (var i = 0; i < n; i++)
                slots[i].Start(opt.Bin, "sleep", "unix://" + proxies[i].Path);
            var until = DateTime.UtcNow + TimeSpan.FromMinutes(4);
            while (slots.Any(s => s.FileTime("started", s.StartedAt).IsNone))
            {
                if (DateTime.UtcNow > until)
                    throw new TimeoutException($"not all {n} jobs started; one stderr.txt:\n{slots.First(s => s.FileTime("started", s.StartedAt).IsNone).StderrTail()}");
                slots.ForEach(s => s.Tick());
                Thread.Sleep(50);
            }

            SettleAll(slots, TimeSpan.FromSeconds(3));
            var w0 = slots.Select(s => s.Cgroup.CpuSeconds()).ToList();
            var r0 = proxies.Select(p => p.Requests).ToList();
            var sw = Stopwatch.StartNew();
            SettleAll(slots, TimeSpan.FromSeconds(opt.ScaleWindow));
            var wall = sw.Elapsed.TotalSeconds;
            var cpu = slots.Select((s, i) => 100 * (s.Cgroup.CpuSeconds() - w0[i]) / wall).ToList();
            var calls = proxies.Select((p, i) => (p.Requests - r0[i]) / wall * 60).ToList();
            slots.ForEach(s => s.Stop());
            foreach (var s in slots)
            {
                if (!s.WaitExit(TimeSpan.FromMinutes(2)) || s.ExitCode != 0)
                    throw new InvalidOperationException($"slot {s.Dir} did not end well; stderr.txt:\n{s.StderrTail()}");
            }

            // The proxy must have seen what the wrapper says it sent (a proxy that counts nothing would read as 0).
            for (var i = 0; i < n; i++)
            {
                if (proxies[i].Requests < slots[i].EngineCalls().Total)
                    throw new InvalidOperationException($"the counting proxy saw {proxies[i].Requests} requests but the wrapper counted {slots[i].EngineCalls().Total}");
            }

            return slots.Select((s, i) => new SlotFigures(cpu[i], calls[i], s.EngineCalls().Total)).ToList();
        }
        finally
        {
            slots.ForEach(s => s.Dispose());
            proxies.ForEach(p => p.Dispose());
        }
    }

    private static void Settle(BenchSlot s, TimeSpan span) => SettleAll(new List<BenchSlot> { s }, span);

    /// <summary>Lets time pass while the fake client keeps each slot's heartbeat going.</summary>
    private static void SettleAll(List<BenchSlot> slots, TimeSpan span)
    {
        var until = DateTime.UtcNow + span;
        while (DateTime.UtcNow < until)
        {
            slots.ForEach(s => s.Tick());
            Thread.Sleep(100);
        }
    }

    private static double TimeProcess(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(info)!;
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return sw.Elapsed.TotalMilliseconds;
    }
}
