using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// One task as <c>boinccmd --get_tasks</c> prints it (client 7.20.5). Fields the client prints only in some
/// states are null when absent: active-task fields (slot, PID, CPU times, fraction done) only while the task
/// has an active task; final CPU time and exit status only once it has finished.
/// </summary>
public sealed record BoincTask(
    string Name,
    string WorkunitName,
    string ProjectUrl,
    bool ReadyToReport,
    string State,
    string SchedulerState,
    string? ActiveTaskState,
    int? Slot,
    int? Pid,
    double? CheckpointCpuTime,
    double? CurrentCpuTime,
    double? FractionDone,
    double? ElapsedTime,
    double? FinalCpuTime,
    double? FinalElapsedTime,
    int? ExitStatus,
    int? Signal,
    ImmutableDictionary<string, string> Fields)
{
    public const string Executing = "EXECUTING";
    public const string Suspended = "SUSPENDED";

    public override string ToString() =>
        $"{Name}: state={State} active={ActiveTaskState ?? "-"} ready={ReadyToReport} slot={Slot?.ToString(CultureInfo.InvariantCulture) ?? "-"} " +
        $"cpu={Num(CurrentCpuTime)} ckpt={Num(CheckpointCpuTime)} done={Num(FractionDone)} final_cpu={Num(FinalCpuTime)} " +
        $"exit={ExitStatus?.ToString(CultureInfo.InvariantCulture) ?? "-"}";

    private static string Num(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "-";
}

/// <summary>Parses <c>boinccmd --get_tasks</c> output: "N) -----------" headers, then "   key: value" lines.</summary>
public static class BoincTasks
{
    public static ImmutableList<BoincTask> Parse(string output)
    {
        var tasks = ImmutableList.CreateBuilder<BoincTask>();
        Dictionary<string, string>? current = null;
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (IsHeader(line))
            {
                if (current is not null)
                {
                    tasks.Add(ToTask(current));
                }

                current = new Dictionary<string, string>(StringComparer.Ordinal);
                continue;
            }

            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (current is null || colon < 0)
            {
                continue;
            }

            // A key can repeat (e.g. in future formats); the first one wins, like boinccmd's own order of importance.
            current.TryAdd(line[..colon].Trim(), line[(colon + 2)..].Trim());
        }

        if (current is not null)
        {
            tasks.Add(ToTask(current));
        }

        return tasks.ToImmutable();
    }

    private static bool IsHeader(string line)
    {
        var close = line.IndexOf(") -", StringComparison.Ordinal);
        return close > 0 && int.TryParse(line[..close].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _);
    }

    private static BoincTask ToTask(Dictionary<string, string> f) => new(
        Name: Required(f, "name"),
        WorkunitName: Required(f, "WU name"),
        ProjectUrl: Required(f, "project URL"),
        ReadyToReport: Required(f, "ready to report") == "yes",
        State: Required(f, "state"),
        SchedulerState: Required(f, "scheduler state"),
        ActiveTaskState: f.GetValueOrDefault("active_task_state"),
        Slot: Int(f, "slot"),
        Pid: Int(f, "PID"),
        CheckpointCpuTime: Double(f, "CPU time at last checkpoint"),
        CurrentCpuTime: Double(f, "current CPU time"),
        FractionDone: Double(f, "fraction done"),
        ElapsedTime: Double(f, "elapsed task time"),
        FinalCpuTime: Double(f, "final CPU time"),
        FinalElapsedTime: Double(f, "final elapsed time"),
        ExitStatus: Int(f, "exit_status"),
        Signal: Int(f, "signal"),
        Fields: f.ToImmutableDictionary());

    private static string Required(Dictionary<string, string> f, string key) =>
        f.TryGetValue(key, out var value)
            ? value
            : throw new FormatException($"boinccmd --get_tasks: a task has no '{key}:' line (fields: {string.Join(", ", f.Keys)}).");

    private static int? Int(Dictionary<string, string> f, string key) =>
        !f.TryGetValue(key, out var value) ? null
        : int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n
        : throw new FormatException($"boinccmd --get_tasks: '{key}: {value}' is not an integer.");

    private static double? Double(Dictionary<string, string> f, string key) =>
        !f.TryGetValue(key, out var value) ? null
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x
        : throw new FormatException($"boinccmd --get_tasks: '{key}: {value}' is not a number.");
}
