using System;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>
/// A complete app checkpoint is committed at once (the done marker; a one-file checkpoint renamed into place or
/// closed after writing); other changes wait for the quiescence window.
/// </summary>
public class CheckpointTriggerTests
{
    private static CheckpointConfig Config(string marker, params string[] files) =>
        CheckpointConfig.Default with
        {
            Files = files.ToSeq(),
            DoneMarker = marker.Length == 0 ? Option<string>.None : marker,
        };

    [Theory]
    [InlineData(FileEvent.RenamedInto, TriggerAction.CommitNow)]
    [InlineData(FileEvent.ClosedAfterWrite, TriggerAction.CommitNow)]
    [InlineData(FileEvent.Changed, TriggerAction.ArmQuiescence)]
    public void A_one_file_checkpoint_is_complete_when_renamed_into_place_or_closed(FileEvent e, TriggerAction expected)
    {
        Assert.Equal(expected, CheckpointTrigger.On(Config("", "state"), "state", e));
    }

    [Fact]
    public void A_multi_file_checkpoint_without_a_marker_waits_for_quiescence()
    {
        var config = Config("", "a.dat", "b.dat");

        Assert.Equal(TriggerAction.ArmQuiescence, CheckpointTrigger.On(config, "a.dat", FileEvent.RenamedInto));
        Assert.Equal(TriggerAction.ArmQuiescence, CheckpointTrigger.On(Config("", "ckpt/*.dat"), "ckpt/x.dat", FileEvent.ClosedAfterWrite));
    }

    [Fact]
    public void The_done_marker_commits_at_once_and_undeclared_or_wrapper_files_do_nothing()
    {
        var config = Config("checkpoint.done", "a.dat", "b.dat");

        Assert.Equal(TriggerAction.CommitNow, CheckpointTrigger.On(config, "checkpoint.done", FileEvent.Changed));
        Assert.Equal(TriggerAction.Ignore, CheckpointTrigger.On(config, "output.txt", FileEvent.RenamedInto));
        Assert.Equal(TriggerAction.Ignore, CheckpointTrigger.On(Config("", "*"), ".boinc-persist/journal", FileEvent.RenamedInto));
    }

    [Property(MaxTest = 500)]
    public Property Only_the_marker_or_a_complete_one_file_checkpoint_commits_at_once() =>
        Prop.ForAll(
            Arb.From(Gen.Elements("state", "a.dat", "ckpt/x.dat", "checkpoint.done", "other", ".boinc-persist/x", "../up")),
            Arb.From(Gen.Elements(FileEvent.Changed, FileEvent.RenamedInto, FileEvent.ClosedAfterWrite)),
            Arb.From(Gen.Elements(new[] { "state" }, new[] { "a.dat", "b.dat" }, new[] { "ckpt/*.dat" }, new[] { "*" })),
            (path, e, files) =>
            {
                var config = Config("checkpoint.done", files);
                var action = CheckpointTrigger.On(config, path, e);
                var wrapper = path.StartsWith(".boinc-persist", StringComparison.Ordinal) || path.StartsWith("..", StringComparison.Ordinal);
                var now = action == TriggerAction.CommitNow;
                var expectedNow = !wrapper && (path == "checkpoint.done" || (files.Length == 1 && files[0] == path && e != FileEvent.Changed));
                return (now == expectedNow && (!wrapper || action == TriggerAction.Ignore)).Label($"{path} {e} [{string.Join(",", files)}] -> {action}");
            });
}
