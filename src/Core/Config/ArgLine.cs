using System.Collections.Generic;
using System.Text;
using LanguageExt;

namespace Boinc.Persist.Core.Config;

/// <summary>
/// Splits docker_wrapper's <c>create_args</c>/<c>build_args</c> strings into words the way a POSIX shell would
/// for plain words and quotes, and refuses everything a shell would expand or interpret (<c>$</c>, backquotes,
/// <c>;</c>, <c>|</c>, <c>&amp;</c>, redirections, globs). The words are then matched against a whitelist; they are
/// never handed to a shell.
/// </summary>
public static class ArgLine
{
    /// <summary>The words, or the reason the text is not a plain list of words.</summary>
    public static Either<string, Seq<string>> Split(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is ' ' or '\t' or '\n' or '\r')
            {
                if (inWord) words.Add(current.ToString());
                current.Clear();
                inWord = false;
                i++;
                continue;
            }

            inWord = true;
            switch (c)
            {
                case '\'':
                {
                    var end = text.IndexOf('\'', i + 1);
                    if (end < 0) return $"unterminated single quote at character {i + 1}";
                    current.Append(text, i + 1, end - i - 1);
                    i = end + 1;
                    break;
                }
                case '"':
                {
                    i++;
                    var closed = false;
                    while (i < text.Length)
                    {
                        var d = text[i];
                        if (d == '"')
                        {
                            closed = true;
                            i++;
                            break;
                        }

                        if (d is '$' or '`')
                            return $"'{d}' at character {i + 1}: shell expansion is not supported (no shell runs these options)";
                        if (d == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            current.Append(text[i + 1]);
                            i += 2;
                            continue;
                        }

                        current.Append(d);
                        i++;
                    }

                    if (!closed) return "unterminated double quote";
                    break;
                }
                case '\\':
                    if (i + 1 >= text.Length) return "a lone backslash at the end";
                    if (text[i + 1] == '\n')
                    {
                        i += 2; // line continuation
                        break;
                    }

                    current.Append(text[i + 1]);
                    i += 2;
                    break;
                case '#' when current.Length > 0:
                    current.Append(c); // '#' inside a word is literal for a shell too
                    i++;
                    break;
                case '$' or '`' or ';' or '|' or '&' or '<' or '>' or '(' or ')' or '*' or '?' or '[' or '~' or '#':
                    return $"'{c}' at character {i + 1}: shell syntax is not supported (no shell runs these options); quote it if it is meant literally";
                default:
                    if (c < ' ')
                        return $"control character U+{(int)c:X4} at character {i + 1}";
                    current.Append(c);
                    i++;
                    break;
            }
        }

        if (inWord) words.Add(current.ToString());
        return words.ToSeq();
    }

    /// <summary>Quotes a word so that <see cref="Split"/> reads it back as one word.</summary>
    public static string Quote(string word)
    {
        if (word.Length > 0 && IsPlain(word)) return word;
        return "'" + word.Replace("'", "'\\''") + "'";
    }

    private static bool IsPlain(string w)
    {
        foreach (var c in w)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '=' or '.' or '/' or ':' or ',' or '+' or '@' or '%'))
                return false;
        return true;
    }
}

/// <summary>A <c>--name value</c> / <c>--name=value</c> / <c>-n value</c> option as found on an argument line.</summary>
public sealed record ArgOption(string Name, Option<string> Value);

/// <summary>Groups split words into options, knowing which options take a value.</summary>
public static class ArgOptions
{
    /// <summary>
    /// Reads options. <paramref name="takesValue"/> says whether a (long or short) option name takes a value;
    /// <c>--x=v</c> always carries one. A word that is not an option is reported.
    /// </summary>
    public static Either<string, Seq<ArgOption>> Group(Seq<string> words, System.Func<string, bool> takesValue)
    {
        var result = new List<ArgOption>();
        var arr = words.ToArray();
        for (var i = 0; i < arr.Length; i++)
        {
            var w = arr[i];
            if (!w.StartsWith('-') || w == "-" || w == "--")
                return $"unexpected argument '{w}': only options are allowed here";
            var eq = w.IndexOf('=');
            if (w.StartsWith("--") && eq > 2)
            {
                result.Add(new ArgOption(w[..eq], w[(eq + 1)..]));
                continue;
            }

            if (!w.StartsWith("--") && w.Length > 2)
            {
                // -eFOO=bar: a short option with its value glued on
                var shortName = w[..2];
                if (takesValue(shortName))
                {
                    result.Add(new ArgOption(shortName, w[2..]));
                    continue;
                }
            }

            if (takesValue(w))
            {
                if (i + 1 >= arr.Length) return $"option {w} needs a value";
                result.Add(new ArgOption(w, arr[++i]));
            }
            else
            {
                result.Add(new ArgOption(w, Option<string>.None));
            }
        }

        return result.ToSeq();
    }
}
