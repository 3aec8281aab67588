using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Tasks;
using Boinc.Persist.Integration.Engine;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// One real-client test: a private temp root holding the data directory, the client's log and (for test apps)
/// an event log; the client; boinccmd; waits that fail with the client's log tail and the slot's stderr.txt.
/// Disposing stops the client (gracefully, then SIGKILL), SIGKILLs every process still working under the root
/// (orphaned apps), and removes the root, also when the test failed.
/// </summary>
public sealed class BoincScenario : IAsyncDisposable
{
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(30);

    private readonly TempRoot root;
    private ImmutableList<BoincTask> lastTasks = [];

    private BoincScenario(TempRoot root, BoincDataDir data, BoincClient client)
    {
        this.root = root;
        Data = data;
        Client = client;
    }

    public string Root => root.Path;

    public BoincDataDir Data { get; }

    public BoincClient Client { get; }

    public BoincCmd Cmd => Client.Cmd;

    /// <summary>The environment variable through which <see cref="TestApp"/> finds its event log.</summary>
    public const string EventsVariable = "BOINC_HARNESS_EVENTS";

    /// <summary>Where the test app appends its events (the client passes its environment on to apps).</summary>
    public string EventsFile => Path.Combine(Root, "events.log");

    /// <summary>Writes the data directory for <paramref name="job"/> under a fresh temp root; the client is not started.</summary>
    public static BoincScenario Create(
        BoincJob job, BoincClientOptions? options = null, string runId = "boinc", [CallerMemberName] string test = "")
    {
        var root = TempRoot.Create("/tmp", runId, test);
        try
        {
            var data = BoincDataDir.Create(root.Directory("data"), job, DateTimeOffset.UtcNow);
            var opts = options ?? new BoincClientOptions();
            opts = opts with { Environment = opts.Environment.SetItem(EventsVariable, Path.Combine(root.Path, "events.log")) };
            if (ClientUnderTest.DetectsEngines && !opts.Environment.ContainsKey("PATH"))
            {
                // Client 8.2 probes and cleans up the engine through its CLI: it sees the engine under test only,
                // and of its containers only this scenario's (see ClientEngineView).
                var endpoint = opts.Environment.TryGetValue("DOCKER_HOST", out var host) ? host : ClientEngineView.TestEndpoint;
                opts = opts with
                {
                    Environment = opts.Environment.SetItem(
                        "PATH", ClientEngineView.Create(root.Directory("engine-cli"), endpoint, job.WorkunitName)),
                };
            }

            return new BoincScenario(root, data, new BoincClient(data, Path.Combine(root.Path, "client.log"), opts));
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }

    public Task Suspend() => Cmd.Task(Data.Job.ProjectUrl, Data.Job.ResultName, TaskOperation.Suspend);

    public Task Resume() => Cmd.Task(Data.Job.ProjectUrl, Data.Job.ResultName, TaskOperation.Resume);

    public Task Abort() => Cmd.Task(Data.Job.ProjectUrl, Data.Job.ResultName, TaskOperation.Abort);

    /// <summary>Our job's task as the client reports it now.</summary>
    public async Task<BoincTask> Task()
    {
        lastTasks = await Cmd.GetTasks();
        return lastTasks.SingleOrDefault(t => t.Name == Data.Job.ResultName)
            ?? throw new InvalidOperationException($"the client lists no task {Data.Job.ResultName}.\n{Diagnostics()}");
    }

    /// <summary>Polls --get_tasks until our task satisfies <paramref name="condition"/>; returns that snapshot.</summary>
    public Task<BoincTask> WaitForTask(Func<BoincTask, bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.UntilFound(
            async () => await Task() is var task && condition(task) ? task : null,
            timeout ?? DefaultWait,
            what,
            Diagnostics,
            () => string.Join("; ", lastTasks));

    /// <summary>Polls the app's event log until an event of <paramref name="kind"/> appears after the first <paramref name="skip"/> events.</summary>
    public Task<AppEvent> WaitForEvent(string kind, int skip = 0, TimeSpan? timeout = null) =>
        Eventually.UntilFound(
            () => System.Threading.Tasks.Task.FromResult(Events().Skip(skip).FirstOrDefault(e => e.Kind == kind)),
            timeout ?? DefaultWait,
            $"the app's event {kind} (after event #{skip})",
            Diagnostics,
            () => "");

    public ImmutableList<AppEvent> Events() => AppEvent.ReadAll(EventsFile);

    /// <summary>The slot our task ran in last (from --get_tasks, else slot 0).</summary>
    public int LastSlot => lastTasks.FirstOrDefault(t => t.Name == Data.Job.ResultName)?.Slot ?? 0;

    /// <summary>The client's log tail, the slot's stderr.txt, the app's events and the last task snapshot.</summary>
    public string Diagnostics()
    {
        var text = new StringBuilder();
        text.AppendLine($"{Client}");
        text.AppendLine($"--- last --get_tasks: {(lastTasks.IsEmpty ? "(none)" : string.Join("; ", lastTasks))}");
        text.AppendLine(Logs.Tail(Client.LogFile, 40));
        text.AppendLine(Logs.Tail(Data.SlotStderr(LastSlot), 30));
        if (File.Exists(EventsFile))
        {
            text.AppendLine(Logs.Tail(EventsFile, 30));
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.DisposeAsync();
        }
        finally
        {
            try
            {
                await KillProcessesUnder(Root);
            }
            finally
            {
                root.Dispose();
            }
        }
    }

    /// <summary>
    /// SIGKILLs every process whose working directory or executable lies under <paramref name="dir"/>: apps left
    /// orphaned by a killed client. The root is unique to this test, so nothing else can match.
    /// </summary>
    public static async Task<IReadOnlyList<int>> KillProcessesUnder(string dir)
    {
        var prefix = dir.TrimEnd('/') + "/";
        var killed = new List<int>();
        for (var round = 0; round < 50; round++)
        {
            var pids = ProcessesUnder(prefix);
            if (pids.Count == 0)
            {
                return killed;
            }

            foreach (var pid in pids)
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                    killed.Add(pid);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // gone meanwhile
                }
            }

            await System.Threading.Tasks.Task.Delay(100);
        }

        throw new InvalidOperationException($"processes {string.Join(", ", ProcessesUnder(prefix))} under {dir} survive SIGKILL");
    }

    private static List<int> ProcessesUnder(string prefix)
    {
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            if (Under(Path.Combine(entry, "cwd"), prefix) || Under(Path.Combine(entry, "exe"), prefix))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    private static bool Under(string procLink, string prefix)
    {
        try
        {
            var target = new FileInfo(procLink).LinkTarget;
            return target is not null && (target + "/").StartsWith(prefix, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // exited, or a zombie without a cwd
        }
    }
}
