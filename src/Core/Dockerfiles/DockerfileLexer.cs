using System;
using System.Collections.Generic;
using System.Text;
using Boinc.Persist.Core.Diagnostics;
using LanguageExt;

namespace Boinc.Persist.Core.Dockerfiles;

/// <summary>A heredoc body, the lines between the instruction and the terminator, each followed by a newline.</summary>
internal sealed record Heredoc(string Name, string Body);

/// <summary>
/// One instruction as Docker's parser sees it: the keyword as written, the rest of the logical line
/// (continuations joined, comment lines inside them dropped), the heredoc bodies that follow it and the
/// 1-based line where it starts.
/// </summary>
internal sealed record Instruction(int Line, string Keyword, string Rest, Seq<Heredoc> Heredocs)
{
    public string Name => Keyword.ToUpperInvariant();
}

internal sealed record Lexed(char Escape, Seq<Instruction> Instructions, Seq<Diagnostic> Findings);

/// <summary>
/// Turns Dockerfile text into instructions, as BuildKit's <c>parser.Parse</c>: parser directives at the top,
/// comments, line continuations with the escape token, heredocs for RUN/COPY/ADD (also behind ONBUILD).
/// </summary>
internal static class DockerfileLexer
{
    public static Lexed Lex(string file, string text)
    {
        var lines = SplitLines(text);
        var (i, escape, directiveFindings) = ReadDirectives(file, lines);
        var findings = new List<Diagnostic>(directiveFindings);
        var instructions = new List<Instruction>();
        while (i < lines.Length)
        {
            var startLine = i + 1;
            var first = Words.TrimLeftSpace(lines[i++]);
            if (IsComment(first))
                continue;
            var (line, ended) = TrimContinuation(first, escape);
            if (ended && line.Length == 0)
                continue;
            var logical = new StringBuilder(line);
            while (!ended && i < lines.Length)
            {
                var next = lines[i++];
                var trimmed = Words.TrimLeftSpace(next);
                if (IsComment(trimmed) || trimmed.Length == 0)
                    continue;
                (line, ended) = TrimContinuation(next, escape);
                logical.Append(line);
            }
            var (keyword, rest) = Words.SplitKeyword(logical.ToString());
            if (keyword.Length == 0)
                continue;
            var heredocs = new List<Heredoc>();
            if (CanContainHeredoc(keyword, rest))
            {
                foreach (var marker in Words.HeredocMarkers(logical.ToString()))
                {
                    var (body, terminated) = ReadHeredoc(lines, ref i, marker);
                    if (!terminated)
                    {
                        findings.Add(DockerfileDiagnostics.UnterminatedHeredoc(file, startLine, keyword, marker.Name));
                        break;
                    }
                    heredocs.Add(new Heredoc(marker.Name, body));
                }
            }
            instructions.Add(new Instruction(startLine, keyword, rest, heredocs.ToSeq()));
        }
        return new Lexed(escape, instructions.ToSeq(), findings.ToSeq());
    }

    /// <summary>Lines without their newline (and a UTF-8 byte order mark on the first).</summary>
    private static string[] SplitLines(string text)
    {
        var lines = text.Split('\n');
        for (var k = 0; k < lines.Length; k++)
            lines[k] = lines[k].TrimEnd('\r');
        if (lines.Length > 0 && lines[0].StartsWith('\uFEFF'))
            lines[0] = lines[0][1..];
        if (lines.Length > 0 && lines[^1].Length == 0)
            Array.Resize(ref lines, lines.Length - 1);
        return lines;
    }

    private static bool IsComment(string leftTrimmed) => leftTrimmed.StartsWith('#');

    /// <summary>Strips a trailing escape token (plus spaces and tabs after it): true when the line ends the instruction.</summary>
    private static (string Line, bool Ended) TrimContinuation(string line, char escape)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] is ' ' or '\t')
            end--;
        return end > 0 && line[end - 1] == escape ? (line[..(end - 1)], false) : (line, true);
    }

    /// <summary>RUN, COPY and ADD in shell form (directly or as an ONBUILD trigger) read heredocs.</summary>
    private static bool CanContainHeredoc(string keyword, string rest)
    {
        if (keyword.Equals("ONBUILD", StringComparison.OrdinalIgnoreCase))
            (keyword, rest) = Words.SplitKeyword(rest);
        if (keyword.ToUpperInvariant() is not ("RUN" or "COPY" or "ADD"))
            return false;
        var (_, args) = Words.ExtractFlags(rest);
        return Words.JsonStringArray(args).IsNone;
    }

    private static (string Body, bool Terminated) ReadHeredoc(string[] lines, ref int i, HeredocMarker marker)
    {
        var body = new StringBuilder();
        while (i < lines.Length)
        {
            var line = lines[i++];
            var candidate = marker.Chomp ? line.TrimStart('\t') : line;
            if (candidate == marker.Name)
                return (body.ToString(), true);
            body.Append(line).Append('\n');
        }
        return (body.ToString(), false);
    }

    /// <summary>
    /// Parser directives (<c># syntax=</c>, <c># escape=</c>, <c># check=</c>) are read only before the first
    /// comment, blank line or instruction; keys are case-insensitive, each may appear once. Returns how many
    /// lines they take, the escape token and any problems.
    /// </summary>
    private static (int Count, char Escape, Seq<Diagnostic> Findings) ReadDirectives(string file, string[] lines)
    {
        var escape = '\\';
        var seen = Seq<string>.Empty;
        var findings = Seq<Diagnostic>.Empty;
        var count = 0;
        while (count < lines.Length && Directive(Words.TrimLeftSpace(lines[count])) is var (key, value))
        {
            count++;
            if (seen.Contains(key))
                findings = findings.Add(DockerfileDiagnostics.BadDirective(file, count, $"only one {key} parser directive can be used"));
            else if (key == "escape" && value is not ("\\" or "`"))
                findings = findings.Add(DockerfileDiagnostics.BadDirective(file, count, $"invalid escape token '{value}': use ` or \\"));
            else if (key == "escape")
                escape = value[0];
            seen = seen.Add(key);
        }
        return (count, escape, findings);
    }

    /// <summary><c>^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$</c> with a known key (lower-cased); null otherwise.</summary>
    private static (string Key, string Value)? Directive(string line)
    {
        if (!line.StartsWith('#'))
            return null;
        var i = 1;
        while (i < line.Length && char.IsWhiteSpace(line[i]))
            i++;
        var start = i;
        if (i >= line.Length || !char.IsAsciiLetter(line[i]))
            return null;
        while (i < line.Length && char.IsAsciiLetterOrDigit(line[i]))
            i++;
        var key = line[start..i].ToLowerInvariant();
        while (i < line.Length && char.IsWhiteSpace(line[i]))
            i++;
        if (i >= line.Length || line[i] != '=' || key is not ("syntax" or "escape" or "check"))
            return null;
        var value = line[(i + 1)..].Trim();
        return value.Length == 0 ? null : (key, value);
    }
}
