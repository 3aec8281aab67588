using System.Collections.Generic;
using System.Linq;
using System.Text;
using LanguageExt;

namespace Boinc.Persist.Core.Slots;

/// <summary>
/// BOINC's text conventions: <c>xml_escape</c> writes every byte above 127 as its own <c>&amp;#N;</c>, and
/// <c>xml_unescape</c> turns <c>&amp;#N;</c> (N &lt; 256) back into that byte. These helpers do the same on
/// .NET strings so that what we read means what the client meant.
/// </summary>
public static class BoincText
{
    /// <summary>Replaces invalid input with U+FFFD (no exceptions); <see cref="DecodeUtf8"/> detects that.</summary>
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, false);

    /// <summary>
    /// If every character is at most U+00FF and some are above U+007F, and those characters taken as bytes
    /// form valid UTF-8, returns the decoded text; otherwise the text unchanged.
    /// </summary>
    public static string ReassembleUtf8(string text)
    {
        if (!text.Any(c => c > '\u007f') || text.Any(c => c > '\u00ff'))
            return text;
        return DecodeUtf8(text.Select(c => (byte)c).ToArray()).IfNone(text);
    }

    /// <summary>
    /// The client's <c>xml_unescape</c>: the five named entities, <c>&amp;#xD;</c>/<c>&amp;#xA;</c> and decimal
    /// <c>&amp;#N;</c> with N &lt; 256 taken as one byte; anything else is kept as it is. None when the
    /// resulting bytes are not valid UTF-8.
    /// </summary>
    public static Option<string> XmlUnescape(string text)
    {
        var bytes = new List<byte>(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '&')
            {
                var end = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? i + 2 : i + 1;
                bytes.AddRange(StrictUtf8.GetBytes(text.Substring(i, end - i)));
                i = end;
                continue;
            }
            var named = Named.Find(n => string.CompareOrdinal(text, i, n.Entity, 0, n.Entity.Length) == 0);
            if (named.IsSome)
            {
                var (entity, value) = named.IfNone(("", '\0'));
                bytes.Add((byte)value);
                i += entity.Length;
                continue;
            }
            var semi = text.IndexOf(';', i);
            if (i + 2 < text.Length && text[i + 1] == '#' && semi > i + 2
                && text.Substring(i + 2, semi - i - 2).All(char.IsAsciiDigit)
                && semi - i - 2 <= 3
                && int.Parse(text.Substring(i + 2, semi - i - 2), System.Globalization.CultureInfo.InvariantCulture) is var n
                && n < 256)
            {
                bytes.Add((byte)n);
                i = semi + 1;
                continue;
            }
            bytes.Add((byte)'&');
            i++;
        }
        return DecodeUtf8(bytes.ToArray());
    }

    private static readonly Seq<(string Entity, char Value)> Named = new[]
    {
        ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&apos;", '\''), ("&amp;", '&'),
        ("&#xD;", '\r'), ("&#xd;", '\r'), ("&#xA;", '\n'), ("&#xa;", '\n'),
    }.ToSeq();

    private static Option<string> DecodeUtf8(byte[] bytes)
    {
        var decoded = StrictUtf8.GetString(bytes);
        // The replacement character stands for invalid input unless it was encoded on purpose (EF BF BD).
        var honest = CountReplacement(bytes);
        return decoded.Count(c => c == '\ufffd') == honest ? Option<string>.Some(decoded) : Option<string>.None;
    }

    private static int CountReplacement(byte[] b)
    {
        var count = 0;
        for (var i = 0; i + 2 < b.Length; i++)
            if (b[i] == 0xEF && b[i + 1] == 0xBF && b[i + 2] == 0xBD)
                count++;
        return count;
    }
}
