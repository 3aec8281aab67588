using Boinc.Persist.Core.Diagnostics;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Boinc.Persist.Core.Hashing;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Core.Lifecycle;

/// <summary>
/// The journal's text form: a header line, one <c>key=value</c> line per field in a fixed order, and a last line
/// <c>sha256=HEX</c> over every byte before it. <see cref="Parse"/> accepts exactly what <see cref="Format"/>
/// writes; a torn, truncated, reordered or garbled file is rejected with the reason (code BP-JRN...), never
/// half-read. Values are percent-escaped (<c>%</c>, newline, carriage return), so any string round-trips.
/// </summary>
public static class JournalText
{
    public const string Header = "boinc-persist-journal 1";

    private static readonly string[] Keys =
        { "container", "container_id", "image_id", "generation", "boot_id", "cpu_base_ns", "exit_code", "intent" };

    public static string Format(Journal j)
    {
        var body = new StringBuilder();
        body.Append(Header).Append('\n');
        Line(body, "container", j.Container);
        Line(body, "container_id", j.ContainerId.IfNone(""));
        Line(body, "image_id", j.ImageId.IfNone(""));
        Line(body, "generation", j.CommittedGeneration.Map(Num).IfNone(""));
        Line(body, "boot_id", j.BootId.IfNone(""));
        Line(body, "cpu_base_ns", Num(j.CpuBaseNanos));
        Line(body, "exit_code", j.FinishedExitCode.Map(c => c.ToString(CultureInfo.InvariantCulture)).IfNone(""));
        Line(body, "intent", j.Intent.ToString().ToLowerInvariant());
        var text = body.ToString();
        return text + "sha256=" + Hash(text) + "\n";
    }

    public static Fin<Journal> Parse(string text)
    {
        if (text.Length == 0)
            return Problem(DiagnosticCodes.JournalEmpty, "the journal is empty");
        var mark = text.LastIndexOf("sha256=", StringComparison.Ordinal);
        if (mark < 0 || (mark > 0 && text[mark - 1] != '\n'))
            return Problem(DiagnosticCodes.JournalNoChecksum, "the journal has no checksum line (torn or not a journal)");
        if (!text.EndsWith('\n'))
            return Problem(DiagnosticCodes.JournalTornLine, "the journal's last line is incomplete (torn write)");
        var body = text[..mark];
        var sum = text[(mark + "sha256=".Length)..^1];
        if (!string.Equals(sum, Hash(body), StringComparison.Ordinal))
            return Problem(DiagnosticCodes.JournalChecksumMismatch, "the journal's checksum does not match its contents (torn or garbled)");

        var lines = body.Split('\n');
        if (lines[0] != Header)
            return Problem(DiagnosticCodes.JournalBadHeader, $"the journal starts with '{Clip(lines[0])}', expected '{Header}'");
        if (lines.Length != Keys.Length + 2 || lines[^1].Length != 0)
            return Problem(DiagnosticCodes.JournalFieldCount, $"the journal has {lines.Length - 2} fields, expected {Keys.Length}");

        var values = new Dictionary<string, string>();
        for (var i = 0; i < Keys.Length; i++)
        {
            var line = lines[i + 1];
            var eq = line.IndexOf('=');
            var key = eq < 0 ? line : line[..eq];
            if (key != Keys[i])
                return Problem(DiagnosticCodes.JournalUnexpectedKey, $"journal line {i + 2}: expected key '{Keys[i]}', found '{Clip(key)}'");
            var value = Unescape(line[(eq + 1)..]);
            if (value.IsNone)
                return Problem(DiagnosticCodes.JournalBadEscape, $"journal line {i + 2} [{key}]: bad escape in the value");
            values[key] = value.IfNone("");
        }

        if (values["container"].Length == 0)
            return Problem(DiagnosticCodes.JournalEmptyContainer, "journal [container]: the container name is empty");
        var generation = OptionalLong(values["generation"]);
        var cpu = OptionalLong(values["cpu_base_ns"]);
        var exit = values["exit_code"].Length == 0
            ? Option<int>.None
            : int.TryParse(values["exit_code"], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var c)
                ? Option<int>.Some(c)
                : Option<int>.None;
        if (generation.IsLeft)
            return Problem(DiagnosticCodes.JournalBadGeneration, $"journal [generation]: '{Clip(values["generation"])}' is not a non-negative integer");
        if (cpu.IsLeft || cpu.RightToSeq().Exists(o => o.IsNone))
            return Problem(DiagnosticCodes.JournalBadCpuBase, $"journal [cpu_base_ns]: '{Clip(values["cpu_base_ns"])}' is not a non-negative integer");
        if (values["exit_code"].Length != 0 && exit.IsNone)
            return Problem(DiagnosticCodes.JournalBadExitCode, $"journal [exit_code]: '{Clip(values["exit_code"])}' is not an integer");
        Intent intent;
        switch (values["intent"])
        {
            case "run": intent = Intent.Run; break;
            case "stop": intent = Intent.Stop; break;
            case "abort": intent = Intent.Abort; break;
            default: return Problem(DiagnosticCodes.JournalBadIntent, $"journal [intent]: '{Clip(values["intent"])}' is not run, stop or abort");
        }

        return new Journal(
            values["container"],
            NonEmpty(values["container_id"]),
            NonEmpty(values["image_id"]),
            generation.IfLeft(Option<long>.None),
            NonEmpty(values["boot_id"]),
            cpu.IfLeft(Option<long>.None).IfNone(0),
            exit,
            intent);
    }

    private static void Line(StringBuilder sb, string key, string value) =>
        sb.Append(key).Append('=').Append(Escape(value)).Append('\n');

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Hash(string text) => Sha256.HexOfText(text);

    private static Option<string> NonEmpty(string s) => s.Length == 0 ? Option<string>.None : s;

    /// <summary>Right(None) for empty, Right(Some n) for a non-negative integer, Left otherwise.</summary>
    private static Either<Unit, Option<long>> OptionalLong(string s)
    {
        if (s.Length == 0)
            return Option<long>.None;
        return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? Option<long>.Some(n)
            : Unit.Default;
    }

    private static string Escape(string s) =>
        s.Replace("%", "%25", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal)
            .Replace("\r", "%0D", StringComparison.Ordinal);

    private static Option<string> Unescape(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '%')
            {
                sb.Append(s[i]);
                continue;
            }

            if (i + 2 >= s.Length)
                return Option<string>.None;
            var code = s.Substring(i + 1, 2);
            switch (code)
            {
                case "25": sb.Append('%'); break;
                case "0A": sb.Append('\n'); break;
                case "0D": sb.Append('\r'); break;
                default: return Option<string>.None;
            }

            i += 2;
        }

        return sb.ToString();
    }

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "..." : s;

    private static Fin<Journal> Problem(DiagnosticCode code, string message) =>
        Fin<Journal>.Fail(Error.New(JournalCodes.Base + code.Number, $"{code}: {message}"));
}

/// <summary>The journal's errors as LanguageExt error codes: <c>JournalCodes.Base + n</c> is BP-JRN<c>n</c>
/// (<see cref="DiagnosticCodes.JournalEmpty"/> and the codes after it).</summary>
public static class JournalCodes
{
    public const int Base = 4000;
}
