#if F_LE
using System;
using System.Linq;
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace Floor;

internal sealed record SlotId(int Value);
internal sealed record ImageRef(string Repo, string Tag);
internal sealed record Mount(string Source, string Target, bool ReadOnly);
internal sealed record Limit(string Name, long Soft, long Hard);
internal sealed record ContainerSpec(string Name, ImageRef Image, Seq<Mount> Mounts, Lst<Limit> Limits, Map<string, string> Env);
internal sealed record SlotConfig(SlotId Id, string Project, Option<ContainerSpec> Spec);
internal sealed record Observation(string Id, string Status, int ExitCode);
internal sealed record PlanStep(string Verb, string Target);
internal sealed record Plan(SlotId Slot, Seq<PlanStep> Steps);

internal abstract record Phase
{
    public sealed record Idle : Phase;
    public sealed record Running(Observation Seen) : Phase;
    public sealed record Done(int ExitCode) : Phase;
}

internal static class LeWork
{
    public static string Run()
    {
        var slots = toSeq(Enumerable.Range(0, 12).Select(MakeSlot)).Strict();
        var byProject = toMap(slots.Map(s => (s.Project + "#" + s.Id.Value, s)));
        var limits = List(new Limit("nofile", 1024, 4096), new Limit("nproc", 256, 512), new Limit("core", 0, 0));

        // LINQ over Seq, Map values and Lst.
        var withSpec = (from s in slots
                        where s.Spec.IsSome
                        from spec in s.Spec.ToSeq()
                        where spec.Mounts.Exists(m => !m.ReadOnly)
                        select (s.Id, spec.Image.Tag)).ToSeq().Strict();
        var projects = byProject.Values.GroupBy(s => s.Project).Select(g => (g.Key, g.Count())).OrderBy(p => p.Key).ToList();
        var hardSum = limits.Where(l => l.Hard > 0).Select(l => l.Hard).Sum();

        // Either/Option monadic LINQ.
        var plans = slots.Map(s =>
            from spec in s.Spec.ToEither(Error.New("no spec for " + s.Id.Value))
            from obs in Observe(s.Id)
            from plan in PlanFor(s.Id, spec, obs)
            select plan).Strict();
        var ok = plans.Rights().Strict();
        var bad = plans.Lefts().Map(e => e.Message).Strict();
        var steps = ok.Fold(0, (n, p) => n + p.Steps.Count);

        var phases = slots.Map(s => Observe(s.Id).Match<Phase>(
            o => o.Status == "running" ? new Phase.Running(o) : new Phase.Done(o.ExitCode),
            _ => new Phase.Idle())).Strict();
        var running = phases.Filter(p => p is Phase.Running).Count;

        var found = byProject.Find("proj-1#1").Bind(s => s.Spec).Map(s => s.Env.Count).IfNone(-1);
        var updated = byProject.AddOrUpdate("extra#99", MakeSlot(99)).Filter(s => s.Spec.IsNone).Count;
        var lst2 = limits.Add(new Limit("stack", 8192, 8192)).Filter(l => l.Soft > 0).Map(l => l.Name);

        // Generic instantiations over the record types.
        var g = Exercise(new SlotId(1), x => x.Value.ToString())
              + Exercise(new ImageRef("debian", "12"), x => x.Tag)
              + Exercise(new Mount("a", "/a", true), x => x.Target)
              + Exercise(new Limit("nofile", 1, 2), x => x.Name)
              + Exercise(slots.Head, x => x.Project)
              + Exercise(new Observation("id", "running", 0), x => x.Id)
              + Exercise(new PlanStep("start", "c"), x => x.Verb)
              + Exercise(ok.HeadOrNone().IfNone(new Plan(new SlotId(0), LanguageExt.Seq<PlanStep>.Empty)), x => x.Slot.Value.ToString())
              + Exercise<Phase>(new Phase.Idle(), x => x.GetType().Name);

        return $"{slots.Count}/{withSpec.Count}/{projects.Count}/{hardSum}/{ok.Count}/{bad.Count}/{steps}/{running}/{found}/{updated}/{lst2.Count}/{g}";
    }

    private static SlotConfig MakeSlot(int i)
    {
        var mounts = Seq(new Mount("shared", "/app/shared", true), new Mount("slot" + i, "/app/slot", i % 3 == 0));
        var env = Map(("LANG", "C.UTF-8"), ("SLOT", i.ToString()));
        var spec = i % 4 == 3
            ? None
            : Some(new ContainerSpec("c" + i, new ImageRef("debian", i % 2 == 0 ? "12" : "13"), mounts,
                List(new Limit("nofile", 1024, 4096)), env));
        return new SlotConfig(new SlotId(i), "proj-" + (i % 3), spec);
    }

    private static Either<Error, Observation> Observe(SlotId id) =>
        id.Value % 5 == 4
            ? Left<Error, Observation>(Error.New("gone " + id.Value))
            : Right<Error, Observation>(new Observation("c" + id.Value, id.Value % 2 == 0 ? "running" : "exited", id.Value % 2));

    private static Either<Error, Plan> PlanFor(SlotId id, ContainerSpec spec, Observation obs)
    {
        var steps = obs.Status == "running"
            ? Seq1(new PlanStep("keep", spec.Name))
            : spec.Mounts.Map(m => new PlanStep("mount", m.Target)).Add(new PlanStep("start", spec.Name));
        return steps.IsEmpty ? Left<Error, Plan>(Error.New("empty")) : Right<Error, Plan>(new Plan(id, steps));
    }

    private static int Exercise<T>(T x, Func<T, string> key) where T : notnull
    {
        var seq = Seq(x, x, x).Map(v => v).Filter(v => key(v).Length >= 0);
        var opt = Some(x).Filter(v => v.Equals(x));
        var none = Option<T>.None;
        var map = Map((key(x), x)).AddOrUpdate("other", x);
        var lst = List(x).Add(x);
        Either<Error, T> right = x;
        var either = right.Map(v => key(v)).MapLeft(e => e.Message);
        var q = from a in opt from b in map.Find("other") select key(a) + key(b);
        return seq.Count + opt.Count() + none.Count() + map.Count + lst.Count
             + either.Match(s => s.Length, _ => 0) % 3 + q.Map(s => s.Length % 2).IfNone(0)
             + seq.Fold(0, (n, v) => n + (v.GetHashCode() & 1));
    }
}
#endif
