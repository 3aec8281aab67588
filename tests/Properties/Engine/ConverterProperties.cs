using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Engine;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Boinc.Persist.Properties.Engine;

/// <summary>
/// The converter must carry every planned setting into the Engine API model, for every valid plan (the
/// first version threw on any plan without a stop timeout: LanguageExt's Match refuses a null result).
/// </summary>
public class ConverterProperties
{
    [Property(MaxTest = 300)]
    public Property Every_planned_setting_reaches_the_engine_model() =>
        Prop.ForAll(Arb.From(Generators.ValidPlanInputGen()), input =>
        {
            var spec = Planner.Make(input).Value.Map(p => p.Container).IfNone(() => throw new System.Exception("invalid plan"));
            var p = Boinc.Persist.TestSupport.CreateBodies.Parameters(spec, "img:1");
            var h = p.HostConfig!;
            var mountTargets = h.Mounts!.Select(m => m.Target!).Concat(h.Binds!.Select(b => b.Split(':')[1])).OrderBy(t => t);
            return (p.Name == spec.Name
                    && p.Image == "img:1"
                    && p.WorkingDir == spec.WorkingDir
                    && p.User == spec.User.IfNone("")
                    && h.ReadonlyRootfs == spec.ReadOnlyRootfs
                    && h.NetworkMode == spec.Network.ToString().ToLowerInvariant()
                    && h.CapDrop.SequenceEqual(new[] { "ALL" })
                    && h.CapAdd.SequenceEqual(spec.CapAdd)
                    && h.SecurityOpt.Contains("no-new-privileges:true") == spec.NoNewPrivileges
                    && h.NanoCPUs == spec.NanoCpus
                    && h.Memory == spec.MemoryBytes.IfNone(0)
                    && h.PidsLimit == spec.PidsLimit
                    && mountTargets.SequenceEqual(spec.Mounts.Map(m => m.Target).OrderBy(t => t))
                    && h.Mounts!.All(m => spec.Mounts.Exists(s => s.Target == m.Target && s.ReadOnly == m.ReadOnly))
                    && h.Tmpfs!.Keys.OrderBy(k => k).SequenceEqual(spec.Tmpfs.Map(t => t.Target).OrderBy(t => t))
                    && spec.Labels.ForAll(l => p.Labels!.ContainsKey(l.Key))
                    && p.Env!.Count == spec.Env.Count
                    && (p.StopTimeout.HasValue == spec.StopTimeoutSeconds.IsSome))
                .Label($"spec: {spec}");
        });
}
