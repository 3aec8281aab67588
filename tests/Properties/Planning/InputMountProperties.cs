using System.Linq;
using Boinc.Persist.Core;
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
    public Property Every_link_is_reachable_by_its_logical_name_and_only_outputs_are_writable(LinkedPlanInput l)
    {
        var input = l.Input;
        var plan = Planner.Make(input);
        var errors = plan.Findings.Filter(d => d.Severity == Severity.Error);
        var spec = plan.Value.Map(p => p.Container);
        if (spec.IsNone) return false.Label($"no plan: {string.Join("; ", errors)}");
        var c = spec.IfNone(() => throw new System.InvalidOperationException());
        var existing = input.Links.ExistingPhysicalNames;
        bool IsOutput(SlotLink s) => !existing.Contains(s.PhysicalName) || InputMounts.IsOutputName(s.PhysicalName, input.Task.ResultName);

        var linkFilesOk = input.Links.Links.Filter(s => s.Style == LinkStyle.LinkFile).ForAll(s =>
            c.Mounts.Filter(m => m.Target == Paths.Join(c.WorkingDir, s.LogicalName)).ToList() is [var m]
            && m.Source == Paths.Join(input.Host.ProjectPath, s.PhysicalName)
            && m.ReadOnly == !IsOutput(s)
            && m.Role == (IsOutput(s) ? MountRole.LinkedOutput : MountRole.LinkedInput));

        var symlinks = input.Links.Links.Filter(s => s.Style == LinkStyle.Symlink);
        var root = InputMounts.SymlinkRoot(c.WorkingDir, input.Task.ProjectDirName);
        var symlinksOk = symlinks.IsEmpty
            || (c.Mounts.Exists(m => m.Target == root && m.Source == input.Host.ProjectPath && m.ReadOnly)
                && symlinks.Filter(IsOutput).ForAll(s => c.Mounts.Exists(m =>
                    m.Target == Paths.Join(root, s.PhysicalName) && !m.ReadOnly && m.Role == MountRole.LinkedOutput)));

        var plannedPlan = plan.Value.IfNone(() => throw new System.InvalidOperationException());
        var toCreate = InputMounts.OutputsToCreate(plannedPlan).ToHashSet();
        var createOk = input.Links.Links.Filter(IsOutput).ForAll(s => toCreate.Contains(Paths.Join(input.Host.ProjectPath, s.PhysicalName)))
                       && toCreate.All(p => Paths.IsAtOrUnder(p, input.Host.ProjectPath));

        return errors.IsEmpty.Label($"no errors: {string.Join("; ", errors)}")
            .And(linkFilesOk.Label("each link file: one bind of its physical file at WORKDIR/<logical>, ro unless output"))
            .And(symlinksOk.Label("symlinks resolve through a read-only project mount; outputs writable"))
            .And(createOk.Label("outputs are created by the shell, nothing outside the project dir"))
            .And(c.Mounts.ForAll(m => !m.Why.Equals("")).Label("every mount says why"))
            .Classify(!symlinks.IsEmpty, "with symlinks");
    }
}
