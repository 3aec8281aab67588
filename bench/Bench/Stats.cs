using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Boinc.Persist.Bench;

/// <summary>Repeated measurements of one figure: median with min and max.</summary>
public sealed record Sample(IReadOnlyList<double> Values)
{
    public static Sample Of(IEnumerable<double> values) => new(values.OrderBy(v => v).ToList());

    public static Sample One(double value) => new(new[] { value });

    public bool Empty => Values.Count == 0;

    public double Median => Empty ? double.NaN
        : Values.Count % 2 == 1 ? Values[Values.Count / 2] : (Values[Values.Count / 2 - 1] + Values[Values.Count / 2]) / 2;

    public double Min => Empty ? double.NaN : Values[0];

    public double Max => Empty ? double.NaN : Values[^1];

    /// <summary>"12.3 (11.0–14.1, n=5)" in the unit's format.</summary>
    public string Show(string format, string unit = "")
    {
        if (Empty)
            return "n/a";
        string F(double v) => v.ToString(format, CultureInfo.InvariantCulture);
        return Values.Count == 1
            ? $"{F(Median)}{unit}"
            : $"{F(Median)}{unit} ({F(Min)}–{F(Max)}, n={Values.Count})";
    }
}

/// <summary>One row of the table: the figure, its same-run baseline, their ratio, the goal and the verdict.</summary>
/// <remarks><see cref="DockerWrapper"/>: BOINC's docker_wrapper in the same run (<c>--docker-wrapper</c>), "—" where it cannot run the item.</remarks>
public sealed record Row(string Item, string Name, string Measured, string Baseline, string Ratio, string Goal, string Verdict, string DockerWrapper = "—");

public static class Table
{
    public static string Ratio(double figure, double baseline) =>
        double.IsNaN(figure) || double.IsNaN(baseline) || baseline == 0
            ? "n/a"
            : (figure / baseline).ToString("0.00", CultureInfo.InvariantCulture) + "x";

    public static string Verdict(bool met) => met ? "met" : "**not met**";

    public static void Print(IEnumerable<Row> rows)
    {
        Console.WriteLine("| # | figure | measured: median (min–max, n) | baseline, same run | docker_wrapper, same run | ratio | goal | verdict |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            Console.WriteLine($"| {r.Item} | {r.Name} | {r.Measured} | {r.Baseline} | {r.DockerWrapper} | {r.Ratio} | {r.Goal} | {r.Verdict} |");
    }
}
