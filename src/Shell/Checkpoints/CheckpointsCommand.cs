using System;
using System.Globalization;
using System.IO;
using System.Text.Json;
using Boinc.Persist.Core.Config;

namespace Boinc.Persist.Shell.Checkpoints;

/// <summary><c>boinc-persist checkpoints [SLOT] [--json]</c>: the generations of a slot's store, verified.</summary>
public static class CheckpointsCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, TimeProvider time)
    {
        string? slot = null;
        var json = false;
        foreach (var a in args)
        {
            if (a == "--json") json = true;
            else if (a.StartsWith('-')) { stderr.WriteLine($"boinc-persist checkpoints: unknown option {a} (see --help)"); return Program.Usage; }
            else if (slot is null) slot = a;
            else { stderr.WriteLine("boinc-persist checkpoints: one slot at a time"); return Program.Usage; }
        }

        slot ??= ".";
        if (!Directory.Exists(slot)) { stderr.WriteLine($"boinc-persist checkpoints: {slot}: no such directory"); return Program.Errors; }
        var store = CheckpointStore.Open(slot, CheckpointConfig.Default, time);
        var listed = store.List();
        if (listed.IsFail)
        {
            listed.IfFail(e => stderr.WriteLine($"boinc-persist checkpoints: {e.Message}"));
            return Program.Errors;
        }

        var gens = listed.IfFail(LanguageExt.Seq<GenerationStatus>.Empty);
        var now = time.GetUtcNow();
        if (json)
        {
            using var ms = new MemoryStream();
            using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
            {
                j.WriteStartObject();
                j.WriteString("slot", Path.GetFullPath(slot));
                j.WriteStartArray("generations");
                foreach (var g in gens)
                {
                    j.WriteStartObject();
                    j.WriteNumber("generation", g.Info.Number);
                    j.WriteString("committed_at", g.Info.CommittedAt.ToString("O", CultureInfo.InvariantCulture));
                    j.WriteNumber("age_seconds", Math.Round((now - g.Info.CommittedAt).TotalSeconds, 3));
                    j.WriteNumber("bytes", g.Info.Bytes);
                    j.WriteNumber("files", g.Info.Files);
                    j.WriteNumber("cpu_time", g.Info.CpuNanos / 1e9);
                    j.WriteNumber("fraction_done", g.Info.FractionDone);
                    j.WriteString("engine", g.Info.EngineIdentity);
                    j.WriteBoolean("intact", g.Problem.IsNone);
                    g.Problem.Iter(p => j.WriteString("problem", p));
                    j.WriteEndObject();
                }

                j.WriteEndArray();
                j.WriteEndObject();
            }

            stdout.WriteLine(System.Text.Encoding.UTF8.GetString(ms.ToArray()));
        }
        else if (gens.IsEmpty)
        {
            stdout.WriteLine($"{Path.GetFullPath(slot)}: no committed checkpoint generation");
        }
        else
        {
            stdout.WriteLine($"{"generation",10}  {"age",10}  {"size",10}  {"files",5}  {"cpu time",12}  {"done",6}  status");
            foreach (var g in gens)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{g.Info.Number,10}  {Age(now - g.Info.CommittedAt),10}  {Units.FormatSize(g.Info.Bytes),10}  {g.Info.Files,5}  {g.Info.CpuNanos / 1e9,10:0.0} s  {g.Info.FractionDone * 100,5:0.#}%  {g.Problem.Match(p => "BROKEN: " + p, () => "ok")}"));
        }

        return gens.Exists(g => g.Problem.IsSome) ? Program.Errors : Program.Ok;
    }

    private static string Age(TimeSpan t) =>
        t.TotalSeconds < 0 ? "future" :
        t.TotalMinutes < 1 ? $"{(int)t.TotalSeconds}s" :
        t.TotalHours < 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" :
        t.TotalDays < 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : $"{(int)t.TotalDays}d{t.Hours:00}h";
}
