using Boinc.Persist.Core;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Planning;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Boinc.Persist.Properties.Checkpoints;

public class StoreHiddenProperties
{
    [Property(MaxTest = 300)]
    public Property Every_plan_hides_the_wrapper_state_directory_under_an_empty_read_only_tmpfs() =>
        Prop.ForAll(Arb.From(Generators.ValidPlanInputGen()), input => Planner.Make(input).Value.Match(
            p =>
            {
                var target = Paths.Join(p.Container.WorkingDir, StoreLayout.StateDirName);
                var hides = p.Container.Tmpfs.Filter(t => t.Target == target);
                return (hides.Count == 1 && hides.ForAll(t => t.ReadOnly && t.SizeBytes == Planner.HiddenStateTmpfsBytes && t.Why.Contains(StoreLayout.StateDirName))
                        && !p.Container.Mounts.Exists(m => m.Target == target))
                    .Label($"tmpfs: {string.Join(", ", p.Container.Tmpfs)}");
            },
            () => false.Label("a valid input did not plan")));
}
