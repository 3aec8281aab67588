using System.Collections.Generic;
using System.Text;
using LanguageExt;

namespace Boinc.Persist.Core.Dockerfiles;

/// <summary>A heredoc marker found in an instruction line: <c>&lt;&lt;NAME</c>, <c>&lt;&lt;-NAME</c> (chomp leading tabs), quoted names unquoted.</summary>
internal sealed record HeredocMarker(string Name, bool Chomp);

/// <summary>
/// Word-level helpers that follow BuildKit's Dockerfile parser (<c>frontend/dockerfile/parser</c>): keyword
/// split, builder flags, JSON arrays, quote-aware words and heredoc markers. All total: any string in,
/// a value out.
/// </summary>
internal static class Words
{
    /// <summary>Docker's <c>[\t\v\f\r ]</c>.</summary>
    public static bool IsBlank(char c) => c is ' ' or '\t' or '\v' or '\f' or '\r';

    /// <summary>Go's <c>TrimLeftFunc(unicode.IsSpace)</c>.</summary>
    public static string TrimLeftSpace(string s) => s.TrimStart();

    /// <summary>The instruction keyword and the rest of the line (left-trimmed).</summary>
    public static (string Keyword, string Args) SplitKeyword(string line)
    {
        var s = line.Trim();
        var i = 0;
        while (i < s.Length && !IsBlank(s[i]))
            i++;
        var keyword = s[..i];
        while (i < s.Length && IsBlank(s[i]))
            i++;
        return (keyword, s[i..]);
    }

    /// <summary>Docker's whitespace split (<c>parseStringsWhitespaceDelimited</c>): no quoting.</summary>
    public static Seq<string> SplitBlank(string s)
    {
        var result = new List<string>();
        var start = -1;
        for (var i = 0; i <= s.Length; i++)
        {
            var blank = i == s.Length || IsBlank(s[i]) || s[i] == '\n';
            if (blank && start >= 0)
            {
                result.Add(s[start..i]);
                start = -1;
            }
            else if (!blank && start < 0)
                start = i;
        }
        return result.ToSeq();
    }

    /// <summary>
    /// Leading <c>--flag[=value]</c> words (quotes and backslashes removed) and the rest of the line, as
    /// BuildKit's <c>extractBuilderFlags</c>; a bare <c>--</c> ends the flags.
    /// </summary>
    public static (Seq<string> Flags, string Args) ExtractFlags(string line)
    {
        var flags = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var quote = '\0';
        var blankOk = false;
        void Flush()
        {
            var w = word.ToString();
            if (w != "--" && (blankOk || w.Length > 0))
                flags.Add(w);
            word.Clear();
            blankOk = false;
        }
        for (var pos = 0; pos < line.Length; pos++)
        {
            var ch = line[pos];
            if (!inWord && quote == '\0')
            {
                if (char.IsWhiteSpace(ch))
                    continue;
                if (ch != '-' || pos + 1 == line.Length || line[pos + 1] != '-')
                    return (flags.ToSeq(), line[pos..]);
                inWord = true;
            }
            if (quote != '\0')
            {
                if (ch == quote)
                {
                    quote = '\0';
                    continue;
                }
                if (ch == '\\' && pos + 1 < line.Length)
                    ch = line[++pos];
                word.Append(ch);
                continue;
            }
            if (char.IsWhiteSpace(ch))
            {
                inWord = false;
                if (word.ToString() == "--")
                    return (flags.ToSeq(), line[pos..]);
                Flush();
                continue;
            }
            if (ch is '\'' or '"')
            {
                quote = ch;
                blankOk = true;
                continue;
            }
            if (ch == '\\')
            {
                if (pos + 1 == line.Length)
                    continue;
                ch = line[++pos];
            }
            word.Append(ch);
        }
        if (inWord || quote != '\0')
            Flush();
        return (flags.ToSeq(), "");
    }

    /// <summary>A flag word split into its name (without <c>--</c>) and its value when it has <c>=</c>.</summary>
    public static (string Name, Option<string> Value) SplitFlag(string flag)
    {
        var body = flag.StartsWith("--", System.StringComparison.Ordinal) ? flag[2..] : flag;
        var eq = body.IndexOf('=');
        return eq < 0 ? (body, Option<string>.None) : (body[..eq], Option<string>.Some(body[(eq + 1)..]));
    }

