using System;
using System.Globalization;
using Boinc.Persist.Core.Protocol;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.ClientProtocol;

[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 500)]
public class FractionAndExitProperties
{
    [Property]
    public Property A_written_number_reads_back_clamped(NormalFloat f, bool newline)
    {
        var text = f.Get.ToString("R", CultureInfo.InvariantCulture) + (newline ? "\n" : "");
        var got = FractionDoneText.Parse(text);
        return got.Match(
            Right: v => (Math.Abs(v - Math.Clamp(f.Get, 0, 1)) < 1e-12).Label($"{v}"),
            Left: r => false.Label($"refused: {r}"));
    }

    [Property]
    public Property Garbage_is_refused_with_a_reason_or_read_inside_0_1(HostileText h)
    {
        var got = FractionDoneText.Parse(h.Text);
        return got.Match(
            Right: v => (v >= 0 && v <= 1).Label($"in range: {v}"),
            Left: r => (r.Length > 0).Label("has a reason"));
    }

    [Theory]
    [InlineData("nan")]
    [InlineData("inf")]
    [InlineData("0,5")]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("0.5abc")]
    [InlineData("1e999")]
    [InlineData("half")]
    public void Not_a_fraction(string text) => Assert.True(FractionDoneText.Parse(text).IsLeft, text);

    [Theory]
    [InlineData("0.25\n", 0.25)]
    [InlineData("  1 ", 1.0)]
    [InlineData("1.5", 1.0)]
    [InlineData("-3", 0.0)]
    [InlineData("2.5e-1 # quarter", 0.25)]
    public void A_fraction(string text, double expected) => Assert.Equal(Either<string, double>.Right(expected), FractionDoneText.Parse(text));

    [Property]
    public Property Temporary_exit_reads_back_as_the_client_reads_it(int delay, HostileText reason)
    {
        var text = ExitTexts.TemporaryExit(delay, reason.Text);
        var expectedDelay = Math.Clamp(delay, 0, ExitCodes.MaxTemporaryExitDelaySeconds);
        return (ExitTexts.ClientDelay(text) == expectedDelay).Label($"delay in {text}")
            .And((ExitTexts.ClientReason(text) == Option<string>.Some(ExitTexts.OneLine(reason.Text))).Label("reason line"))
            .And((text.Split('\n').Length == 3 && text.EndsWith('\n')).Label("two lines"))
            .And((text.Split('\n')[1].Length is > 0 and < ExitTexts.MaxReasonBytes).Label("reason fits fgets(256)"));
    }

    /// <summary>The case the property found once in ~500 (fresh-clone run at 14f7f27): a reason cut at 254
    /// characters right after a space.</summary>
    [Fact]
    public void A_reason_cut_after_a_space_reads_back_as_written()
    {
        var reason = new string('x', ExitTexts.MaxReasonBytes - 2) + " tail";
        var text = ExitTexts.TemporaryExit(60, reason);
        Assert.Equal(Option<string>.Some(ExitTexts.OneLine(reason)), ExitTexts.ClientReason(text));
        Assert.False(ExitTexts.OneLine(reason).EndsWith(' '));
    }

    [Property]
    public bool Finish_status_reads_back(int status) => ExitTexts.ClientFinishStatus(ExitTexts.Finish(status)) == status;

    [Fact]
    public void The_lock_fallback_is_BOINCs_own_text() =>
        Assert.Equal("600\nWaiting to acquire slot directory lock\n",
            ExitTexts.TemporaryExit(ExitCodes.LockBusyDelaySeconds, ExitCodes.LockBusyReason));
}
