using System;
using System.Globalization;
using System.Linq;
using System.Text;
using LanguageExt;

namespace Boinc.Persist.Core.Verification.Conform;

/// <summary>The suite's results as a table for humans and as JSON for tools.</summary>
public static class Rendering
{
    /// <summary>guarantee | result | trials | evidence, one row per guarantee, aligned, evidence on one line.</summary>
    public static string Table(Seq<GuaranteeResult> results, int evidenceWidth = 160)
    {
        var rows = results.Map(r => (
            G: $"{r.Guarantee.Id} {r.Guarantee.Title}",
            R: SuiteVerdict.Label(r.Verdict),
            T: $"{r.HeldCount}/{r.Trials.Count}",
            E: SuiteVerdict.OneLine(r.Evidence, evidenceWidth))).ToList();
        var gw = Math.Max("guarantee".Length, rows.Select(r => r.G.Length).DefaultIfEmpty(0).Max());
        var rw = Math.Max("result".Length, rows.Select(r => r.R.Length).DefaultIfEmpty(0).Max());
        var tw = Math.Max("trials".Length, rows.Select(r => r.T.Length).DefaultIfEmpty(0).Max());
        var b = new StringBuilder();
        void Row(string g, string r, string t, string e) =>
            b.Append(g.PadRight(gw)).Append(" | ").Append(r.PadRight(rw)).Append(" | ").Append(t.PadRight(tw)).Append(" | ").Append(e).Append('\n');
        Row("guarantee", "result", "trials", "evidence");
        b.Append(new string('-', gw)).Append("-+-").Append(new string('-', rw)).Append("-+-").Append(new string('-', tw)).Append("-+-").Append(new string('-', 8)).Append('\n');
        foreach (var r in rows)
            Row(r.G, r.R, r.T, r.E);
        var held = results.Count(r => r.Verdict == Verdict.Held);
        var broken = results.Count(r => r.Verdict == Verdict.Broken);
        b.Append(CultureInfo.InvariantCulture, $"{held} held, {broken} broken, {results.Count - held - broken} not run\n");
        return b.ToString();
    }

    /// <summary>A JSON document: the wrapper, the seed, and per guarantee its verdict and every trial.</summary>
    public static string Json(string wrapper, int seed, int trials, Seq<GuaranteeResult> results)
    {
        var b = new StringBuilder();
        b.Append("{\n  \"wrapper\": ").Append(Str(wrapper))
            .Append(",\n  \"seed\": ").Append(seed.ToString(CultureInfo.InvariantCulture))
            .Append(",\n  \"trials\": ").Append(trials.ToString(CultureInfo.InvariantCulture))
            .Append(",\n  \"passed\": ").Append(SuiteVerdict.ExitCode(results) == 0 ? "true" : "false")
            .Append(",\n  \"guarantees\": [");
        var first = true;
        foreach (var r in results)
        {
            b.Append(first ? "\n" : ",\n");
            first = false;
            b.Append("    {\"id\": ").Append(Str(r.Guarantee.Id))
                .Append(", \"title\": ").Append(Str(r.Guarantee.Title))
                .Append(", \"scenario\": ").Append(Str(r.Guarantee.Scenario))
                .Append(", \"result\": ").Append(Str(SuiteVerdict.Label(r.Verdict)))
                .Append(", \"held\": ").Append(r.HeldCount.ToString(CultureInfo.InvariantCulture))
                .Append(", \"trials\": [");
            b.Append(string.Join(", ", r.Trials.Map(t =>
                "{\"outcome\": " + Str(t switch
                {
                    TrialOutcome.Held => "held",
                    TrialOutcome.Broken => "broken",
                    _ => "not-run",
                }) + ", \"evidence\": " + Str(t.Evidence) + "}")));
            b.Append("], \"evidence\": ").Append(Str(r.Evidence)).Append('}');
        }

        b.Append("\n  ]\n}\n");
        return b.ToString();
    }

    /// <summary>The catalogue as text (<c>--list</c>).</summary>
    public static string List(Seq<Guarantee> catalogue)
    {
        var b = new StringBuilder();
        foreach (var g in catalogue)
        {
            b.Append(g.Id).Append("  ").Append(g.Title).Append("  [scenario ").Append(g.Scenario)
                .Append(g.Randomized ? ", randomized" : "").Append("]\n");
            b.Append("     ").Append(g.Statement).Append('\n');
            b.Append("     evidence: ").Append(g.Evidence).Append('\n');
        }

        return b.ToString();
    }

    /// <summary>A JSON string literal (RFC 8259 escapes; surrogates escaped too, so a lone one stays valid).</summary>
    public static string Str(string s)
    {
        var b = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (c < 0x20 || char.IsSurrogate(c))
                        b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        b.Append(c);
                    break;
            }
        }

        return b.Append('"').ToString();
    }
}
