using System.Linq;
using System;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using Xunit;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;

namespace Boinc.Persist.Properties.Config;

public class JobConfigProperties
{
    [Property(Arbitrary = new[] { typeof(ConfigArbs) }, MaxTest = 300)]
    public Property Printing_then_reading_gives_the_same_config(JobConfig config)
    {
        var text = JobConfigWriter.Print(config);
        var read = JobConfigReader.Parse("job.toml", text);
        return (read.IsOk && read.Value.Map(f => f.Config).Equals(Option<JobConfig>.Some(config)) && read.Findings.IsEmpty)
            .Label($"printed:\n{text}\nfindings: {string.Join("; ", read.Findings)}");
    }

    [Property(MaxTest = 500)]
    public Property Quoting_a_word_splits_back_to_that_word(NonNull<string> word)
    {
        var w = word.Get;
        var split = ArgLine.Split(ArgLine.Quote(w));
        var ok = split.Match(Right: ws => ws.Count == 1 && ws.Head == w, Left: _ => false);
        return ok.When(Generators.IsWellFormedText(w)).Label($"word: {w}");
    }

    [Property(MaxTest = 300)]
    public Property Create_options_print_and_parse_back() =>
        Prop.ForAll(Arb.From(Generators.CreateOptionsGen()), o =>
        {
            var text = CreateArgs.FormatCreate(o);
            var parsed = CreateArgs.ParseCreate(text);
            return (parsed.Errors.IsEmpty && parsed.Value.Options == o).Label($"create_args: {text}; errors: {string.Join("; ", parsed.Errors)}");
        });

    [Property(MaxTest = 300)]
    public Property Reading_any_text_never_throws(NonNull<string> text)
    {
        var r = JobConfigReader.Parse("job.toml", text.Get);
        return (r.IsOk || r.Errors.Count > 0).ToProperty();
    }

    [Property(MaxTest = 300)]
    public Property Splitting_any_text_never_throws(NonNull<string> text)
    {
        ArgLine.Split(text.Get);
        CreateArgs.ParseCreate(text.Get);
        CreateArgs.ParseBuild(text.Get);
        return true.ToProperty();
    }

    [Property(MaxTest = 200)]
    public Property Sizes_print_and_parse_back() =>
        Prop.ForAll(Arb.From(Generators.Size()), n => Units.ParseSize(Units.FormatSize(n)) == Option<long>.Some(n));
}

public static class ConfigArbs
{
    public static Arbitrary<JobConfig> JobConfig() => Generators.JobConfigArb();
}

/// <summary>stop_grace is bounded by what the BOINC client tolerates before it kills an app that was asked to quit.</summary>
public class StopGraceCapTests
{
    [Theory]
    [InlineData("46s")]
    [InlineData("1m")]
    [InlineData("45001ms")]
    public void A_stop_grace_above_the_cap_is_refused_naming_the_key(string grace)
    {
        var read = JobConfigReader.Parse("job.toml", $"[lifecycle]\nstop_grace = \"{grace}\"\n");

        Assert.False(read.IsOk);
        var error = Assert.Single(read.Findings, f => f.Code == DiagnosticCodes.ConfigStopGraceTooLong);
        Assert.Equal(Severity.Error, error.Severity);
        Assert.Equal(Option<string>.Some("lifecycle.stop_grace"), error.Where.Key);
        Assert.Equal(Option<int>.Some(2), error.Where.Line);
        Assert.Contains("45", error.Message);
    }

    [Theory]
    [InlineData("45s", 45_000)]
    [InlineData("10s", 10_000)]
    [InlineData("0s", 0)]
    public void A_stop_grace_up_to_the_cap_is_accepted(string grace, int ms)
    {
        var read = JobConfigReader.Parse("job.toml", $"[lifecycle]\nstop_grace = \"{grace}\"\n");

        Assert.True(read.IsOk, string.Join("; ", read.Findings));
        Assert.Equal(Option<TimeSpan>.Some(TimeSpan.FromMilliseconds(ms)), read.Value.Map(f => f.Config.Lifecycle.StopGrace));
    }
}