    /// <summary>
    /// Words split on whitespace outside quotes; quotes and escape tokens are kept (BuildKit's
    /// <c>parseWords</c>). Inside single quotes the escape token is ordinary.
    /// </summary>
    public static Seq<string> QuotedWords(string rest, char escape)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var quote = '\0';
        var blankOk = false;
        for (var pos = 0; pos < rest.Length; pos++)
        {
            var ch = rest[pos];
            if (!inWord)
            {
                if (char.IsWhiteSpace(ch))
                    continue;
                inWord = true;
            }
            if (quote == '\0')
            {
                if (char.IsWhiteSpace(ch))
                {
                    if (blankOk || word.Length > 0)
                        words.Add(word.ToString());
                    word.Clear();
                    blankOk = false;
                    inWord = false;
                    continue;
                }
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                }
                else if (ch == escape)
                {
                    if (pos + 1 == rest.Length)
                        continue;
                    word.Append(ch);
                    ch = rest[++pos];
                }
                word.Append(ch);
                continue;
            }
            if (ch == quote)
                quote = '\0';
            else if (ch == escape && quote != '\'')
            {
                if (pos + 1 == rest.Length)
                    continue;
                word.Append(ch);
                ch = rest[++pos];
            }
            word.Append(ch);
        }
        if (inWord && (blankOk || word.Length > 0))
            words.Add(word.ToString());
        return words.ToSeq();
    }

    /// <summary>Removes quotes and backslash escapes from a single word.</summary>
    public static string Unquote(string word)
    {
        var sb = new StringBuilder();
        var quote = '\0';
        for (var i = 0; i < word.Length; i++)
        {
            var ch = word[i];
            if (quote == '\0' && ch is '\'' or '"')
                quote = ch;
            else if (quote != '\0' && ch == quote)
                quote = '\0';
            else if (ch == '\\' && quote != '\'' && i + 1 < word.Length)
                sb.Append(word[++i]);
            else
                sb.Append(ch);
        }
        return sb.ToString();
    }

    /// <summary>
    /// A heredoc marker when the whole word is one (<c>^\d*&lt;&lt;-?NAME$</c> with NAME a single, non-empty,
    /// possibly quoted word without <c>&lt;</c>), as BuildKit's <c>ParseHeredoc</c>.
    /// </summary>
    public static Option<HeredocMarker> HeredocMarkerOf(string word)
    {
        var i = 0;
        while (i < word.Length && char.IsAsciiDigit(word[i]))
            i++;
        if (i + 1 >= word.Length || word[i] != '<' || word[i + 1] != '<')
            return Option<HeredocMarker>.None;
        i += 2;
        var chomp = i < word.Length && word[i] == '-';
        if (chomp)
            i++;
        var rest = word[i..];
        if (rest.Contains('<'))
            return Option<HeredocMarker>.None;
        var parts = QuotedWords(rest, '\\');
        if (parts.Count != 1)
            return Option<HeredocMarker>.None;
        var name = Unquote(parts.Head);
        return name.Length == 0 ? Option<HeredocMarker>.None : new HeredocMarker(name, chomp);
    }

    /// <summary>Every heredoc marker of an instruction line, in order.</summary>
    public static Seq<HeredocMarker> HeredocMarkers(string line) =>
        line.Contains("<<")
            ? QuotedWords(line, '\\').Bind(w => HeredocMarkerOf(w).ToSeq())
            : Seq<HeredocMarker>.Empty;

    /// <summary>
    /// A JSON array of strings, the exec form. None for anything else (not an array, not all strings,
    /// trailing text, bad escapes), as Go's <c>json.Unmarshal</c> into <c>[]string</c>.
    /// </summary>
    public static Option<Seq<string>> JsonStringArray(string text)
    {
        var items = new List<string>();
        var i = 0;
        SkipJsonSpace(text, ref i);
        if (i >= text.Length || text[i] != '[')
            return Option<Seq<string>>.None;
        i++;
        SkipJsonSpace(text, ref i);
        if (i < text.Length && text[i] == ']')
            i++;
        else
        {
            while (true)
            {
                SkipJsonSpace(text, ref i);
                var item = JsonString(text, ref i);
                if (item.IsNone)
                    return Option<Seq<string>>.None;
                item.IfSome(items.Add);
                SkipJsonSpace(text, ref i);
                if (i >= text.Length)
                    return Option<Seq<string>>.None;
                var c = text[i++];
                if (c == ']')
                    break;
                if (c != ',')
                    return Option<Seq<string>>.None;
            }
        }
        SkipJsonSpace(text, ref i);
        return i == text.Length ? items.ToSeq() : Option<Seq<string>>.None;
    }

    private static void SkipJsonSpace(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t' or '\n' or '\r')
            i++;
    }

    private static Option<string> JsonString(string s, ref int i)
    {
        if (i >= s.Length || s[i] != '"')
            return Option<string>.None;
        i++;
        var sb = new StringBuilder();
        while (i < s.Length)
        {
            var c = s[i++];
            if (c == '"')
                return sb.ToString();
            if (c < ' ')
                return Option<string>.None;
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (i >= s.Length)
                return Option<string>.None;
            var e = s[i++];
            switch (e)
            {
                case '"' or '\\' or '/':
                    sb.Append(e);
                    break;
                case 'b':
                    sb.Append('\b');
                    break;
                case 'f':
                    sb.Append('\f');
                    break;
                case 'n':
                    sb.Append('\n');
                    break;
                case 'r':
                    sb.Append('\r');
                    break;
                case 't':
                    sb.Append('\t');
                    break;
                case 'u' when i + 4 <= s.Length && IsHex4(s, i):
                    sb.Append((char)System.Convert.ToInt32(s.Substring(i, 4), 16));
                    i += 4;
                    break;
                default:
                    return Option<string>.None;
            }
        }
        return Option<string>.None;
    }

    private static bool IsHex4(string s, int i) =>
        char.IsAsciiHexDigit(s[i]) && char.IsAsciiHexDigit(s[i + 1]) &&
        char.IsAsciiHexDigit(s[i + 2]) && char.IsAsciiHexDigit(s[i + 3]);
}
