using System.Linq;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Slots;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Boinc.Persist.Properties.Planning;

[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 300)]
public class InputMountProperties
{
    [Property]
    public Property Every_link_is_reachable_in_its_mode_and_only_outputs_are_writable(LinkedPlanInput l)
    {
        var input = l.Input;
        var mode = input.Job.Config.Inputs.LinkFiles;
        var plan = Planner.Make(input);
        var errors = plan.Findings.Filter(d => d.Severity == Severity.Error);
        var spec = plan.Value.Map(p => p.Container);
        if (spec.IsNone) return false.Label($"no plan: {string.Join("; ", errors)}");
        var c = spec.IfNone(() => throw new System.InvalidOperationException());
        var existing = input.Links.ExistingPhysicalNames;
        bool IsOutput(SlotLink s) => !existing.Contains(s.PhysicalName) || InputMounts.IsOutputName(s.PhysicalName, input.Task.ResultName);
        string Physical(SlotLink s) => Paths.Join(input.Host.ProjectPath, s.PhysicalName);
        var linkMounts = c.Mounts.Filter(m => m.Role is MountRole.LinkedInput or MountRole.LinkedOutput or MountRole.SymlinkTarget);

        // Resolve: exactly one bind of the physical file over each link file, read-only unless an output.
        var bound = mode == LinkFileMode.Resolve ? input.Links.Links.Filter(s => s.Style == LinkStyle.LinkFile) : LanguageExt.Seq<SlotLink>.Empty;
        var boundOk = bound.ForAll(s =>
            c.Mounts.Filter(m => m.Target == Paths.Join(c.WorkingDir, s.LogicalName)).ToList() is [var m]
            && m.Source == Physical(s)
            && m.ReadOnly == !IsOutput(s)
            && m.Role == (IsOutput(s) ? MountRole.LinkedOutput : MountRole.LinkedInput));

        // Everything else is kept as the client wrote it: nothing is mounted at or under WORKDIR for it, and the
        // project directory is read-only where the link's relative path lands (or at project_dir_mount).
        var kept = input.Links.Links.Filter(s => !bound.Contains(s));
        var hidesNothing = linkMounts
            .Filter(m => Paths.IsAtOrUnder(m.Target, c.WorkingDir) || Paths.IsAtOrUnder(c.WorkingDir, m.Target))
            .ForAll(m => bound.Exists(b => Paths.Join(c.WorkingDir, b.LogicalName) == m.Target));
        var root = InputMounts.SymlinkRoot(c.WorkingDir, input.Task.ProjectDirName);
        var projectMount = input.Job.Config.ProjectDirMount;
        var roProject = projectMount.Filter(_ => !input.Job.Config.Confinement.ProjectDirWritable);
        var rootReachable = projectMount.Exists(p => p == root) || LinkFiles.RelativeRootUsable(c.WorkingDir, input.Task.ProjectDirName);
        var keptOk = kept.IsEmpty
            || ((!rootReachable || projectMount.Exists(p => p == root)
                 || c.Mounts.Exists(m => m.Target == root && m.Source == input.Host.ProjectPath && m.ReadOnly && m.Role == MountRole.SymlinkTarget))
                && kept.Filter(IsOutput).ForAll(s =>
                    (!rootReachable || projectMount.Exists(p => p == root) || c.Mounts.Exists(m =>
                        m.Target == Paths.Join(root, s.PhysicalName) && m.Source == Physical(s) && !m.ReadOnly && m.Role == MountRole.LinkedOutput))
                    && roProject.ForAll(p => c.Mounts.Exists(m =>
                        m.Target == Paths.Join(p, s.PhysicalName) && m.Source == Physical(s) && !m.ReadOnly && m.Role == MountRole.LinkedOutput))));

        // Writable link mounts are outputs' own files, nothing else of the project.
        var outputSources = input.Links.Links.Filter(IsOutput).Map(Physical).ToHashSet();
        var onlyOutputsWritable = linkMounts.Filter(m => !m.ReadOnly).ForAll(m => m.Role == MountRole.LinkedOutput && outputSources.Contains(m.Source));

        var plannedPlan = plan.Value.IfNone(() => throw new System.InvalidOperationException());
        var toCreate = InputMounts.OutputsToCreate(plannedPlan).ToList();
        var createOk = toCreate.Distinct().Count() == toCreate.Count
                       && linkMounts.Filter(m => m.Role == MountRole.LinkedOutput).ForAll(m => toCreate.Contains(m.Source))
                       && toCreate.All(p => Paths.IsAtOrUnder(p, input.Host.ProjectPath));

        return errors.IsEmpty.Label($"no errors: {string.Join("; ", errors)}")
            .And(boundOk.Label("resolve: each link file has one bind of its physical file at WORKDIR/<logical>, ro unless output"))
            .And(hidesNothing.Label("links kept as written: nothing mounted over or inside WORKDIR for them"))
            .And(keptOk.Label("kept links resolve through a read-only project mount; outputs writable where the job reaches them"))
            .And(onlyOutputsWritable.Label("only output files are writable"))
            .And(createOk.Label("outputs are created once by the shell, nothing outside the project dir"))
            .And(c.Mounts.ForAll(m => !m.Why.Equals("")).Label("every mount says why"))
            .Classify(mode == LinkFileMode.Resolve, "resolve")
            .Classify(input.Links.Links.Exists(s => s.Style == LinkStyle.Symlink), "with symlinks")
            .Classify(projectMount.IsSome, "with project_dir_mount");
    }
}
