using System;
using System.Globalization;
using System.IO;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Shell.Checkpoints;
using LanguageExt;

namespace Boinc.Persist.Integration.Run;

/// <summary>The workload's step in the newest committed generation that verifies (0 when none).</summary>
public static class CommittedStep
{
    public static int Of(string slotDir)
    {
        var config = CheckpointConfig.Default with { Files = new[] { "state.txt" }.ToSeq() };
        var listed = CheckpointStore.Open(slotDir, config, TimeProvider.System).List();
        return listed.Match(
            list => list.Find(g => g.Problem.IsNone).Match(
                g =>
                {
                    var text = File.ReadAllText(Path.Combine(slotDir, StoreLayout.StoredFile(g.Info.Number, 0)));
                    return int.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
                },
                () => 0),
            _ => 0);
    }
}
