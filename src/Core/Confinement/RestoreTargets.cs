using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Planning;
using LanguageExt;

namespace Boinc.Persist.Core.Confinement;

/// <summary>
/// The names a restore may write, checked like job.toml paths: plain WORKDIR-relative names (no <c>..</c>,
/// no empty or <c>.</c> component, no NUL or newline), never BOINC's or the wrapper's own files. A generation record (a pack's trailer, a format-1 manifest)
/// that names anything else was not written by this wrapper for this job, and is not acted on.
/// </summary>
public static class RestoreTargets
{
    public static Option<string> Refusal(Seq<FsEffect> effects)
    {
        foreach (var e in effects)
        {
            var written = e switch
            {
                FsEffect.CopyFile c => Option<string>.Some(c.To),
                FsEffect.CopyRange c => Option<string>.Some(c.To),
                FsEffect.PackFiles p => Option<string>.Some(p.To),
                FsEffect.AppendText a => Option<string>.Some(a.Path),
                FsEffect.Rename r => Option<string>.Some(r.To),
                FsEffect.Delete d => Option<string>.Some(d.Path),
                FsEffect.CreateDir d => Option<string>.Some(d.Path),
                FsEffect.WriteFile w => Option<string>.Some(w.Path),
                _ => Option<string>.None,
            };
            foreach (var path in written)
            {
                if (StoreLayout.IsWrapperPath(path)) continue;
                if (Paths.NormaliseRelative(path).Map(n => n != path).IfNone(true))
                    return $"the generation's record names '{path}', which is not a plain WORKDIR-relative name";
                if (ProtectedFiles.IsSlotOwn(path))
                    return $"the generation's record names {path}, one of BOINC's or the wrapper's own files, which a restore never writes";
            }
        }

        return Option<string>.None;
    }
}
