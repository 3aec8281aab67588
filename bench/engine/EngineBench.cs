#:project ../../src/Shell/Shell.csproj
// Engine adapter figures on this machine: image build vs reuse, container round trip, CPU accounting.
// Run: bash bench/engine/run.sh  (needs the engine and boinc-persist/busybox:1; removes what it creates)
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Engine;
using LanguageExt;

var baseImage = args.Length > 0 ? args[0] : "boinc-persist/busybox:1";
var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
using var engine = DockerEngine.Connect();
using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(20));
var ct = cts.Token;
var run = Guid.NewGuid().ToString("N")[..8];
var labels = new[] { new KeyValue(Labels.Owner, Labels.OwnerValue), new KeyValue("org.boinc-persist.bench", run) }.ToSeq();
T Ok<T>(Either<EngineError, T> r) => r.Match(v => v, e => throw new InvalidOperationException(e.ToString()));
double Ms(Stopwatch sw) => sw.Elapsed.TotalMilliseconds;
string Stats(List<double> xs) { xs.Sort(); return $"median {xs[xs.Count / 2]:0.0} ms, min {xs[0]:0.0}, max {xs[^1]:0.0} (n={xs.Count})"; }

Console.WriteLine($"engine: {engine.Endpoint}; {Ok(await engine.Version(ct)).Version}");

var builds = new List<double>();
var reuses = new List<double>();
var tags = new List<string>();
for (var i = 0; i < rounds; i++)
{
    var tag = $"boinc-persist/bench:{run}-{i}";
    tags.Add(tag);
    var plan = new ImagePlan(tag, tag, false, "Dockerfile", BuildOptions.None, labels);
    var dockerfile = $"FROM {baseImage}\nRUN echo {run}-{i} > /nonce\n";
    var sw = Stopwatch.StartNew();
    Ok(await engine.EnsureImage(plan, dockerfile, TextWriter.Null, ct));
    builds.Add(Ms(sw));
    sw.Restart();
    var again = Ok(await engine.EnsureImage(plan, dockerfile, TextWriter.Null, ct));
    reuses.Add(Ms(sw));
    if (again.Built) throw new InvalidOperationException("second EnsureImage built again");
}

Console.WriteLine($"EnsureImage, cold build (1 RUN step): {Stats(builds)}");
Console.WriteLine($"EnsureImage, reuse (tag present):    {Stats(reuses)}");

var trips = new List<double>();
ContainerSpec Spec(string name) => new(name, new ImagePlan(baseImage, "", false, "Dockerfile", BuildOptions.None, labels),
    Option<string>.None, "/", Seq<KeyValue>.Empty, Option<string>.None, Seq<PlannedMount>.Empty, Seq<PlannedTmpfs>.Empty,
    NetworkMode.None, true, true, Seq<string>.Empty, 1_000_000_000, Option<long>.None, 100, Seq<Ulimit>.Empty,
    Option<long>.None, false, Seq<PortMap>.Empty, Option<int>.None, labels, Option<string>.None, false,
    Option<int>.None, Option<string>.None);
for (var i = 0; i < rounds; i++)
{
    var name = $"bp-bench-{run}-{i}";
    var sw = Stopwatch.StartNew();
    Ok(await engine.Create(Spec(name), new[] { "/bin/sh", "-c", "exit 0" }, ct));
    Ok(await engine.Start(name, ct));
    Ok(await engine.WaitForExit(name, TimeSpan.FromMinutes(1), ct));
    Ok(await engine.Remove(name, ct));
    trips.Add(Ms(sw));
}

Console.WriteLine($"create+start+wait+remove of `exit 0`: {Stats(trips)}");

var cpuName = $"bp-bench-{run}-cpu";
Ok(await engine.Create(Spec(cpuName), new[] { "/bin/sh", "-c", "while :; do :; done" }, ct));
Ok(await engine.Start(cpuName, ct));
var c0 = Ok(await engine.CpuNanos(cpuName, ct));
var wall = Stopwatch.StartNew();
await Task.Delay(TimeSpan.FromSeconds(3), ct);
var c1 = Ok(await engine.CpuNanos(cpuName, ct));
var w = wall.Elapsed;
Ok(await engine.Pause(cpuName, ct));
var p0 = Ok(await engine.CpuNanos(cpuName, ct));
await Task.Delay(TimeSpan.FromSeconds(2), ct);
var p1 = Ok(await engine.CpuNanos(cpuName, ct));
Ok(await engine.Remove(cpuName, ct));
Console.WriteLine($"CPU counter, busy loop limited to 1 CPU: {(c1 - c0) / 1e6:0.0} ms CPU in {w.TotalMilliseconds:0} ms wall ({(c1 - c0) / (w.TotalMilliseconds * 1e6):P1} of one core)");
Console.WriteLine($"CPU counter while paused 2 s: +{(p1 - p0) / 1e6:0.000} ms");

foreach (var tag in tags) await engine.RemoveImageIfUnused(tag, ct);
