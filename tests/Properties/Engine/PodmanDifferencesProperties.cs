using System;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Engine;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;
using static Boinc.Persist.Properties.Generators;

namespace Boinc.Persist.Properties.Engine;

/// <summary>
/// The Docker/Podman differences the create path handles (<see cref="EngineDifferences"/>), for every valid plan
/// and every engine and host: what changes, what must never change, and what reaches the Engine API model.
/// </summary>
public class PodmanDifferencesProperties
{
    private static ContainerSpec SpecOf(PlanInput input) =>
        Planner.Make(input).Value.Map(p => p.Container).IfNone(() => throw new InvalidOperationException("invalid plan"));

    private static Arbitrary<(PlanInput, EngineTraits)> PlansOnEngines() =>
        Arb.From(from input in ValidPlanInputGen() from traits in EngineTraitsGen() select (input, traits));

    [Property(MaxTest = 300)]
    public Property Adapting_changes_only_relabels_and_on_podman_ulimits() =>
        Prop.ForAll(PlansOnEngines(), t =>
        {
            var (input, traits) = t;
            var spec = SpecOf(input);
            var (adapted, _) = EngineDifferences.Adapt(spec, traits);
            var sameElsewhere = adapted with { Mounts = spec.Mounts, Ulimits = spec.Ulimits } == spec;
            var mountsSameButLabel = adapted.Mounts.Map(m => m with { Relabel = Relabel.None })
                .SequenceEqual(spec.Mounts.Map(m => m with { Relabel = Relabel.None }));
            var ulimitsKept = traits.Kind == EngineKind.Docker
                ? adapted.Ulimits == spec.Ulimits
                : spec.Ulimits.ForAll(u => adapted.Ulimits.Contains(u));
            return (sameElsewhere && mountsSameButLabel && ulimitsKept).Label($"{traits}: {adapted}");
        });

    [Property(MaxTest = 300)]
    public Property Podman_always_gets_one_nofile_and_one_nproc_it_can_grant() =>
        Prop.ForAll(PlansOnEngines(), t =>
        {
            var (input, traits) = t;
            var spec = SpecOf(input);
            var podman = traits with { Kind = EngineKind.Podman };
            var (adapted, _) = EngineDifferences.Adapt(spec, podman);
            // Present; added once when the job gave none; the job's own entries untouched (even repeated ones).
            bool Once(string name) =>
                adapted.Ulimits.Count(u => u.Name == name) == Math.Max(1, spec.Ulimits.Count(u => u.Name == name));
            bool Grantable(string name, Option<long> hard, long ceiling) =>
                spec.Ulimits.Exists(u => u.Name == name) // the job's own value is the job's decision
                || adapted.Ulimits.Filter(u => u.Name == name).ForAll(u =>
                    u.Soft == u.Hard && u.Hard >= 1 && u.Hard <= ceiling && hard.ForAll(h => u.Hard <= h));
            return (Once("nofile") && Once("nproc")
                    && Grantable("nofile", podman.Limits.NofileHard, EngineDifferences.PodmanDefaultNofile)
                    && Grantable("nproc", podman.Limits.NprocHard, EngineDifferences.PodmanNprocCeiling))
                .Label($"{podman.Limits}: {string.Join(", ", adapted.Ulimits)}");
        });

    [Property(MaxTest = 300)]
    public Property Bind_mounts_are_relabelled_exactly_where_selinux_enforces() =>
        Prop.ForAll(PlansOnEngines(), t =>
        {
            var (input, traits) = t;
            var (adapted, _) = EngineDifferences.Adapt(SpecOf(input), traits);
            return (traits.SelinuxEnforcing
                    ? adapted.Mounts.ForAll(m => m.Relabel != Relabel.None)
                    : adapted.Mounts.ForAll(m => m.Relabel == Relabel.None))
                .Label(string.Join(", ", adapted.Mounts.Map(m => $"{m.Target}:{m.Relabel}")));
        });

