using System.Collections.Generic;
using Boinc.Persist.Core.Diagnostics;
using LanguageExt;

namespace Boinc.Persist.Core.Dockerfiles;

/// <summary>A stage's WORKDIR and the notes that explain it (reported only if it is the final stage's).</summary>
internal sealed record WorkdirState(WorkdirSetting Setting, Seq<Diagnostic> Notes)
{
    public static readonly WorkdirState Initial = new(WorkdirSetting.NotSet.Value, Seq<Diagnostic>.Empty);
}

/// <summary>WORKDIR semantics: variables substituted, relative paths joined onto the previous WORKDIR, the result cleaned.</summary>
internal static class Workdirs
{
    public static WorkdirState Apply(
        string file, WorkdirState current, Instruction ins, char escape, System.Func<string, Option<string>> lookup, string baseImage)
    {
        var text = ins.Rest.Trim();
        var value = Substitution.Process(text, escape, lookup);
        if (!value.IsResolved)
        {
            var names = string.Join(", ", value.Unresolved.Map(n => $"${n}"));
            return new WorkdirState(
                new WorkdirSetting.Unresolved(text, ins.Line, value.Unresolved),
                Seq1(DockerfileDiagnostics.WorkdirUnresolved(file, ins.Line, text, names)));
        }
        if (value.Text.StartsWith('/'))
            return new WorkdirState(new WorkdirSetting.Resolved(Clean(value.Text), ins.Line), Seq<Diagnostic>.Empty);
        return current.Setting switch
        {
            WorkdirSetting.Resolved r => current with { Setting = new WorkdirSetting.Resolved(Join(r.Path, value.Text), ins.Line) },
            WorkdirSetting.Unresolved u => current with { Setting = u with { Text = $"{u.Text}/{text}", Line = ins.Line } },
            _ => OntoBase(file, ins, text, value.Text, baseImage),
        };
    }

    private static WorkdirState OntoBase(string file, Instruction ins, string text, string path, string baseImage)
    {
        var joined = Join("/", path);
        var notes = baseImage == "scratch"
            ? Seq<Diagnostic>.Empty
            : Seq1(DockerfileDiagnostics.WorkdirRelativeToBase(file, ins.Line, text, joined));
        return new WorkdirState(new WorkdirSetting.Resolved(joined, ins.Line), notes);
    }

    public static string Join(string basePath, string relative) => Clean($"{basePath}/{relative}");

    /// <summary>Go's <c>path.Clean</c> for an absolute path: no empty, <c>.</c> or <c>..</c> segments, no trailing slash.</summary>
    public static string Clean(string absolute)
    {
        var segments = new List<string>();
        foreach (var segment in absolute.Split('/'))
        {
            if (segment is "" or ".")
                continue;
            if (segment == "..")
            {
                if (segments.Count > 0)
                    segments.RemoveAt(segments.Count - 1);
            }
            else
                segments.Add(segment);
        }
        return "/" + string.Join("/", segments);
    }

    private static Seq<Diagnostic> Seq1(Diagnostic d) => Seq<Diagnostic>.Empty.Add(d);
}
