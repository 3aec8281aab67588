using System;
using System.Linq;
using Boinc.Persist.Core.Protocol;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.ClientProtocol;

[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 500)]
public class StatusTextProperties
{
    private static bool Near(double a, double b) => Math.Abs(a - b) <= 5e-7 * Math.Max(1, Math.Abs(b));

    [Property]
    public Property Any_status_is_short_ascii_and_reads_back_as_the_client_takes_it(WildStatus w)
    {
        var status = AppStatus.Of(w.Current, w.Checkpoint, w.Fraction, w.Wss);
        var text = status.Format();
        var read = ClientStatusReading.Parse(text);
        return (text.Length < AppStatus.MaxTextLength).Label($"length {text.Length}")
            .And(text.All(c => c is >= ' ' and <= '~' or '\n').Label("printable ASCII"))
            .And((!text.Contains("nan", StringComparison.OrdinalIgnoreCase) && !text.Contains("inf", StringComparison.OrdinalIgnoreCase)).Label("no NaN/inf"))
            .And((read.CurrentCpuTime >= 0 && read.CheckpointCpuTime >= 0).Label("CPU times non-negative"))
            .And((read.CheckpointCpuTime <= read.CurrentCpuTime).Label("checkpoint <= current"))
            .And(Near(read.CurrentCpuTime, status.CurrentCpuTime).Label($"current {read.CurrentCpuTime} vs {status.CurrentCpuTime}"))
            .And(Near(read.CheckpointCpuTime, status.CheckpointCpuTime).Label("checkpoint read back"))
            .And(read.FractionDone.ForAll(f => f > 0 && f <= 1 && Near(f, status.FractionDone)).Label("fraction in (0, 1] or ignored"))
            .And((read.FractionDone.IsNone == (status.FractionDone == 0)).Label("only 0 is ignored"))
            .And((read.WorkingSetBytes.IsSome == status.WorkingSetBytes.IsSome).Label("wss present iff valid"));
    }

    [Property]
    public bool Both_cpu_times_are_always_sent(WildStatus w)
    {
        var text = AppStatus.Of(w.Current, w.Checkpoint, w.Fraction).Format();
        return text.Contains("<current_cpu_time>", StringComparison.Ordinal) && text.Contains("<checkpoint_cpu_time>", StringComparison.Ordinal);
    }

    [Fact]
    public void The_text_is_what_the_BOINC_API_writes()
    {
        var text = AppStatus.Of(123.456, 100, 0.25, Option<double>.Some(1048576)).Format();
        Assert.Equal(
            "<current_cpu_time>1.234560e+02</current_cpu_time>\n" +
            "<checkpoint_cpu_time>1.000000e+02</checkpoint_cpu_time>\n" +
            "<fraction_done>2.500000e-01</fraction_done>\n" +
            "<wss>1.048576e+06</wss>\n", text);
    }

    [Theory]
    [InlineData(0.0, "0.000000e+00")]
    [InlineData(1e-300, "1.000000e-300")]
    [InlineData(86400.5, "8.640050e+04")]
    [InlineData(1.0, "1.000000e+00")]
    [InlineData(2.5, "2.500000e+00")]
    public void FormatE_matches_C_printf(double v, string expected) => Assert.Equal(expected, ClientText.FormatE(v));

    [Property]
    public Property Control_requests_round_trip_and_anything_else_is_unknown(HostileText h)
    {
        var known = new[]
        {
            ControlMessage.SuspendRequest, ControlMessage.ResumeRequest, ControlMessage.QuitRequest,
            ControlMessage.AbortRequest, ControlMessage.RereadAppInfoRequest, ControlMessage.NetworkAvailableRequest,
        };
        var roundTrip = known.All(m => ControlMessages.Parse(ControlMessages.Format(m)).SequenceEqual(new[] { m }));
        var parsed = ControlMessages.Parse(h.Text);
        var hasTag = known.Any(m => h.Text.Contains(ControlMessages.Format(m), StringComparison.Ordinal));
        return roundTrip.Label("each request round-trips")
            .And((parsed.Count >= 1).Label("never empty"))
            .And((hasTag == parsed.ForAll(p => p is not ControlMessage.Unknown)).Label("Unknown iff no known tag"))
            .And(parsed.ForAll(p => p is not ControlMessage.Unknown u || u.Text == h.Text).Label("unknown keeps the text"));
    }

    [Property]
    public Property Heartbeats_round_trip_and_hostile_text_never_yields_a_bad_number(HostileText h)
    {
        var hb = new Heartbeat(Option<double>.Some(123456789.5), Option<double>.Some(2e9), true);
        var back = Heartbeat.Parse(hb.Format());
        var hostile = Heartbeat.Parse(h.Text);
        return (back == Option<Heartbeat>.Some(hb)).Label($"round trip {hb.Format()}")
            .And(hostile.ForAll(x => x.WorkingSetBytes.ForAll(v => double.IsFinite(v) && v >= 0)
                                     && x.MaxWorkingSetBytes.ForAll(v => double.IsFinite(v) && v >= 0)).Label("finite sizes"))
            .And((hostile.IsSome == h.Text.Contains("<heartbeat/>", StringComparison.Ordinal)).Label("heartbeat iff tag"));
    }

    [Fact]
    public void A_heartbeat_as_the_client_sends_it_is_read()
    {
        var h = Heartbeat.Parse("<heartbeat/><wss>1048576.000000</wss><max_wss>536870912.000000</max_wss>");
        Assert.Equal(Option<Heartbeat>.Some(new Heartbeat(Option<double>.Some(1048576), Option<double>.Some(536870912), false)), h);
    }
}
