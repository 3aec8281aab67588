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
    private static readonly System.Collections.Generic.HashSet<string> HeredocInstructions = new(StringComparer.Ordinal)
    {
        "RUN", "COPY", "ADD",
    };

    public static Lexed Lex(string file, string text)
    {
        var lines = SplitLines(text);
        var findings = new List<Diagnostic>();
        var instructions = new List<Instruction>();
        var directives = new Directives(file);
        var i = 0;
        while (i < lines.Length)
        {
            var startLine = i + 1;
            var first = Words.TrimLeftSpace(lines[i++]);
            if (directives.Accept(first, startLine, findings))
                continue;
            if (IsComment(first))
                continue;
            var (line, ended) = TrimContinuation(first, directives.Escape);
            if (ended && line.Length == 0)
                continue;
            var logical = new StringBuilder(line);
            while (!ended && i < lines.Length)
            {
                var next = lines[i++];
                var trimmed = Words.TrimLeftSpace(next);
                if (IsComment(trimmed) || trimmed.Length == 0)
                    continue;
                (line, ended) = TrimContinuation(next, directives.Escape);
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
        return new Lexed(directives.Escape, instructions.ToSeq(), findings.ToSeq());
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
        if (!HeredocInstructions.Contains(keyword.ToUpperInvariant()))
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
    /// comment, blank line or instruction; keys are case-insensitive, each may appear once.
    /// </summary>
    private sealed class Directives(string file)
    {
        private readonly System.Collections.Generic.HashSet<string> seen = new(StringComparer.Ordinal);
        private bool done;

        public char Escape { get; private set; } = '\\';

        /// <summary>True when the line was a directive (and so is consumed).</summary>
        public bool Accept(string line, int lineNumber, List<Diagnostic> findings)
        {
            if (done)
                return false;
            var parsed = Parse(line);
            if (parsed is not var (key, value) || key is not ("syntax" or "escape" or "check"))
            {
                done = true;
                return false;
            }
            if (!seen.Add(key))
            {
                findings.Add(DockerfileDiagnostics.BadDirective(file, lineNumber, $"only one {key} parser directive can be used"));
                return true;
            }
            if (key == "escape")
            {
                if (value is "\\" or "`")
                    Escape = value[0];
                else
                    findings.Add(DockerfileDiagnostics.BadDirective(file, lineNumber,
                        $"invalid escape token '{value}': use ` or \\"));
            }
            return true;
        }

        /// <summary><c>^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$</c>, the key lower-cased.</summary>
        private static (string Key, string Value)? Parse(string line)
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
            if (i >= line.Length || line[i] != '=')
                return null;
            var value = line[(i + 1)..].Trim();
            return value.Length == 0 ? null : (key, value);
        }
    }
}
