using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Verification.Model;
using Boinc.Persist.Core;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.DiskBudget;

using Budget = Boinc.Persist.Core.Checkpoints.DiskBudget;

/// <summary>
/// The checkpoint store's budget against rsc_disk_bound (issue 16 point 8): a commit the budget allows never puts
/// the slot past the bound by the store's doing, the newest committed generation is never retired before a newer
/// one is sealed, a commit is refused only when the newest generation and the new one cannot both fit, and
/// retiring generations is crash-safe on the model file system.
/// </summary>
public class DiskBudgetProperties
{
    private static Arbitrary<DiskBudgetInput> Inputs => Arb.From(Generators.DiskBudgetInputGen());

    /// <summary>What the slot holds at the peak of an allowed commit: everything counted, the kept generations and the new one.</summary>
    private static long Peak(DiskBudgetInput i, DiskBudgetDecision d)
    {
        var listed = i.Current.Generations.Sum(g => g.TotalBytes);
        var stay = i.Current.Generations.Filter(g => !d.RetireFirst.Contains(g.Number)).Sum(g => g.TotalBytes);
        var otherStore = System.Math.Max(0, i.Usage.StoreBytes - listed);
        var manifests = i.ManifestBytes + Budget.ManifestHeaderBytes + i.NewNameBytes + i.NewFiles * Budget.ManifestLineBytes;
        return i.Usage.JobBytes + otherStore + manifests + stay + i.NewBytes;
    }

    [Property(MaxTest = 2000)]
    public Property An_allowed_commit_never_takes_the_slot_past_the_bound_minus_the_margin() =>
        Prop.ForAll(Inputs, i =>
        {
            var d = Budget.Decide(i);
            return (!d.Commit || !Budget.HasLimit(i.BoundBytes) || Peak(i, d) + d.MarginBytes <= Budget.BoundBytes(i.BoundBytes))
                .Label($"peak {Peak(i, d)} + margin {d.MarginBytes} vs bound {i.BoundBytes}");
        });

    [Property(MaxTest = 2000)]
    public Property The_newest_generation_is_never_retired_before_the_commit_and_at_least_one_is_kept() =>
        Prop.ForAll(Inputs, i =>
        {
            var d = Budget.Decide(i);
            var newestKept = i.Current.Latest.Map(l => !d.RetireFirst.Contains(l.Number)).IfNone(true);
            return (newestKept && d.KeepAfter >= 1 && d.KeepAfter <= System.Math.Max(1, i.Keep)
                    && d.RetireFirst.ForAll(n => i.Current.Generations.Exists(g => g.Number == n)))
                .Label($"retire [{string.Join(",", d.RetireFirst)}] keepAfter {d.KeepAfter}");
        });

    [Property(MaxTest = 2000)]
    public Property A_commit_is_refused_only_when_the_newest_generation_and_the_new_one_cannot_both_fit() =>
        Prop.ForAll(Inputs, i =>
        {
            var d = Budget.Decide(i);
            var minimal = d with { RetireFirst = i.Current.Generations.Take(System.Math.Max(0, i.Current.Generations.Count - 1)).Map(g => g.Number).ToSeq() };
            var fitsMinimal = !Budget.HasLimit(i.BoundBytes) || Peak(i, minimal) + Budget.Margin(i.BoundBytes) <= Budget.BoundBytes(i.BoundBytes);
            return (d.Commit == fitsMinimal && (d.Commit || d.Note.IsSome)).Label($"commit {d.Commit}, minimal fits {fitsMinimal}");
        });

    [Property(MaxTest = 2000)]
    public Property Fewer_generations_than_job_toml_asks_are_always_said_in_the_log() =>
        Prop.ForAll(Inputs, i =>
        {
            var d = Budget.Decide(i);
            // Fewer than the store would otherwise hold: keep, or as many as it has plus the new one (a first commit
            // keeps one, and says nothing of it).
            var fewer = d.KeepAfter < System.Math.Min(System.Math.Max(1, i.Keep), i.Current.Generations.Count + 1) || !d.RetireFirst.IsEmpty;
            return (!d.Commit || !fewer || d.Note.Map(n => n.Contains($"kept {d.KeepAfter} generation") && n.Contains("rsc_disk_bound")).IfNone(false))
                .Label(d.Note.IfNone("(no note)"));
        });

    [Property(MaxTest = 500)]
    public Property Without_a_bound_the_budget_changes_nothing() =>
        Prop.ForAll(Inputs, i =>
        {
            var d = Budget.Decide(i with { BoundBytes = 0 });
            return d.Commit && d.RetireFirst.IsEmpty && d.KeepAfter == i.Keep && d.Note.IsNone;
        });

    [Fact]
    public void The_issue_example_a_checkpoint_a_third_of_the_bound_is_committed_with_one_generation_kept()
    {
        // Given rsc_disk_bound 400 MB, the job's own files 100 MB (its checkpoint file), one generation of 100 MB
        const long mb = 1 << 20;
        var gen = new Generation(1, 0, 1, 0.1, "docker", Seq1(new StoredFile(0, "state.bin", 100 * mb, new string('a', 64))));
        var input = new DiskBudgetInput(400.0 * mb, new SlotUsage(100 * mb, 100 * mb + 500, true), new Manifest(Seq1(gen)), 100 * mb, 1, 9, 500, 2);

        // When the next 100 MB checkpoint is to be committed
        var d = Budget.Decide(input);

        // Then it is committed beside generation 1, and only the new one is kept after the seal (the log says why)
        Assert.True(d.Commit);
        Assert.True(d.RetireFirst.IsEmpty);
        Assert.Equal(1, d.KeepAfter);
        Assert.Contains("kept 1 generation instead of 2: rsc_disk_bound 400.00 MB", d.Note.IfNone(""));

        // And with a 300 MB bound the newest and the new one cannot both be there: refused, generation 1 stays
        var refused = Budget.Decide(input with { BoundBytes = 300.0 * mb });
        Assert.False(refused.Commit);
        Assert.True(refused.RetireFirst.IsEmpty);
        Assert.Contains("generation 1 (100.00 MB) and the new checkpoint cannot both be in the slot", refused.Note.IfNone(""));
    }

