using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Bench;
using Boinc.Persist.Shell.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;

// bench/run.sh's driver. Usage: boinc-persist-bench --bin AOT_BINARY [--jit JIT_BINARY] [--runs N]
//   [--window S] [--jobs N] [--slots N] [--scale-window S] [--dir DIR] [--items 1,2,...] [--docker-wrapper PATH]
//   [--binary-cache drop|keep]
var opt = Options.Parse(args);
var run = Guid.NewGuid().ToString("N")[..6];
var root = Path.Combine(opt.Dir, "boinc-persist-bench-" + run);
Directory.CreateDirectory(root);
using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(14));
var ct = cts.Token;
var endpoint = EngineEndpoint.Resolve();
using var docker = new DockerClientBuilder().WithEndpoint(endpoint.Uri).Build();
var label = "boinc-persist.bench";
var dockerfile = Dockerfile(run);
var rows = new List<Row>();
var failed = false;
void Log(string s) => Console.Error.WriteLine($"bench: {DateTime.UtcNow:HH:mm:ss} {s}");

// Item 7's peak RSS counts the binary's mapped pages, which depend on how its file sits in the page cache
// (PageCache.cs): measure it read from disk, as a volunteer's host has it, unless --binary-cache keep.
void DropBinaryCache(string path)
{
    if (!opt.DropBinaryCache)
    {
        Log($"{path}: page cache kept as it is (--binary-cache keep)");
        return;
    }

    var (resident, pages) = PageCache.Drop(path);
    Log($"{path}: page cache dropped, {resident} of {pages} pages still cached");
}

Log($"run {run} in {root}; engine {endpoint}; AOT {opt.Bin}; JIT {opt.Jit ?? "-"}; docker_wrapper {opt.DockerWrapper ?? "-"}");
try
{
    // Warm-up: the app's image is built once (item 4 measures builds with an image of its own).
    using (var warm = BenchSlot.Create(root, run, "warm", dockerfile))
    {
        warm.Start(opt.Bin, "quick");
        if (!warm.WaitExit(TimeSpan.FromMinutes(3)) || warm.ExitCode != 0)
            throw new InvalidOperationException($"the warm-up job failed; stderr.txt:\n{warm.StderrTail()}");
    }

    var image = (await docker.Images.ListImagesAsync(new ImagesListParameters
    {
        Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{label}={run}"] = true } },
    }, ct)).Single().RepoTags.First();
    Log($"app image {image}");

    // Items 1, 2, 3, 7: standard runs of a CPU-bound job (6 compares its recovery with their launch).
    var bare = new BareEngine(docker, label);
    if (opt.Want(1, 2, 3, 6, 7))
        DropBinaryCache(opt.Bin);
    var std = opt.Want(1, 2, 3, 6, 7) ? Items.Standard(opt, root, run, dockerfile, docker, Log) : null;

    // BOINC's docker_wrapper, same workload and fake client (--docker-wrapper): items 1, 2, 3, 4, 7.
    ForeignRuns? dw = null;
    if (opt.DockerWrapper is not null && opt.Want(1, 2, 3, 4, 7))
    {
        DropBinaryCache(opt.DockerWrapper);
        var dwStd = Items.Standard(opt, root, run, dockerfile, docker, Log, foreign: true);
        var (dwBuilds, dwSeconds) = opt.Want(4) ? Items.ForeignBuilds(opt, root, run, Log) : (0, double.NaN);
        dw = new ForeignRuns(dwStd, opt.Jobs, dwBuilds, dwSeconds);
    }

    if (std is not null)
    {
        var bareDir = Path.Combine(root, "bare");
        Directory.CreateDirectory(bareDir);
        var bareRuns = new List<(double Launch, double EndNoticed, double Total)>();
        for (var i = 0; i < Math.Max(opt.Runs, 5); i++)
            bareRuns.Add(await bare.Run(image, bareDir, ct));
        rows.AddRange(Items.StandardRows(std, bareRuns, dw));

        // Item 7: RSS and --version startup, AOT against JIT (when given).
        rows.AddRange(Items.Footprint(opt, root, run, dockerfile, std, dw, Log));
    }

    // Item 4: N jobs of one app, one after another, with an image never built before.
    if (opt.Want(4))
        rows.Add(await Items.Builds(opt, root, run, bare, image, Log, ct, dw));

    // Item 5: checkpoint commits against raw write+fsync.
    if (opt.Want(5))
        rows.AddRange(Items.Checkpoints(opt, root));

    // Item 6: recovery after a lost container (wrapper killed, container removed) against item 3.
    if (std is not null && opt.Want(6))
        rows.Add(await Items.Recovery(opt, root, run, dockerfile, docker, std.Launch, Log, ct));

    // Item 8: scale, N concurrent slots against 1.
    if (opt.Want(8))
        rows.AddRange(Items.Scale(opt, root, run, dockerfile, Log));
}
catch (Exception e)
{
    Log($"FAILED: {e}");
    failed = true;
}
finally
{
    try
    {
        await Cleanup(docker, run, label, root);
    }
    catch (Exception e)
    {
        Log($"cleanup failed (containers named bench{run}_*, images labelled {label}={run}*, {root}): {e.Message}");
    }
}

