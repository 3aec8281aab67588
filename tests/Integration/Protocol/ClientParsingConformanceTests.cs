using System;
using System.Globalization;
using System.Linq;
using Boinc.Persist.Core.Protocol;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Protocol;

/// <summary>What the fake client reads from a status is exactly what the real client's parsing code reads.</summary>
public sealed class ClientParsingConformanceTests : IClassFixture<ClientOracleFixture>
{
    private readonly ClientOracle _oracle;

    public ClientParsingConformanceTests(ClientOracleFixture f) => _oracle = f.Oracle;

    private static readonly double[] Wild =
    {
        double.NaN, double.PositiveInfinity, double.NegativeInfinity, -1, -0.0, 0, 1e-300, double.Epsilon, 0.5, 1, 1.5,
        86400.25, 1e15, 1e300, double.MaxValue, 123.456789, 0.1, 2.0 / 3,
    };

    private static string G17(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    private static string Describe(ClientStatusReading r) => string.Join(' ',
        G17(r.CurrentCpuTime), G17(r.CheckpointCpuTime),
        r.FractionDone.IsSome ? "1" : "0", G17(r.FractionDone.IfNone(0)),
        r.WorkingSetBytes.IsSome ? "1" : "0", G17(r.WorkingSetBytes.IfNone(0)),
        r.OtherPid.IsSome ? "1" : "0", r.OtherPid.IfNone(0).ToString(CultureInfo.InvariantCulture),
        r.WantNetwork.IsSome ? "1" : "0", r.WantNetwork.IfNone(0).ToString(CultureInfo.InvariantCulture));

    private static string Normalise(string oracleLine) =>
        string.Join(' ', oracleLine.Split(' ').Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? G17(d) : t));

    [Fact]
    public void Every_status_we_send_reads_the_same_in_the_real_clients_code()
    {
        // Given: statuses from wild values (a seeded generator: reproducible) and client-like texts
        var random = new Random(20261129);
        double Pick() => random.Next(3) == 0 ? Wild[random.Next(Wild.Length)] : (random.NextDouble() - 0.1) * Math.Pow(10, random.Next(-3, 9));
        var texts = Enumerable.Range(0, 3000)
            .Select(i => AppStatus.Of(Pick(), Pick(), Pick(),
                random.Next(2) == 0 ? Option<double>.Some(Pick()) : Option<double>.None,
                random.Next(4) == 0 ? Option<int>.Some(random.Next(1, int.MaxValue)) : Option<int>.None,
                random.Next(4) == 0 ? Option<bool>.Some(random.Next(2) == 0) : Option<bool>.None).Format())
            .Concat(new[]
            {
                "", "<current_cpu_time>-5</current_cpu_time>", "<fraction_done>0</fraction_done>",
                "<fraction_done>1.5</fraction_done><checkpoint_cpu_time>  7e2</checkpoint_cpu_time>",
                "<current_cpu_time>nan</current_cpu_time><wss>inf</wss>", "<current_cpu_time>1e999</current_cpu_time>",
                "<want_network>1</want_network><other_pid>-3</other_pid>",
            })
            .ToArray();

        // When
        var theirs = _oracle.ReadStatuses(texts);

        // Then
        Assert.Equal(texts.Length, theirs.Length);
        for (var i = 0; i < texts.Length; i++)
            Assert.True(Normalise(theirs[i]) == Describe(ClientStatusReading.Parse(texts[i])),
                $"text {i}: {texts[i].Replace("\n", "\\n")}\n client code: {Normalise(theirs[i])}\n fake client: {Describe(ClientStatusReading.Parse(texts[i]))}");
    }

    [Fact]
    public void Our_percent_e_is_Cs_percent_e()
    {
        var random = new Random(7);
        var values = Wild.Where(double.IsFinite).Concat(Enumerable.Range(0, 3000).Select(_ => random.NextDouble() * Math.Pow(10, random.Next(-20, 20))))
            .ToArray();
        var c = _oracle.PrintfE(values.Select(G17).ToArray());
        for (var i = 0; i < values.Length; i++)
            Assert.True(c[i] == ClientText.FormatE(values[i]), $"{G17(values[i])}: printf {c[i]}, ours {ClientText.FormatE(values[i])}");
    }
}

public sealed class ClientOracleFixture : IDisposable
{
    public ClientOracle Oracle { get; } = new();

    public void Dispose() => Oracle.Dispose();
}
