using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Shell.Gc;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Boinc.Persist.Properties.Gc;

/// <summary>gc's verdicts: remove only what is proven orphaned.</summary>
public class GcRulesTests
{
    private const string Name = Generators.TaskContainer;

    [Fact]
    public void A_container_whose_slot_journal_names_it_and_is_still_running_the_job_is_kept()
    {
        var v = GcRules.Judge(Name, new SlotView.HasJournal("/s/1", Journal.New(Name)));

        Assert.False(v.Remove);
        Assert.Contains("in use", v.Reason);
    }

    [Fact]
    public void An_unreadable_journal_keeps_the_container()
    {
        Assert.False(GcRules.Judge(Name, new SlotView.Unreadable("/s/1", DiagnosticCodes.JournalChecksumMismatch.Id)).Remove);
    }

    [Fact]
    public void Gone_slot_missing_journal_missing_label_reused_slot_finished_or_aborted_job_are_orphans()
    {
        Assert.True(GcRules.Judge(Name, new SlotView.NoSlotLabel()).Remove);
        Assert.True(GcRules.Judge(Name, new SlotView.SlotGone("/s/1")).Remove);
        Assert.True(GcRules.Judge(Name, new SlotView.NoJournal("/s/1")).Remove);
        Assert.True(GcRules.Judge(Name, new SlotView.HasJournal("/s/1", Journal.New("boinc__other__r"))).Remove);
        Assert.True(GcRules.Judge(Name, new SlotView.HasJournal("/s/1", Journal.New(Name) with { FinishedExitCode = 0 })).Remove);
        Assert.True(GcRules.Judge(Name, new SlotView.HasJournal("/s/1", Journal.New(Name) with { Intent = Intent.Abort })).Remove);
    }

    [Property(MaxTest = 300)]
    public Property A_journal_naming_the_container_for_a_live_job_always_keeps_it() =>
        Prop.ForAll(Arb.From(Generators.JournalGen()), j =>
        {
            var mine = j with { Container = Name };
            var live = mine.FinishedExitCode.IsNone && mine.Intent != Intent.Abort;
            return (GcRules.Judge(Name, new SlotView.HasJournal("/s", mine)).Remove == !live).Label($"{mine}");
        });
}