    [Fact]
    public void Retire_refuses_the_newest_generation_and_generations_the_store_does_not_have()
    {
        var store = CoreProtocolStore.Observe(Packed(ModelFs.Empty(), 2).Item1);
        Assert.True(Budget.Retire(store, Seq1(2L)).IsFail);
        Assert.True(Budget.Retire(store, Seq1(7L)).IsFail);
        Assert.True(Budget.Retire(store, Seq1(1L)).IsSucc);
    }

    /// <summary>
    /// Retiring packs on the model file system, crashed after every operation with every subset of the pending ones
    /// (and each write torn): the newest generation's pack always verifies, and every pack still there verifies (a
    /// retirement removes whole packs, never part of one).
    /// </summary>
    [Property(MaxTest = 60)]
    public Property Retiring_generations_is_crash_safe_wherever_the_host_crashes() =>
        Prop.ForAll(Arb.From(Gen.Choose(2, 4).SelectMany(n => Gen.Choose(1, n - 1).Select(r => (n, r)))), t =>
        {
            var (count, retire) = t;
            var (fs, gens) = Packed(ModelFs.Empty(), count);
            fs = fs.Sync();
            var numbers = gens.Take(retire).Map(g => g.Number).ToSeq();
            var plan = Budget.Retire(CoreProtocolStore.Observe(fs), numbers).IfFail(default((Manifest, Seq<FsEffect>)));
            if (plan.Item1.Generations.Count != count - retire) return false.Label("the plan keeps the wrong generations");
            for (var k = 0; k <= plan.Item2.Count; k++)
            {
                var at = fs.Run(plan.Item2, k).Fs;
                foreach (var c in CrashStates.Choose(at, new CrashBounds(10, 16, 16), (ulong)k))
                {
                    var crashed = c.Apply(at);
                    var packs = CoreProtocolStore.Observe(crashed, ranges: true).Packs;
                    var broken = packs.Find(p => PackFormat.Verify(p).IsSome);
                    if (broken.IsSome) return false.Label($"after {k} effects: generation {broken.Map(p => p.Number)} is there but does not verify");
                    if (!packs.Exists(p => p.Number == count)) return false.Label($"after {k} effects: the newest generation is gone");
                }
            }

            return true.ToProperty();
        });

    /// <summary>A store of <paramref name="count"/> packs, each holding one file "abc".</summary>
    private static (ModelFs, Seq<Generation>) Packed(ModelFs fs, int count)
    {
        var gens = Enumerable.Range(1, count).Select(k => new Generation(k, k, k, 0, "e",
            Seq1(new StoredFile(0, "s.bin", 3, CoreProtocolStore.Facts("abc").Digest)))).ToSeq();
        var setup = new FsEffect[] { new FsEffect.CreateDir(StoreLayout.StateDirName), new FsEffect.CreateDir(StoreLayout.StoreDir), new FsEffect.WriteFile("s.bin", "abc") }.ToSeq()
            .Then(gens.Bind(g => new FsEffect[] { new FsEffect.PackFiles(Seq1("s.bin"), StoreLayout.PackPath(g.Number)),
                new FsEffect.AppendText(StoreLayout.PackPath(g.Number), PackFormat.Tail(g)) }.ToSeq()));
        return (fs.Run(setup).Fs, gens);
    }

    private static Seq<T> Seq1<T>(T x) => new[] { x }.ToSeq();

    private static Seq<FsEffect> Seq(params FsEffect[] xs) => xs.ToSeq();

    /// <summary>
    /// The result's output files in the project directory count toward the bound (the client adds them to the
    /// slot): more output bytes never let the budget keep more generations or commit where it refused, and the
    /// job's share grows by exactly those bytes (saturating, never negative).
    /// </summary>
    [Property(MaxTest = 500)]
    public Property Output_files_only_tighten_the_budget() =>
        Prop.ForAll(Inputs, Arb.From(Gen.Choose(0, 1 << 30).Select(x => (long)x * 8)), (input, outputs) =>
        {
            var without = Budget.Decide(input);
            var withOut = Budget.Decide(input with { Usage = input.Usage.WithOutputs(outputs) });
            var share = input.Usage.WithOutputs(outputs).JobBytes;
            // KeepAfter means something only for a commit (a refusal keeps what it keeps).
            return (!withOut.Commit || withOut.KeepAfter <= without.KeepAfter).Label($"keep {withOut.KeepAfter} <= {without.KeepAfter}")
                .And((!withOut.Commit || without.Commit).Label("commits only where it would without outputs"))
                .And((share == (input.Usage.JobBytes > long.MaxValue - outputs ? long.MaxValue : input.Usage.JobBytes + outputs)).Label("share"))
                .And((input.Usage.WithOutputs(-outputs).JobBytes == input.Usage.JobBytes).Label("negative counts 0"));
        });
}
