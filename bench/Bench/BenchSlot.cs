using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using Boinc.Persist.Shell.Verification.Fakes;
using LanguageExt;

namespace Boinc.Persist.Bench;

/// <summary>
/// One BOINC task laid out as the client lays it out (<see cref="FakeSlot"/>), whose wrapper runs as the client
/// starts it (slot as working directory, stderr appended to stderr.txt), inside a cgroup of its own
/// (<see cref="WrapperCgroup"/>), with the fake client sending heartbeats and reading statuses once a second.
/// The workload (<c>job.sh</c>, mode in ARGS) touches <c>started</c> first and <c>ended</c> last, so file
/// times mark when the job ran and when it ended.
/// </summary>
public sealed class BenchSlot : IDisposable
{
    public const string JobScript = """
        #!/bin/sh
        # boinc-persist benchmark workload. Mode (docker_wrapper's ARGS): busy | sleep | ckpt | quick.
        : > started
        # Unquoted: docker_wrapper passes ARGS with a leading space (" busy").
        mode=$(echo ${ARGS:-quick})
        echo "resumed_from=$(cat state.txt 2>/dev/null || echo 0)" >> starts.log
        case "$mode" in
          busy) # One checkpoint early and a line of output every few seconds: item 7's run has a commit and the log relay.
                echo 1 > state.tmp; mv state.tmp state.txt; touch checkpoint.done; echo "busy: checkpoint 1 written"
                n=0; while [ ! -f stop ]; do i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; n=$((n+1))
                  [ $((n % 20)) -eq 0 ] && echo "busy: round $n"; done ;;
          sleep) while [ ! -f stop ]; do sleep 1; done ;;
          ckpt) sleep 2; n=$(( $(cat state.txt 2>/dev/null || echo 0) + 1 )); echo "$n" > state.tmp; mv state.tmp state.txt
                touch checkpoint.done; while [ ! -f stop ]; do sleep 1; done ;;
        esac
        : > ended
        """;

    public const string JobToml = """
        [checkpoint]
        files = ["state.txt"]
        done_marker = "checkpoint.done"
        quiescence = "1s"

        [lifecycle]
        stop_grace = "5s"
        """;

    /// <summary>docker_wrapper's job.toml: the slot is its WORKDIR, as ours (its parser would reject nothing else here).</summary>
    public const string ForeignJobToml = "workdir = \"/app\"\n";

    private readonly FakeSlot slot;
    private readonly WrapperCgroup cgroup;
    private FakeClient client;
    private Process? process;
    private DateTime lastClientTick = DateTime.MinValue;

    private BenchSlot(FakeSlot slot, WrapperCgroup cgroup, FakeClient client)
    {
        this.slot = slot;
        this.cgroup = cgroup;
        this.client = client;
    }

    public string Dir => slot.SlotDir;

    public string ContainerName => $"boinc__{slot.Task.ProjectDirName}__{slot.Task.ResultName}".ToLowerInvariant();

    public WrapperCgroup Cgroup => cgroup;

    public int Pid => process?.Id ?? 0;

    public bool Exited => process is null || process.HasExited;

    public DateTime StartedAt { get; private set; }

    public double PeakRssMb { get; private set; }

    /// <summary>The largest peak RSS (VmHWM) seen of a child of the wrapper (docker_wrapper's docker CLI runs); 0 for none.</summary>
    public double PeakChildRssMb { get; private set; }

    /// <summary>Whether this slot runs BOINC's docker_wrapper (job.toml and Dockerfile as physical copies, its own job.toml).</summary>
    public bool Foreign { get; private init; }

    /// <summary>Lays out task <paramref name="name"/> under <paramref name="root"/>; <paramref name="dockerfile"/> is the app's.</summary>
    /// <remarks>
    /// <paramref name="foreign"/>: for BOINC's docker_wrapper, which reads job.toml with a plain ifstream and hands the
    /// Dockerfile to the CLI by name (docs/FOREIGN_WRAPPERS.md): both must be physical copies, not link files.
    /// </remarks>
    public static BenchSlot Create(string root, string run, string name, string dockerfile, bool foreign = false)
    {
        var kind = foreign ? FakeInputKind.Copy : FakeInputKind.LinkFile;
        var files = new[]
        {
            new FakeInput("job.toml", "job_1.toml", Option<byte[]>.Some(Encoding.UTF8.GetBytes(foreign ? ForeignJobToml : JobToml)), kind),
            new FakeInput("Dockerfile", "Dockerfile_1", Option<byte[]>.Some(Encoding.UTF8.GetBytes(dockerfile)), kind),
            new FakeInput("job.sh", "job_1.sh", Option<byte[]>.Some(Encoding.UTF8.GetBytes(JobScript.Replace("\r", ""))), FakeInputKind.Copy),
        }.ToSeq();
        var task = FakeTask.Default($"bench{run}_{name}_0");
        var fake = FakeSlot.Create(Path.Combine(root, name), task, files);
        var client = FakeClient.Attach(fake.SlotDir).Match(c => c, e => throw new InvalidOperationException(e.Message));
        return new BenchSlot(fake, WrapperCgroup.Create(run, name), client) { Foreign = foreign };
    }

    /// <summary>Starts the wrapper as the client does, with the workload's mode as its argument.</summary>
    public void Start(string binary, string mode, string? dockerHost = null)
    {
        var info = new ProcessStartInfo("/bin/sh") { WorkingDirectory = Dir, UseShellExecute = false };
        if (dockerHost is not null)
            info.Environment["DOCKER_HOST"] = dockerHost;
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("echo $$ > \"$1\" && shift && exec \"$@\" >/dev/null 2>>stderr.txt");
        info.ArgumentList.Add("bench-launch");
        info.ArgumentList.Add(cgroup.Procs);
        info.ArgumentList.Add(binary);
        info.ArgumentList.Add(mode);
        StartedAt = DateTime.UtcNow;
        process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {binary}");
    }

