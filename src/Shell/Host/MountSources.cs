using System;
using System.IO;
using System.Runtime.InteropServices;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Confinement;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Planning;
using LanguageExt;

namespace Boinc.Persist.Shell.Host;

/// <summary>
/// Mount sources checked on the host as the engine will use them: each resolved to its real path (symlinks
/// followed, as the engine follows them when it mounts) and judged again by <see cref="MountRules"/> and the
/// host policy, then replaced in the plan by that real path. At create time <see cref="Verified"/> refuses a
/// source whose real path has changed since (a link the job planted in the slot meanwhile).
/// </summary>
public static partial class MountSources
{
    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealpathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint p);

    /// <summary>realpath(3): None when the path does not exist.</summary>
    public static Option<string> RealPath(string path)
    {
        var p = RealpathNative(path, 0);
        if (p == 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is 2 or 20) return Option<string>.None;
            throw new ErrnoException($"cannot resolve {path}: {Libc.Describe(errno)}", errno);
        }

        try
        {
            return Marshal.PtrToStringUTF8(p) ?? path;
        }
        finally
        {
            Free(p);
        }
    }

    /// <summary>
    /// The plan with every bind source replaced by its real path, and the findings: an error for a source that
    /// resolves somewhere its role forbids (out of the slot or project, into the wrapper's state, onto the slot),
    /// or a host path the policy does not accept.
    /// </summary>
    public static (Plan Plan, Seq<Diagnostic> Findings) Resolve(Plan plan, string slotDir, string projectDir, HostPolicy policy, string configName, bool enforce)
    {
        var slot = RealPath(slotDir).IfNone(slotDir);
        var project = RealPath(projectDir).IfNone(projectDir);
        var findings = Seq<Diagnostic>.Empty;
        void Refuse(string why) =>
            findings = findings.Add(enforce
                ? Diagnostic.Error(DiagnosticCodes.MountSourceUnusable, Location.InFile(configName), why)
                : Diagnostic.Warning(DiagnosticCodes.MountSourceUnusable, Location.InFile(configName), why + " (an error when the job runs)"));

        var mounts = plan.Container.Mounts.Map(m =>
        {
            Option<string> real;
            try
            {
                real = RealPath(m.Source);
            }
            catch (IOException e)
            {
                Refuse($"mount source {m.Source}: {e.Message}");
                return m;
            }

            return real.Match(r =>
            {
                var inSlot = Paths.IsAtOrUnder(r, slot);
                var inProject = Paths.IsAtOrUnder(r, project);
                switch (m.Role)
                {
                    case MountRole.Slot:
                        if (r != slot) Refuse($"the slot directory {m.Source} resolves to {r}");
                        break;
                    case MountRole.Protected:
                        if (r != Paths.Join(slot, m.Source[(m.Source.LastIndexOf('/') + 1)..])) Refuse($"{m.Source} is not a plain file of the slot (it resolves to {r})");
                        break;
                    case MountRole.Extra:
                        if (Paths.IsAtOrUnder(m.Source, slotDir) && !inSlot)
                            Refuse($"mount source {m.Source} is in the slot but resolves to {r}, outside it (a symbolic link)");
                        else if (MountRules.SourceRefusal(r, slot) is { IsSome: true } refused)
                            refused.Iter(Refuse);
                        else if (inProject && !m.ReadOnly && !policy.ProjectDirWritable)
                            Refuse($"mount source {r} is in the project directory and mounted writable, which is not accepted on this host (policy {policy.Source}); mount it :ro, or the volunteer accepts it with project_dir_writable = true in [accept]");
                        else if (!inSlot && !inProject)
                            PolicyCheck.HostMountRefusal(policy, r).Iter(Refuse);
                        break;
                    default:
                        if (!inProject && !inSlot)
                            Refuse($"mount source {m.Source} resolves to {r}, outside the project directory {project}");
                        break;
                }

                return m with { Source = r };
            }, () => m);
        }).Strict(); // Seq.Map is lazy: run the checks now, so their findings are in before they are returned
        return (plan with { Container = plan.Container with { Mounts = mounts } }, findings);
    }

    /// <summary>
    /// At create time: the source as planned, if it still is its own real path (or does not exist yet); an
    /// <see cref="IOException"/> when a link now stands on the way, so the engine never follows it.
    /// </summary>
    public static string Verified(string source)
    {
        var real = RealPath(source);
        if (real.Exists(r => r != source))
            throw new IOException($"mount source {source} now resolves to {real.IfNone("")} (a symbolic link appeared since the start); the container is not created");
        return source;
    }
}
