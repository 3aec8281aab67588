using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Verification.Conform;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Verification.Fakes;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Conform;

/// <summary>What a trial needs from the suite: the wrapper command, the base image, where to lay out, the engine.</summary>
public sealed record TrialSetup(Seq<string> Wrapper, string BaseImage, string Root, EngineWatch Engine, bool Keep, EngineIdentity Identity)
{
    /// <summary>How long to wait for the wrapper's next point (<see cref="ConformOptions.Patience"/>).</summary>
    public TimeSpan Patience { get; init; } = ConformOptions.DefaultPatience;

    /// <summary>A whole job's bound: one and a half times <see cref="Patience"/>.</summary>
    public TimeSpan JobLimit => Patience * 1.5;
}

/// <summary>
/// The workload's parameters for one run (passed as the app's arguments, which reach it as ARGS).
/// <paramref name="PaceMs"/> &gt; 0 makes every step last at least that long (a sleep after its work), so a
/// scenario that injects a fault mid-run has a run to inject it into however fast the host's CPU is.
/// </summary>
public sealed record WorkParams(int Steps, int Work, int CkptEvery, int PaceMs = 0)
{
    public static readonly WorkParams Default = new(40, 40000, 4);

    /// <summary>
    /// For the fault scenarios: a fault at a checkpoint of step 16 or earlier, held for up to 2.5 s, leaves at
    /// least 24 steps of 150 ms (3.6 s) to run, so the job cannot have ended before the fault.
    /// </summary>
    public static readonly WorkParams Paced = Default with { PaceMs = 150 };

    public string[] Args() =>
        new[]
        {
            "--steps", Steps.ToString(CultureInfo.InvariantCulture), "--work", Work.ToString(CultureInfo.InvariantCulture),
            "--ckpt-every", CkptEvery.ToString(CultureInfo.InvariantCulture),
        }.Concat(PaceMs > 0 ? new[] { "--pace-ms", PaceMs.ToString(CultureInfo.InvariantCulture) } : Array.Empty<string>())
        .ToArray();

    public string Expected => Workload.Answer((long)Steps * Work).ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// One trial's BOINC data directory (<c>projects/conform_MARK/</c>, <c>slots/0/</c>), laid out as the client
/// does it, with the workload's files, a <c>&lt;copy_file/&gt;</c> input and a link-file input; and the means
/// to start the wrapper there as the client does, observe it and clean up after it.
/// </summary>
public sealed class Trial : IAsyncDisposable
{
    public const string CopiedInput = "copied input 7f3a";
    public const string LinkedInput = "linked input 91c2";

    private readonly TrialSetup setup;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly List<Started> starts = new();

    private Trial(TrialSetup setup, string mark, FakeSlot slot, WorkParams work)
    {
        this.setup = setup;
        Mark = mark;
        Slot = slot;
        Work = work;
    }

    public string Mark { get; }

    public FakeSlot Slot { get; }

    public WorkParams Work { get; }

    public EngineWatch Engine => setup.Engine;

    /// <summary>How long to wait for the wrapper's next point (<see cref="TrialSetup.Patience"/>).</summary>
    public TimeSpan Patience => setup.Patience;

    public double Now => clock.Elapsed.TotalSeconds;

    /// <summary>
    /// Lays out the trial. <paramref name="clientPid"/> is the client's pid written to init_data.xml (default:
    /// the suite's own process, which lives as long as the trial).
    /// </summary>
    public static Trial Create(TrialSetup setup, string mark, WorkParams work, string? dockerfile = null, int? clientPid = null)
    {
        var dataDir = Path.Combine(setup.Root, mark);
        var task = FakeTask.Default("r_" + mark + "_0") with
        {
            ProjectUrl = $"http://conform.invalid/{mark}/",
            ProjectDirName = "conform_" + mark,
            AppName = "conform_app",
            WuName = "r_" + mark,
            ClientPid = clientPid ?? Environment.ProcessId,
            Docker = Option<(int, string)>.Some((setup.Identity.DockerType, setup.Identity.DockerVersionLine)),
        };
        static Option<byte[]> Text(string s) => System.Text.Encoding.UTF8.GetBytes(s);
        var files = Seq(
            new FakeInput("Dockerfile", "Dockerfile_" + mark, Text(dockerfile ?? Workload.DockerfileFor(setup.BaseImage, mark)), FakeInputKind.Copy),
            new FakeInput("job.toml", "job_" + mark + ".toml", Text(Workload.JobToml), FakeInputKind.Copy),
            new FakeInput("work.sh", "work.sh", Text(Workload.WorkScript), FakeInputKind.LinkFile),
            new FakeInput("probe.sh", "probe.sh", Text(Workload.ProbeScript), FakeInputKind.LinkFile),
            new FakeInput("copied_input.txt", "in_copy_" + mark, Text(CopiedInput + "\n"), FakeInputKind.Copy),
            new FakeInput("linked_input.txt", "in_link_" + mark, Text(LinkedInput + "\n"), FakeInputKind.LinkFile));
        return new Trial(setup, mark, FakeSlot.Create(dataDir, task, files), work);
    }

