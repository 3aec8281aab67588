using System;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Verification.Model;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Verification.Simulation;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Checkpoints;

/// <summary>The shipped CheckpointStore over the model file system, as the example tests of stores earlier versions wrote use it.</summary>
internal static class StoreExamples
{
    /// <summary>The checkpoint files of these examples.</summary>
    public static readonly Seq<string> Patterns = new[] { "state.bin" }.ToSeq();

    /// <summary>The store of <paramref name="slot"/>, checkpointing <see cref="Patterns"/>, keeping two generations.</summary>
    public static CheckpointStore Open(ModelSlotFiles slot) =>
        CheckpointStore.Open(slot, CheckpointConfig.Default with { Files = Patterns, Keep = 2 }, TimeProvider.System);

    /// <summary>A fresh store's recovery of <paramref name="fs"/> (which must restore without error), and the file system after it.</summary>
    public static (RecoveryReport Report, ModelFs After) Recover(ModelFs fs)
    {
        var slot = new ModelSlotFiles(fs, -1);
        using var store = Open(slot);
        var report = store.Recover();
        Assert.True(report.RestoreError.IsNone, report.Why);
        return (report, slot.Fs);
    }

    /// <summary>Model file-system effects to run in order.</summary>
    public static Seq<FsEffect> Effects(params FsEffect[] e) => e.ToSeq();
}
