using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Boinc.Persist.Core.Hashing;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// The manifest's text format: line-oriented, one record per line, ending with <c>checksum &lt;sha256&gt;</c> of
/// every byte before that line. Parse refuses anything torn, truncated, garbled or extended: a manifest is
/// either exactly what was written or an error.
/// <code>
/// boinc-persist checkpoint manifest v1
/// generation 7 committed_ms=1764400000000 cpu=1234.5 fraction=0.25 files=2
/// engine docker 26.1.5 boot 3f0c...
/// file 0 1048576 9f86d0... state.bin
/// file 1 12 2c26b4... ckpt/a.dat
/// checksum 5e88...
/// </code>
/// A file's digest is SHA-256 (64 hex digits: store format 1, pack v2) or XXH3-128 (<c>xxh3-128:</c> and 32 hex
/// digits: the trailers of pack v3 on), see <see cref="ContentDigest"/>; the closing checksum is SHA-256 always.
/// </summary>
public static class ManifestText
{
    public const string Header = "boinc-persist checkpoint manifest v1";

    public static string Format(Manifest m)
    {
        var b = new StringBuilder();
        b.Append(Header).Append('\n');
        foreach (var g in m.Generations)
        {
            b.Append("generation ").Append(N(g.Number)).Append(" committed_ms=").Append(N(g.CommittedAtUnixMs))
             .Append(" cpu=").Append(Seconds(g.CpuNanos)).Append(" fraction=").Append(D(g.FractionDone))
             .Append(" files=").Append(N(g.Files.Count)).Append('\n');
            b.Append("engine ").Append(OneLine(g.EngineIdentity)).Append('\n');
            foreach (var f in g.Files)
                b.Append("file ").Append(N(f.Index)).Append(' ').Append(N(f.Size)).Append(' ').Append(f.Digest).Append(' ').Append(f.Name).Append('\n');
        }

        var body = b.ToString();
        return body + "checksum " + Sha256.HexOfText(body) + "\n";
    }

    public static Fin<Manifest> Parse(string text)
    {
        var at = text.LastIndexOf("checksum ", StringComparison.Ordinal);
        if (at < 0 || !text.EndsWith('\n') || (at > 0 && text[at - 1] != '\n'))
            return Bad("no checksum line at the end (torn or truncated)");
        var body = text[..at];
        var sum = text[(at + "checksum ".Length)..^1];
        if (sum != Sha256.HexOfText(body))
            return Bad("checksum does not match the content (torn or garbled)");

        var lines = body.Split('\n');
        if (lines.Length < 1 || lines[0] != Header)
            return Bad($"first line is not \"{Header}\"");
        var gens = new List<Generation>();
        var i = 1;
        while (i < lines.Length - 1)
        {
            var head = lines[i].Split(' ');
            if (head.Length != 6 || head[0] != "generation" ||
                !TryN(head[1], out var number) || !TryKey(head[2], "committed_ms", out var ms) || !TryN(ms, out var committed) ||
                !TryKey(head[3], "cpu", out var cpuText) || !TrySeconds(cpuText, out var cpu) ||
                !TryKey(head[4], "fraction", out var fracText) || !TryD(fracText, out var fraction) ||
                !TryKey(head[5], "files", out var countText) || !TryN(countText, out var count))
                return Bad($"line {i + 1}: expected \"generation N committed_ms=.. cpu=.. fraction=.. files=..\"");
            if (i + 1 >= lines.Length - 1 || !lines[i + 1].StartsWith("engine ", StringComparison.Ordinal))
                return Bad($"line {i + 2}: expected \"engine ...\"");
            var engine = lines[i + 1]["engine ".Length..];
            var files = new List<StoredFile>();
            for (var k = 0; k < count; k++)
            {
                var ln = i + 2 + k;
                if (ln >= lines.Length - 1)
                    return Bad($"generation {number}: {count} files announced, {k} present");
                var p = lines[ln].Split(' ', 5);
                if (p.Length != 5 || p[0] != "file" || !TryN(p[1], out var index) || index != k || !TryN(p[2], out var size) ||
                    !ContentDigest.IsWellFormed(p[3]) || p[4].Length == 0)
                    return Bad($"line {ln + 1}: expected \"file {k} SIZE DIGEST NAME\" (DIGEST: 64 hex digits of SHA-256, or {ContentDigest.Xxh3Prefix} and 32 of XXH3-128)");
                files.Add(new StoredFile((int)index, p[4], size, p[3]));
            }

            if (gens.Count > 0 && gens[^1].Number >= number)
                return Bad($"generation {number} is not newer than {gens[^1].Number}");
            gens.Add(new Generation(number, committed, cpu, fraction, engine, files.ToSeq()));
            i += 2 + (int)count;
        }

        if (lines[^1].Length != 0)
            return Bad("trailing text after the last record");
        return new Manifest(gens.ToSeq());
    }

    /// <summary>A name or identity on one line: control characters become '?'.</summary>
    public static string OneLine(string s)
    {
        var chars = s.ToCharArray();
        for (var k = 0; k < chars.Length; k++)
            if (char.IsControl(chars[k])) chars[k] = '?';
        return new string(chars);
    }

    private static Fin<Manifest> Bad(string why) => Error.New($"checkpoint manifest is invalid: {why}");

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string D(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// CPU time, kept in nanoseconds, written as seconds with up to nine decimals: exact, so it reads back as the
    /// same nanoseconds (the CPU time reported after a restart is the committed one to the nanosecond).
    /// </summary>
    private static string Seconds(long ns)
    {
        var whole = N(ns / 1_000_000_000);
        var frac = ns % 1_000_000_000;
        return frac == 0 ? whole : whole + "." + frac.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
    }

    /// <summary>Seconds (any decimal or exponent form, as earlier versions wrote them) to whole nanoseconds; never negative.</summary>
    private static bool TrySeconds(string s, out long ns)
    {
        ns = 0;
        if (!decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0
            || seconds > long.MaxValue / 1_000_000_000m)
            return false;
        ns = (long)Math.Round(seconds * 1_000_000_000m, MidpointRounding.AwayFromZero);
        return true;
    }

    private static bool TryN(string s, out long n) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out n);

    private static bool TryD(string s, out double d) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d) && double.IsFinite(d);

    private static bool TryKey(string s, string key, out string value)
    {
        value = s.StartsWith(key + "=", StringComparison.Ordinal) ? s[(key.Length + 1)..] : "";
        return value.Length > 0;
    }
}
