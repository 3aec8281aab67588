using System;
using LanguageExt;

namespace Boinc.Persist.Core.Protocol;

/// <summary>
/// The job's <c>fraction_done</c> file (docker_wrapper's convention: the app writes a number in [0, 1] into
/// WORKDIR/fraction_done). The first token must be a decimal number in C notation; anything after it (a
/// newline, a comment) is ignored. Values outside [0, 1] are clamped; NaN, infinities, commas and text are
/// refused with a reason, so the wrapper keeps reporting the last good value instead of garbage.
/// </summary>
public static class FractionDoneText
{
    /// <summary>Files larger than this are not a fraction; the shell reads at most this many bytes.</summary>
    public const int MaxBytes = 256;

    /// <summary>Right(fraction in [0, 1]) or Left(reason, naming the problem).</summary>
    public static Either<string, double> Parse(string text)
    {
        var t = text.Trim().TrimStart('\uFEFF');
        if (t.Length == 0)
            return "the file is empty";
        var token = t.Split(new[] { ' ', '\t', '\n', '\r' }, 2)[0];
        if (token.Contains(','))
            return $"'{Shorten(token)}' uses a comma; write a decimal point (C locale), e.g. 0.25";
        var v = ClientText.LeadingDouble(token);
        return v.Match<Either<string, double>>(
            Some: x => ClientText.LeadingDoubleLength(token) == token.Length
                ? Clamp(x)
                : $"'{Shorten(token)}' is not a number: it has trailing characters",
            None: () => $"'{Shorten(token)}' is not a finite decimal number");
    }

    /// <summary>The parsed fraction, or None (the reason is dropped; use <see cref="Parse"/> to log it).</summary>
    public static Option<double> TryParse(string text) => Parse(text).Match(Right: Option<double>.Some, Left: _ => Option<double>.None);

    /// <summary>Clamps to [0, 1]; NaN becomes 0 (which the client treats as "no news").</summary>
    public static double Clamp(double v) => double.IsNaN(v) ? 0 : Math.Clamp(v, 0, 1);

    private static string Shorten(string s)
    {
        var printable = string.Concat(System.Linq.Enumerable.Select(s, c => char.IsControl(c) ? '?' : c));
        return printable.Length > 40 ? printable[..40] + "…" : printable;
    }
}
