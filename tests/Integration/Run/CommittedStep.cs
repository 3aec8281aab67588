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
    /// <remarks>The wrapper commits and prunes while we read: a generation may vanish between list and read, so retry.</remarks>
    public static int Of(string slotDir)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return Read(slotDir);
            }
            catch (IOException) when (attempt < 20)
            {
                System.Threading.Thread.Sleep(20);
            }
        }
    }

    private static int Read(string slotDir)
    {
        var config = CheckpointConfig.Default with { Files = new[] { "state.txt" }.ToSeq() };
        var listed = CheckpointStore.Open(slotDir, config, TimeProvider.System).List();
        return listed.Match(
            list => list.Find(g => g.Problem.IsNone).Match(
                g =>
                {
                    // The pack holds the one checkpoint file first.
                    var text = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(slotDir, StoreLayout.PackPath(g.Info.Number)))[..(int)g.Info.Bytes]);
                    return int.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
                },
                () => 0),
            _ => 0);
    }
}
