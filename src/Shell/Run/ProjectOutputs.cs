using System.IO;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>
/// Output files named by link files live in the PROJECT directory (host paths the plan resolved, never slot
/// paths): a bind mount needs its source, so each is created empty before the container starts, never truncated.
/// </summary>
public static class ProjectOutputs
{
    public static void Create(Seq<string> outputs, WrapperLog log)
    {
        foreach (var output in outputs)
        {
            using (new FileStream(output, FileMode.OpenOrCreate, FileAccess.Write))
            {
            }

            log.Debug($"created output file {output} for its bind mount");
        }
    }
}
