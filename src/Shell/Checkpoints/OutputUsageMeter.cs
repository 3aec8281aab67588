using System;
using System.IO;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Checkpoints;

/// <summary>
/// The sizes of the result's output files in the project directory, which the client adds to the slot's size
/// before comparing with <c>rsc_disk_bound</c> (<c>ACTIVE_TASK::current_disk_usage</c>, client/app.cpp). The names
/// come from the slot's link files (the planner's <see cref="Core.Planning.InputMounts.OutputFiles"/>); each is
/// looked at with lstat through an accessor rooted at the project directory, so a name never leads out of it and
/// no symlink is followed (a symlink counts nothing, as in the slot). A missing file counts 0; a name the accessor
/// refuses, or a project directory that cannot be opened, counts 0 and says why.
/// </summary>
public static class OutputUsageMeter
{
    public static (long Bytes, Option<string> Problem) Measure(string projectDir, Seq<string> physicalNames)
    {
        if (physicalNames.IsEmpty)
            return (0, Option<string>.None);
        try
        {
            using var project = SlotFiles.Open(projectDir);
            long total = 0;
            var problem = Option<string>.None;
            foreach (var name in physicalNames)
            {
                try
                {
                    var size = project.Identity(name).Filter(_ => project.Kind(name).Exists(k => k == SlotFileKind.File)).Map(i => Math.Max(0, i.Size)).IfNone(0);
                    total = total > long.MaxValue - size ? long.MaxValue : total + size;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
                {
                    problem = $"output file {name} in the project directory cannot be measured: {e.Message}";
                }
            }

            return (total, problem);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (0, $"the project directory cannot be opened to measure the output files: {e.Message}");
        }
    }
}