    [Property(MaxTest = 300)]
    public Property The_engine_model_carries_podmans_log_driver_userns_and_empty_tmpfs() =>
        Prop.ForAll(PlansOnEngines(), t =>
        {
            var (input, traits) = t;
            var (adapted, options) = EngineDifferences.Adapt(SpecOf(input), traits);
            var p = Boinc.Persist.TestSupport.CreateBodies.Parameters(adapted, "img:1", options);
            var h = p.HostConfig!;
            var podman = traits.Kind == EngineKind.Podman;
            var relabelled = h.Binds!.Count == adapted.Mounts.Count(m => m.Relabel != Relabel.None)
                             && h.Binds.All(b => b.EndsWith(",z", StringComparison.Ordinal) || b.EndsWith(",Z", StringComparison.Ordinal));
            return (relabelled
                    && (podman ? h.LogConfig?.Type == "k8s-file" : h.LogConfig?.Type == "json-file" && h.LogConfig.Config["max-file"] == "2")
                    && h.LogConfig.Config["max-size"] == "10m"
                    && (podman && traits.Rootless ? h.UsernsMode == "keep-id" : string.IsNullOrEmpty(h.UsernsMode))
                    && h.Tmpfs!.Values.All(o => o.Contains("notmpcopyup", StringComparison.Ordinal) == podman)
                    && h.Ulimits!.Count == adapted.Ulimits.Count)
                .Label($"{traits}: log {h.LogConfig?.Type}, userns {h.UsernsMode}, tmpfs {string.Join(" ", h.Tmpfs!.Values)}");
        });

    [Property(MaxTest = 200)]
    public Property Podmans_long_image_names_are_the_names_we_gave() =>
        Prop.ForAll(Arb.From(ImageNameGen()), name =>
            (EngineDifferences.SameImage("localhost/" + name, name)
             && EngineDifferences.SameImage(name, "docker.io/" + name)
             && EngineDifferences.ShortImageName("localhost/" + name) == name
             && EngineDifferences.ShortImageName(EngineDifferences.ShortImageName(name)) == EngineDifferences.ShortImageName(name)
             && !EngineDifferences.SameImage("localhost/" + name, name + "-other"))
            .Label(name));

    [Fact]
    public void Only_rootless_podman_on_cgroup_v1_cannot_pause()
    {
        var limits = HostLimits.Unlimited;
        Assert.False(new EngineTraits(EngineKind.Podman, true, false, 1, limits).CanPause);
        Assert.True(new EngineTraits(EngineKind.Podman, true, false, 2, limits).CanPause);
        Assert.True(new EngineTraits(EngineKind.Podman, false, false, 1, limits).CanPause);
        Assert.True(new EngineTraits(EngineKind.Docker, true, false, 1, limits).CanPause);
    }

    [Fact]
    public void The_product_and_rootless_are_read_from_what_both_engines_report()
    {
        Assert.Equal(EngineKind.Podman, EngineDifferences.KindFrom("", new[] { "Podman Engine", "Conmon" }.ToSeq()));
        Assert.Equal(EngineKind.Docker, EngineDifferences.KindFrom("Docker Engine - Community", new[] { "Engine", "containerd", "runc" }.ToSeq()));
        Assert.True(EngineDifferences.RootlessFrom(new[] { "name=seccomp,profile=default", "name=rootless" }.ToSeq()));
        Assert.False(EngineDifferences.RootlessFrom(new[] { "name=seccomp,profile=default", "name=cgroupns" }.ToSeq()));
    }

    [Fact]
    public void The_sandbox_case_podman_default_limits_are_lowered_to_what_the_host_grants()
    {
        var u = EngineDifferences.PodmanUlimits(Seq<Ulimit>.Empty, new HostLimits(20000L, 96365L));

        Assert.Equal(new[] { new Ulimit("nofile", 20000, 20000), new Ulimit("nproc", 32768, 32768) }, u);
    }

    [Fact]
    public void A_jobs_own_ulimit_wins()
    {
        var asked = new[] { new Ulimit("nofile", 64, 128) }.ToSeq();

        var u = EngineDifferences.PodmanUlimits(asked, new HostLimits(20000L, 96365L));

        Assert.Equal(new[] { new Ulimit("nofile", 64, 128), new Ulimit("nproc", 32768, 32768) }, u);
    }
}