    /// <summary>Starts the wrapper with a fresh shared-memory file and the client's loop attached.</summary>
    public Either<string, Started> Start(IReadOnlyDictionary<string, string>? environment = null, double wuCpuTime = 0)
    {
        Slot.Restart(wuCpuTime);
        var command = setup.Wrapper.Then(Work.Args().ToSeq());
        var wrapper = WrapperUnderTest.Start(command, Slot.SlotDir, Slot.Task.AppName, environment ?? new Dictionary<string, string>());
        return ClientLoop.Start(Slot.SlotDir, wuCpuTime, DiskStep, clock).Match<Either<string, Started>>(
            loop =>
            {
                var started = new Started(wrapper, loop);
                starts.Add(started);
                return started;
            },
            e =>
            {
                wrapper.Dispose();
                return $"cannot map the slot's shared memory: {e.Message}";
            });
    }

    /// <summary>Waits for the wrapper's exit (killing it after <paramref name="limit"/>) and reads what it left.</summary>
    public async Task<StartFacts> Finish(Started s, TimeSpan limit)
    {
        var code = await s.Wrapper.WaitForExit(limit).ConfigureAwait(false);
        await Task.Delay(300).ConfigureAwait(false); // the client reads the last status after the exit
        s.Client.Dispose();
        s.Wrapper.Dispose();
        return Facts(code);
    }

    /// <summary>SIGKILL to the wrapper; the client loop stops with it.</summary>
    public static void Crash(Started s)
    {
        s.Wrapper.Kill();
        s.Client.Dispose();
        s.Wrapper.Dispose();
    }

    public StartFacts Facts(Option<int> exitCode) => new(
        exitCode,
        ReadSmall(BoincExit.FinishFileName).Bind(t => ParseInt(t.Split('\n')[0])),
        ReadSmall(BoincExit.TemporaryExitFileName).Map(t => SuiteVerdict.OneLine(t, 120)),
        WrapperUnderTest.StderrTail(Slot.SlotDir));

    /// <summary>Polls (100 ms) until <paramref name="condition"/> holds; false when the wrapper exited or time ran out.</summary>
    public static async Task<bool> WaitUntil(Func<bool> condition, Started s, TimeSpan limit)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (s.Wrapper.HasExited || sw.Elapsed > limit)
                return condition();
            await Task.Delay(100).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>The step of the workload's checkpoint in WORKDIR when it is a valid one, else 0.</summary>
    public int DiskStep()
    {
        var text = ReadSmall("state.txt").IfNone("");
        var parts = text.Split(new[] { ' ', '\n' }, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 3
               && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var step)
               && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var x)
               && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var check)
               && (step * 7 + x) % 1000003 == check
            ? (int)step
            : 0;
    }

    /// <summary>The step in progress.txt (the workload writes it after every step), 0 when absent.</summary>
    public int Progress() => ReadSmall("progress.txt").Bind(t => ParseInt(t.Trim())).IfNone(0);

    public WorkFacts WorkFacts()
    {
        var log = ReadSmall("starts.log").IfNone("").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var resumes = log.Where(l => l.StartsWith("start resumed_from=", StringComparison.Ordinal))
            .Select(l => ParseInt(l["start resumed_from=".Length..]).IfNone(-1)).ToSeq().Strict();
        var complaints = log.Where(l => l.StartsWith("complaint", StringComparison.Ordinal)).ToSeq().Strict();
        return new WorkFacts(resumes, ReadSmall("result.txt").Map(t => t.Trim()), Work.Expected, complaints);
    }

    public Option<string> ReadSmall(string name)
    {
        var path = Path.Combine(Slot.SlotDir, name);
        try
        {
            return File.Exists(path) ? Option<string>.Some(File.ReadAllText(path)) : Option<string>.None;
        }
        catch (IOException)
        {
            return Option<string>.None;
        }
        catch (UnauthorizedAccessException)
        {
            return Option<string>.None;
        }
    }

    /// <summary>Removes the trial's containers and images, then its directory (unless kept).</summary>
    public async ValueTask DisposeAsync()
    {
        // A scenario that ended early (or threw) may have left its wrapper running: the client would kill it too.
        foreach (var s in starts)
            Crash(s);
        await setup.Engine.CleanUp(Mark, Slot.DataDir).ConfigureAwait(false);
        if (!setup.Keep)
        {
            try
            {
                Directory.Delete(Slot.DataDir, recursive: true);
            }
            catch (IOException)
            {
                // A file the container created as another user, or still open: left under the suite's root.
            }
            catch (UnauthorizedAccessException)
            {
                // As above.
            }
        }
    }

    private static Option<int> ParseInt(string s) =>
        int.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : Option<int>.None;

    private static Seq<FakeInput> Seq(params FakeInput[] items) => items.ToSeq();
}

/// <summary>A started wrapper with the client's loop attached to its slot.</summary>
public sealed record Started(WrapperUnderTest Wrapper, ClientLoop Client);
