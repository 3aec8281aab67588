using System;
using System.Collections.Generic;
using System.Text;
using LanguageExt;

namespace Boinc.Persist.Core.Dockerfiles;

/// <summary>A processed word: the text, and the variables it used whose value the Dockerfile does not give.</summary>
internal sealed record Substituted(string Text, Seq<string> Unresolved)
{
    public bool IsResolved => Unresolved.IsEmpty;
}

/// <summary>
/// Docker's word processing for WORKDIR, USER, ENV, ARG and FROM: quotes removed, the escape token escapes,
/// <c>$NAME</c>, <c>${NAME}</c>, <c>${NAME:-word}</c>, <c>${NAME-word}</c>, <c>${NAME:+word}</c>,
/// <c>${NAME+word}</c> expanded. A lookup answers None when the value is not known from the Dockerfile (a build
/// argument without default, or a name the base image may define); such variables stay as written and are
/// listed. Other <c>${...}</c> forms count as unresolved.
/// </summary>
internal static class Substitution
{
    /// <summary>Deeper <c>${a:-${b:-...}}</c> nesting than this counts as unresolved (keeps the stack bounded on junk).</summary>
    private const int MaxDepth = 32;

    public static Substituted Process(string word, char escape, Func<string, Option<string>> lookup) =>
        Process(word, escape, lookup, 0);

    private static Substituted Process(string word, char escape, Func<string, Option<string>> lookup, int depth)
    {
        var text = new StringBuilder();
        var missing = new List<string>();
        var i = 0;
        while (i < word.Length)
        {
            var c = word[i];
            if (c == escape)
            {
                if (i + 1 < word.Length)
                    text.Append(word[i + 1]);
                i += 2;
            }
            else if (c == '\'')
            {
                var end = word.IndexOf('\'', i + 1);
                end = end < 0 ? word.Length : end;
                text.Append(word, i + 1, end - i - 1);
                i = end + 1;
            }
            else if (c == '"')
            {
                i++;
                while (i < word.Length && word[i] != '"')
                {
                    if (word[i] == escape && i + 1 < word.Length)
                    {
                        var next = word[i + 1];
                        if (next != '"' && next != '$' && next != escape)
                            text.Append(escape);
                        text.Append(next);
                        i += 2;
                    }
                    else if (word[i] == '$')
                        i = Dollar(word, i, escape, lookup, text, missing, depth);
                    else
                        text.Append(word[i++]);
                }
                i++;
            }
            else if (c == '$')
                i = Dollar(word, i, escape, lookup, text, missing, depth);
            else
            {
                text.Append(c);
                i++;
            }
        }
        return new Substituted(text.ToString(), missing.ToSeq());
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>Expands the variable at <paramref name="i"/> (a <c>$</c>) and returns the index after it.</summary>
    private static int Dollar(
        string word, int i, char escape, Func<string, Option<string>> lookup, StringBuilder text, List<string> missing, int depth)
    {
        if (i + 1 < word.Length && IsNameChar(word[i + 1]))
        {
            var end = i + 1;
            while (end < word.Length && IsNameChar(word[end]))
                end++;
            Append(word[i..end], word[(i + 1)..end], lookup(word[(i + 1)..end]), text, missing);
            return end;
        }
        if (i + 1 >= word.Length || word[i + 1] != '{')
        {
            text.Append('$');
            return i + 1;
        }
        var close = MatchingBrace(word, i + 2);
        var raw = word[i..Math.Min(close + 1, word.Length)];
        var inner = word[(i + 2)..Math.Min(close, word.Length)];
        var n = 0;
        while (n < inner.Length && IsNameChar(inner[n]))
            n++;
        var name = inner[..n];
        var op = inner[n..];
        var value = lookup(name);
        if (close >= word.Length || name.Length == 0 || depth >= MaxDepth)
        {
            text.Append(raw);
            missing.Add(raw);
        }
        else if (op.Length == 0)
            Append(raw, name, value, text, missing);
        else if (op.StartsWith(":-") || op.StartsWith(":+") || op.StartsWith('-') || op.StartsWith('+'))
        {
            var colon = op[0] == ':';
            var plus = op[colon ? 1 : 0] == '+';
            var alternative = op[(colon ? 2 : 1)..];
            value.Match(
                v =>
                {
                    var set = !colon || v.Length > 0;
                    if (set != plus)
                        text.Append(set ? v : "");
                    else
                    {
                        var sub = Process(alternative, escape, lookup, depth + 1);
                        text.Append(sub.Text);
                        missing.AddRange(sub.Unresolved);
                    }
                },
                () => Append(raw, name, value, text, missing));
        }
        else
            Append(raw, name, Option<string>.None, text, missing);
        return close + 1;
    }

    private static void Append(string raw, string name, Option<string> value, StringBuilder text, List<string> missing) =>
        value.Match(
            v => text.Append(v),
            () =>
            {
                text.Append(raw);
                missing.Add(name);
            });

    /// <summary>Index of the <c>}</c> closing a <c>${</c> whose content starts at <paramref name="start"/>; the length when none.</summary>
    private static int MatchingBrace(string word, int start)
    {
        var depth = 1;
        for (var k = start; k < word.Length; k++)
        {
            if (word[k] == '{')
                depth++;
            else if (word[k] == '}' && --depth == 0)
                return k;
        }
        return word.Length;
    }
}