Console.WriteLine($"## boinc-persist benchmark ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, run {run})");
Console.WriteLine();
Console.WriteLine($"Host: {Environment.ProcessorCount} cores, kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, " +
                  $"load average at the end {File.ReadAllText("/proc/loadavg").Split(' ')[0]} (other work shares the machine: ratios against same-run baselines are what count). " +
                  $"Wrapper: {opt.Bin}; readahead of its disk {Readahead(opt.Bin)} (item 7: a fault on the binary read from disk maps the folio readahead made).");
Console.WriteLine();
Table.Print(rows);
if (failed)
    Console.WriteLine("\n**The suite did not complete** (see the log on stderr): the rows above are what was measured.");
return failed ? 1 : 0;

// The readahead (KB) of the block device holding PATH, from the longest mount prefix in mountinfo and sysfs (a
// partition's is its disk's); "unknown" where there is none to read (an overlay, tmpfs).
static string Readahead(string path)
{
    try
    {
        var full = Path.GetFullPath(path);
        var best = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' '))
            .Select(f => (Dev: f[2], Mount: f[4].Replace("\\040", " ")))
            .Where(m => full == m.Mount || full.StartsWith(m.Mount.TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Mount.Length).First();
        foreach (var f in new[] { $"/sys/dev/block/{best.Dev}/queue/read_ahead_kb", $"/sys/dev/block/{best.Dev}/../queue/read_ahead_kb" })
            if (File.Exists(f)) return $"{File.ReadAllText(f).Trim()} KB ({best.Dev})";
        return $"unknown ({best.Dev})";
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
    {
        return $"unknown ({e.Message})";
    }
}

static string Dockerfile(string run) =>
    $"FROM boinc-persist/busybox:1\nWORKDIR /app\nLABEL boinc-persist.bench=\"{run}\"\nCMD [\"/bin/sh\", \"/app/job.sh\"]\n";

static async Task Cleanup(DockerClient docker, string run, string label, string root)
{
    using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
    var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true }, cts.Token);
    foreach (var c in containers.Where(c => c.Names.Any(n => n.Contains($"bench{run}_", StringComparison.Ordinal)) ||
                                            (c.Labels?.ContainsKey(label) ?? false) && c.Names.Any(n => n.Contains("bench-bare", StringComparison.Ordinal))))
        await docker.Containers.RemoveContainerAsync(c.ID, new ContainerRemoveParameters { Force = true }, cts.Token);
    var images = await docker.Images.ListImagesAsync(new ImagesListParameters
    {
        Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } },
    }, cts.Token);
    foreach (var i in images.Where(i => i.Labels.TryGetValue(label, out var r) && r.StartsWith(run, StringComparison.Ordinal)))
        await docker.Images.DeleteImageAsync(i.ID, new ImageDeleteParameters { Force = true }, cts.Token);
    Directory.Delete(root, recursive: true);
}

/// <summary>The driver's options (see the usage line at the top).</summary>
public sealed record Options(string Bin, string? Jit, int Runs, int Window, int Jobs, int Slots, int ScaleWindow, string Dir, string Items,
    string? DockerWrapper = null, bool DropBinaryCache = true)
{
    /// <summary>Whether any of these items is to run (<c>--items 1,5,8</c>; default all).</summary>
    public bool Want(params int[] items) =>
        Items.Length == 0 || items.Any(i => Items.Split(',').Contains(i.ToString(CultureInfo.InvariantCulture)));

    public static Options Parse(string[] args)
    {
        var o = new Options("", null, 5, 15, 20, 32, 20, "/var/tmp", "");
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            int N() => int.Parse(v, CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--bin" => o with { Bin = Path.GetFullPath(v) },
                "--jit" => o with { Jit = Path.GetFullPath(v) },
                "--runs" => o with { Runs = N() },
                "--window" => o with { Window = N() },
                "--jobs" => o with { Jobs = N() },
                "--slots" => o with { Slots = N() },
                "--scale-window" => o with { ScaleWindow = N() },
                "--dir" => o with { Dir = v },
                "--items" => o with { Items = v },
                "--docker-wrapper" => o with { DockerWrapper = Path.GetFullPath(v) },
                "--binary-cache" => v switch
                {
                    "drop" => o with { DropBinaryCache = true },
                    "keep" => o with { DropBinaryCache = false },
                    _ => throw new ArgumentException($"--binary-cache {v}: drop or keep"),
                },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        if (o.Bin.Length == 0 || !File.Exists(o.Bin))
            throw new ArgumentException("--bin BINARY (the wrapper to measure) is required");
        if (o.DockerWrapper is not null && !File.Exists(o.DockerWrapper))
            throw new ArgumentException($"--docker-wrapper {o.DockerWrapper}: no such file (build it with scripts/foreign/build-docker-wrapper.sh)");
        return o;
    }
}
