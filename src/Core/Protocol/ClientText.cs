using System;
using System.Globalization;
using LanguageExt;

namespace Boinc.Persist.Core.Protocol;

/// <summary>
/// How the BOINC client and API read numbers out of channel texts (<c>lib/parse.h</c>): find the tag by
/// substring, then <c>strtod</c>/<c>atoi</c> on what follows. Reproduced here so the app side reads what the
/// client means, and so tests can check that what we send reads back as we meant it.
/// </summary>
public static class ClientText
{
    /// <summary>The smallest normal double (DBL_MIN); below it glibc's strtod reports a range error.</summary>
    public const double SmallestNormal = 2.2250738585072014e-308;

    /// <summary><c>parse_double</c>: the number right after the first occurrence of <paramref name="tag"/>;
    /// None when the tag is absent, nothing numeric follows, or the number is not finite.</summary>
    public static Option<double> Double(string text, string tag)
    {
        var at = text.IndexOf(tag, StringComparison.Ordinal);
        return at < 0 ? Option<double>.None : LeadingDouble(text.AsSpan(at + tag.Length));
    }

    /// <summary><c>parse_int</c>: the integer right after the tag (strtol semantics: leading digits only).</summary>
    public static Option<long> Integer(string text, string tag)
    {
        var at = text.IndexOf(tag, StringComparison.Ordinal);
        if (at < 0) return Option<long>.None;
        var s = text.AsSpan(at + tag.Length).TrimStart(" \t\n\r\v\f");
        var end = 0;
        if (end < s.Length && (s[end] == '-' || s[end] == '+')) end++;
        var digitsStart = end;
        while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
        if (end == digitsStart) return Option<long>.None;
        return long.TryParse(s[..end], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? Option<long>.Some(v)
            : Option<long>.None;
    }

    /// <summary>The longest prefix that <c>strtod</c> in the C locale would accept as a decimal number.</summary>
    public static Option<double> LeadingDouble(ReadOnlySpan<char> text)
    {
        var s = text.TrimStart(" \t\n\r\v\f");
        var i = NumberLength(s);
        if (i == 0) return Option<double>.None;
        if (!double.TryParse(s[..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            return Option<double>.None;
        // glibc's strtod sets ERANGE when the result underflows (subnormal, or zero from non-zero digits), and
        // parse_double then reports no value.
        var number = s[..i];
        var exponent = number.IndexOfAny("eE");
        var mantissa = exponent < 0 ? number : number[..exponent];
        if (Math.Abs(v) < SmallestNormal && mantissa.IndexOfAny("123456789") >= 0)
            return Option<double>.None;
        return Option<double>.Some(v);
    }

    /// <summary>How many characters of <paramref name="text"/> (after leading white space) form the number
    /// <see cref="LeadingDouble"/> reads, counting the white space; 0 when there is none.</summary>
    public static int LeadingDoubleLength(string text)
    {
        var s = text.AsSpan().TrimStart(" \t\n\r\v\f");
        var n = NumberLength(s);
        return n == 0 ? 0 : text.Length - s.Length + n;
    }

    private static int NumberLength(ReadOnlySpan<char> s)
    {
        var i = 0;
        if (i < s.Length && (s[i] == '-' || s[i] == '+')) i++;
        var mantissaDigits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; mantissaDigits++; }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; mantissaDigits++; }
        }

        if (mantissaDigits == 0) return 0;
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            var j = i + 1;
            if (j < s.Length && (s[j] == '-' || s[j] == '+')) j++;
            var expStart = j;
            while (j < s.Length && char.IsAsciiDigit(s[j])) j++;
            if (j > expStart) i = j;
        }

        return i;
    }

    /// <summary>C's <c>%e</c> in the C locale: <c>1.234560e+02</c> (six decimals, at least two exponent digits).</summary>
    public static string FormatE(double value) =>
        value.ToString("0.000000e+00", CultureInfo.InvariantCulture);
}