    /// <summary>When the wrapper was seen gone (by <see cref="WaitExit"/>).</summary>
    public DateTime ExitedAt { get; private set; }

    /// <summary>
    /// The client's second (heartbeat, next request, read the status) when a second has passed since the last,
    /// as the real client does; and the wrapper's peak RSS so far on every call.
    /// </summary>
    public void Tick()
    {
        var now = DateTime.UtcNow;
        if (now - lastClientTick >= TimeSpan.FromSeconds(1))
        {
            lastClientTick = now;
            client.Tick();
        }

        if (process is { HasExited: false })
        {
            PeakRssMb = Math.Max(PeakRssMb, HwmMb(process.Id));
            // The wrapper's children (the cgroup holds the whole tree; the wrapper's pid is the one the launcher wrote).
            try
            {
                foreach (var line in File.ReadLines(cgroup.Procs))
                {
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != process.Id)
                        PeakChildRssMb = Math.Max(PeakChildRssMb, HwmMb(pid));
                }
            }
            catch (IOException)
            {
                // The cgroup is going away.
            }
        }
    }

    /// <summary>VmHWM of a process in MB; 0 when it is gone (or a kernel thread).</summary>
    private static double HwmMb(int pid)
    {
        try
        {
            var hwm = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return hwm is null ? 0 : double.Parse(hwm.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return 0; // It exited meanwhile.
        }
    }

    /// <summary>How many image builds docker_wrapper ran (its stderr.txt logs every non-polling CLI command).</summary>
    public int ForeignBuilds() =>
        File.ReadLines(Path.Combine(Dir, "stderr.txt")).Count(l => l.Contains("running docker command: build", StringComparison.Ordinal));

    /// <summary>SIGKILL to the wrapper (a crash, a reboot).</summary>
    public void Kill()
    {
        process?.Kill();
        process?.WaitForExit();
    }

    /// <summary>What the client does before starting the task again: new shared memory, a new client side.</summary>
    public void ClientRestart()
    {
        client.Dispose();
        slot.ResetSharedMemory();
        client = FakeClient.Attach(slot.SlotDir).Match(c => c, e => throw new InvalidOperationException(e.Message));
        foreach (var f in new[] { "stop", "boinc_finish_called", "boinc_temporary_exit" })
            File.Delete(Path.Combine(Dir, f));
    }

    public void Stop() => File.WriteAllText(Path.Combine(Dir, "stop"), "");

    public int ExitCode => process!.ExitCode;

    /// <summary>The wrapper's exit, ticking the client meanwhile; false on timeout.</summary>
    public bool WaitExit(TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (!Exited && DateTime.UtcNow < until)
        {
            Tick();
            Thread.Sleep(20);
        }

        ExitedAt = DateTime.UtcNow;
        return Exited;
    }

    /// <summary>The modification time of a slot file written after <paramref name="after"/>; None when there is none yet.</summary>
    public Option<DateTime> FileTime(string name, DateTime after)
    {
        var path = Path.Combine(Dir, name);
        if (!File.Exists(path))
            return Option<DateTime>.None;
        var t = File.GetLastWriteTimeUtc(path);
        // File times come from the kernel's coarse clock (one tick, a few ms, behind): allow 20 ms.
        return t >= after.AddMilliseconds(-20) ? Option<DateTime>.Some(t) : Option<DateTime>.None;
    }

    /// <summary>Waits (ticking the client) until the slot file is written after <paramref name="after"/>.</summary>
    public DateTime WaitFile(string name, DateTime after, TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < until)
        {
            foreach (var t in FileTime(name, after))
                return t;
            Tick();
            Thread.Sleep(20);
        }

        throw new TimeoutException($"{name} did not appear in {Dir} within {limit.TotalSeconds:0} s; stderr.txt ends:\n{StderrTail()}");
    }

    /// <summary>Waits (ticking the client) until the wrapper's stderr.txt holds <paramref name="text"/>.</summary>
    public void WaitLog(string text, TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        var path = Path.Combine(Dir, "stderr.txt");
        while (DateTime.UtcNow < until)
        {
            if (File.Exists(path) && File.ReadAllText(path).Contains(text, StringComparison.Ordinal))
                return;
            Tick();
            Thread.Sleep(20);
        }

        throw new TimeoutException($"\"{text}\" did not appear in {path} within {limit.TotalSeconds:0} s; stderr.txt ends:\n{StderrTail()}");
    }

    /// <summary>The totals of the wrapper's last "engine API calls: N (kind n, ...)" line.</summary>
    public (int Total, int Builds) EngineCalls()
    {
        var line = File.ReadLines(Path.Combine(Dir, "stderr.txt")).LastOrDefault(l => l.Contains("engine API calls: ", StringComparison.Ordinal));
        if (line is null)
            throw new InvalidOperationException($"the wrapper in {Dir} logged no engine API call count; stderr.txt ends:\n{StderrTail()}");
        var total = int.Parse(Regex.Match(line, @"engine API calls: (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var build = Regex.Match(line, @"[(,] ?build (\d+)");
        return (total, build.Success ? int.Parse(build.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    public string StderrTail()
    {
        var path = Path.Combine(Dir, "stderr.txt");
        return File.Exists(path) ? string.Join("\n", File.ReadLines(path).TakeLast(15)) : "(no stderr.txt)";
    }

    public void Dispose()
    {
        if (process is { HasExited: false })
            Kill();
        client.Dispose();
        cgroup.Dispose();
    }
}
