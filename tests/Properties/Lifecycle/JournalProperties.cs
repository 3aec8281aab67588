using Boinc.Persist.Core.Diagnostics;
using System.Linq;
using Boinc.Persist.Core.Lifecycle;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>The journal's text form: every journal round-trips; torn or garbled text is rejected with a reason.</summary>
public class JournalProperties
{
    private static Arbitrary<Journal> Journals => Arb.From(Generators.JournalGen());

    [Property(MaxTest = 300)]
    public Property Every_journal_round_trips_through_its_text() =>
        Prop.ForAll(Journals, j => JournalText.Parse(JournalText.Format(j)) == Fin<Journal>.Succ(j));

    [Property(MaxTest = 200)]
    public Property Every_strict_prefix_of_a_journal_is_rejected(PositiveInt cut) =>
        Prop.ForAll(Journals, j =>
        {
            var text = JournalText.Format(j);
            var prefix = text[..(cut.Get % text.Length)];
            return JournalText.Parse(prefix).IsFail.Label($"accepted a {prefix.Length}-char prefix of {text.Length}");
        });

    [Property(MaxTest = 300)]
    public Property Any_changed_character_is_rejected(PositiveInt at, char replacement) =>
        Prop.ForAll(Journals, j =>
        {
            var text = JournalText.Format(j);
            var i = at.Get % text.Length;
            var garbled = text[..i] + replacement + text[(i + 1)..];
            return (garbled == text || JournalText.Parse(garbled).IsFail).Label($"accepted garbled text at {i}");
        });

    [Fact]
    public void A_torn_journal_is_rejected_with_the_reason()
    {
        var text = JournalText.Format(Journal.New("boinc__p__r") with { CommittedGeneration = 7L });
        var torn = text[..(text.Length - 5)];

        var error = JournalText.Parse(torn).Match(_ => "accepted", e => e.Message);

        Assert.StartsWith(DiagnosticCodes.JournalTornLine.Id, error);
        Assert.Contains("torn", error);
    }

    [Fact]
    public void A_journal_with_a_wrong_checksum_is_rejected_naming_the_checksum()
    {
        var text = JournalText.Format(Journal.New("boinc__p__r")).Replace("generation=", "generation=5");

        var error = JournalText.Parse(text).Match(_ => "accepted", e => e.Message);

        Assert.StartsWith(DiagnosticCodes.JournalChecksumMismatch.Id, error);
    }

    [Fact]
    public void The_text_is_one_key_per_line_ending_with_its_checksum()
    {
        var text = JournalText.Format(new Journal(
            "boinc__p__r", "abc", "sha256:1", 4L, "boot", 1500, 0, Intent.Run));

        var lines = text.Split('\n');

        Assert.Equal(JournalText.Header, lines[0]);
        Assert.Equal(
            new[] { "container=boinc__p__r", "container_id=abc", "image_id=sha256:1", "generation=4", "boot_id=boot", "cpu_base_ns=1500", "exit_code=0", "intent=run" },
            lines[1..9]);
        Assert.Matches("^sha256=[0-9a-f]{64}$", lines[9]);
        Assert.Equal("", lines[10]);
    }
}
