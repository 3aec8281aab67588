using System.Linq;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Planning;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;

namespace Boinc.Persist.Properties.Planning;

public class PlanProperties
{
    private static Arbitrary<PlanInput> Valid => Arb.From(Generators.ValidPlanInputGen());

    private static string Explain(Checked<Plan> p) => string.Join("; ", p.Findings);

    [Property(MaxTest = 300)]
    public Property Every_valid_job_plans_without_error() =>
        Prop.ForAll(Valid, input => Planner.Make(input).IsOk.Label(Explain(Planner.Make(input))));

    [Property(MaxTest = 300)]
    public Property The_slot_is_mounted_at_WORKDIR_exactly_once() =>
        Prop.ForAll(Valid, input =>
        {
            var spec = Planner.Make(input).Value.Map(p => p.Container);
            return spec.Match(
                s => s.Mounts.Filter(m => m.Source == input.Host.SlotPath).Count == 1 &&
                     s.Mounts.Filter(m => m.Target == s.WorkingDir).Count == 1 &&
                     s.Mounts.Exists(m => m.Role == MountRole.Slot && m.Target == s.WorkingDir && !m.ReadOnly),
                () => false);
        });

    [Property(MaxTest = 300)]
    public Property No_target_is_mounted_twice() =>
        Prop.ForAll(Valid, input => Planner.Make(input).Value.Match(
            p =>
            {
                var targets = p.Container.Mounts.Map(m => m.Target) + p.Container.Tmpfs.Map(t => t.Target);
                return targets.Distinct().Count() == targets.Count;
            },
            () => false));

    [Property(MaxTest = 300)]
    public Property Nothing_but_slot_project_and_listed_mounts_is_mounted() =>
        Prop.ForAll(Valid, input => Planner.Make(input).Value.Match(
            p =>
            {
                var c = input.Job.Config;
                var allowed = new[] { input.Host.SlotPath }.ToSeq()
                    + (c.ProjectDirMount.IsSome ? new[] { input.Host.ProjectPath }.ToSeq() : Seq<string>.Empty)
                    + c.Mounts.Map(m => m.IsSlotRelative ? Paths.Join(input.Host.SlotPath, m.Source) : m.Source);
                return p.Container.Mounts.ForAll(m => allowed.Contains(m.Source))
                       && p.Container.Mounts.ForAll(m => m.Role != MountRole.Extra || c.Mounts.Exists(x => x.Target == m.Target));
            },
            () => false));

    [Property(MaxTest = 300)]
    public Property The_project_mount_is_read_only_unless_opted_in() =>
        Prop.ForAll(Valid, input => Planner.Make(input).Value.Match(
            p =>
            {
                var project = p.Container.Mounts.Filter(m => m.Role == MountRole.Project);
                var c = input.Job.Config;
                return c.ProjectDirMount.Match(
                    target => project.Count == 1 && project.Head.Target == target &&
                              project.Head.ReadOnly == !c.Confinement.ProjectDirWritable,
                    () => project.IsEmpty);
            },
            () => false));

    [Property(MaxTest = 300)]
    public Property Defaults_are_strict_and_every_relaxation_is_listed() =>
        Prop.ForAll(Valid, input => Planner.Make(input).Value.Match(
            p =>
            {
                var k = input.Job.Config.Confinement;
                var s = p.Container;
                var keys = p.Relaxations.Map(r => r.Key);
                return (s.Network == NetworkMode.None) == !keys.Contains("confinement.network")
                       && s.ReadOnlyRootfs == !keys.Contains("confinement.read_only_rootfs")
                       && s.NoNewPrivileges == !keys.Contains("confinement.no_new_privileges")
                       && (k.User is UserMode.SlotOwner) == !keys.Contains("confinement.user")
                       && (k.User is not UserMode.SlotOwner || s.User == Option<string>.Some("1000:1000"))
                       && s.Tmpfs.Exists(t => t.Target == "/tmp")
                       && s.PidsLimit > 0
                       && !s.Name.Any(char.IsUpper);
            },
            () => false));

    [Property(MaxTest = 200)]
    public Property A_mount_on_or_above_WORKDIR_is_refused() =>
        Prop.ForAll(Valid, Arb.From(Gen.Elements("/", "/app", "/srv", "/home", "/home/boinc")), (input, target) =>
        {
            var c = input.Job.Config;
            var workdir = c.Workdir.IfNone(input.Dockerfile.Workdir.Map(w => w.Path).IfNone("/app"));
            var bad = c with { Mounts = c.Mounts.Add(new MountSpec("data", target, false, Relabel.None)) };
            var plan = Planner.Make(input with { Job = input.Job with { Config = bad } });
            return (!plan.IsOk && plan.Errors.Exists(e => e.Code == DiagnosticCodes.PlanMountHidesSlot))
                .When(Paths.IsAtOrUnder(workdir, target == "/" ? "/" : target));
        });

    [Property(MaxTest = 200)]
    public Property A_duplicate_target_is_refused() =>
        Prop.ForAll(Valid, input =>
        {
            var c = input.Job.Config;
            var m = new MountSpec("a", "/mnt/dup", false, Relabel.None);
            var bad = c with { Mounts = c.Mounts.Filter(x => x.Target != "/mnt/dup").Add(m).Add(m with { Source = "b" }) };
            var plan = Planner.Make(input with { Job = input.Job with { Config = bad } });
            return !plan.IsOk && plan.Errors.Exists(e => e.Code == DiagnosticCodes.PlanTargetMountedTwice);
        });

    [Property(MaxTest = 100)]
    public Property The_image_tag_depends_only_on_Dockerfile_and_build_options() =>
        Prop.ForAll(Valid, Valid, (a, b) =>
        {
            var ia = Planner.ImagePlanOf(a);
            var ib = Planner.ImagePlanOf(b);
            var sameInputs = a.Dockerfile.Text == b.Dockerfile.Text && a.Job.Config.Build == b.Job.Config.Build;
            return (ia.ContentHash == ib.ContentHash) == sameInputs
                   && (a.Job.Config.ImageName.IsSome || !ia.Tag.StartsWith(Naming.BoincPrefix));
        });
}
