using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Config;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Shell.Checkpoints;

/// <summary>A committed generation as the wrapper reports it.</summary>
public sealed record GenerationInfo(long Number, DateTimeOffset CommittedAt, double CpuTimeSeconds, double FractionDone, long Bytes, int Files, string EngineIdentity)
{
    public static GenerationInfo Of(Generation g) =>
        new(g.Number, DateTimeOffset.FromUnixTimeMilliseconds(g.CommittedAtUnixMs), g.CpuTimeSeconds, g.FractionDone, g.TotalBytes, g.Files.Count, g.EngineIdentity);
}

/// <summary>What <see cref="CheckpointStore.Recover"/> did: the generation restarted from (None: from zero), the CPU time to report, and why.</summary>
public sealed record RecoveryReport(
    Option<GenerationInfo> Chosen,
    double CpuTimeSeconds,
    double FractionDone,
    Seq<string> Restored,
    Seq<string> Removed,
    Seq<Rejected> Rejected,
    string Why,
    Option<string> RestoreError);

/// <summary>One line of <c>boinc-persist checkpoints</c>: a generation and whether its stored files verify.</summary>
public sealed record GenerationStatus(GenerationInfo Info, Option<string> Problem);

/// <summary>
/// The checkpoint store of one slot, the wrapper's facade over Core's protocols: read the disk, ask Core,
/// run the effects with <see cref="DiskEffects"/>. Commit acknowledges (returns) only after the generation is
/// durable. Not for concurrent use by several processes (the wrapper holds the slot lock).
/// </summary>
public sealed class CheckpointStore
{
    private readonly object gate = new();
    private readonly ProtocolVariant variant;

    private CheckpointStore(string slotDir, CheckpointConfig config, TimeProvider time, ProtocolVariant variant)
    {
        SlotDir = slotDir;
        Config = config;
        Time = time;
        this.variant = variant;
        Latest = ReadManifest().Bind(m => m.Latest).Map(GenerationInfo.Of);
    }

    public string SlotDir { get; }

    public CheckpointConfig Config { get; }

    public TimeProvider Time { get; }

    /// <summary>The newest generation the manifest lists (set by Recover and Commit).</summary>
    public Option<GenerationInfo> Latest { get; private set; }

    public static CheckpointStore Open(string slotDir, CheckpointConfig config, TimeProvider time) =>
        new(Path.GetFullPath(slotDir), config, time, ProtocolVariant.Correct);

    /// <summary>For the crash tests only: a store running one of the deliberately broken protocols.</summary>
    internal static CheckpointStore OpenWithVariant(string slotDir, CheckpointConfig config, TimeProvider time, ProtocolVariant variant) =>
        new(Path.GetFullPath(slotDir), config, time, variant);

    public RecoveryReport Recover()
    {
        lock (gate)
        {
            var state = ObserveStore();
            var stored = StoredFiles();
            var work = WorkFiles().Fold(HashMap<string, FileFacts>.Empty, (m, n) => m.AddOrUpdate(n, DiskEffects.Facts(Path.Combine(SlotDir, n))));
            var d = Recovery.Decide(new RecoveryInput(state, stored, work));
            var ran = DiskEffects.Run(SlotDir, d.Effects);
            var why = ran.Match(_ => d.Why, e => $"{d.Why}; RESTORE FAILED: {e.Message}");
            // What BOINC hears as checkpoint CPU time: the generation we restart from, not a newer rejected one.
            Latest = d.Chosen.Map(GenerationInfo.Of);
            return new RecoveryReport(d.Chosen.Map(GenerationInfo.Of), d.CpuTimeSeconds, d.FractionDone, d.Restored, d.Removed, d.RejectedGenerations, why,
                ran.Match(_ => Option<string>.None, e => Option<string>.Some(e.Message)));
        }
    }

    /// <summary>
    /// Commit the declared files as generation N+1. Returns only once the generation is durable (then BOINC may
    /// be told). An error (ENOSPC included) names the file and leaves the previous generations intact.
    /// </summary>
    public Fin<GenerationInfo> Commit(double cpuTimeSeconds, double fractionDone, string engineIdentity)
    {
        lock (gate)
        {
            var files = WorkFiles();
            var stage = CommitProtocol.Stage(ObserveStore(), files, variant);
            if (stage.IsFail) return stage.Map(_ => default(GenerationInfo)!);
            var plan = stage.IfFail(default(StagePlan)!);
            var staged = DiskEffects.Run(SlotDir, plan.Effects);
            if (staged.IsFail) return Abandon(plan, staged);

            var facts = plan.Files.Select((_, i) => DiskEffects.Facts(DiskEffects.Resolve(SlotDir, StoreLayout.StoredFile(plan.Number, i)))).ToSeq();
            var seal = CommitProtocol.Seal(plan, facts,
                new CommitFacts(cpuTimeSeconds, fractionDone, engineIdentity, Time.GetUtcNow().ToUnixTimeMilliseconds()), Config.Keep, variant);
            if (seal.IsFail) return Abandon(plan, seal.Map(_ => Unit.Default));
            var s = seal.IfFail(default(SealPlan)!);
            var durable = DiskEffects.Run(SlotDir, s.Durable);
            if (durable.IsFail) return Abandon(plan, durable);

            var info = GenerationInfo.Of(s.Generation);
            Latest = info;
            // Retention failing leaves old generations as strays, which the next commit removes; the commit stands.
            var retention = DiskEffects.Run(SlotDir, s.Retention);
            RetentionProblem = retention.Match(_ => Option<string>.None, e => Option<string>.Some(e.Message));
            return info;
        }
    }

    /// <summary>Why the last commit's retention failed, if it did (the commit itself stood).</summary>
    public Option<string> RetentionProblem { get; private set; }

    /// <summary>
    /// Every generation the manifest lists, newest first, each verified against its stored files. Another process
    /// (the wrapper, while `checkpoints` runs) may commit and prune meanwhile: a read that raced with it (a file
    /// gone, or a manifest that changed during the read) is done again, and after repeated races it is an error.
    /// </summary>
    public Fin<Seq<GenerationStatus>> List()
    {
        lock (gate)
        {
            const int attempts = 20;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    // MANIFEST only: it is replaced by rename, never opened for writing, so reading it cannot get
                    // in the way of a commit (MANIFEST.tmp and the generation being written are the writer's).
                    var text = ReadText(StoreLayout.ManifestPath);
                    if (text.IsNone) return Seq<GenerationStatus>.Empty;
                    var manifest = text.Map(ManifestText.Parse).IfNone(Fin<Manifest>.Succ(Manifest.Empty));
                    if (manifest.IsFail) return manifest.Map(_ => Seq<GenerationStatus>.Empty);
                    var m = manifest.IfFail(Manifest.Empty);

                    // Only the listed generations: a generation being written is not ours to open (its writer must
                    // not find our read handles in the way), and listed ones are never rewritten, only deleted.
                    var listed = m.Generations.Map(g => Path.GetFileName(StoreLayout.GenerationDir(g.Number))).ToHashSet();
                    var stored = StoredFiles(name => listed.Contains(name));
                    if (ReadText(StoreLayout.ManifestPath) != text)
                        throw new IOException("the manifest changed while the store was read");
                    return m.Generations.Reverse().Map(g => new GenerationStatus(GenerationInfo.Of(g), Recovery.Verify(g, stored))).ToSeq();
                }
                catch (IOException) when (attempt < attempts)
                {
                    System.Threading.Thread.Sleep(25);
                }
                catch (IOException e)
                {
                    return Error.New($"the checkpoint store in {SlotDir} kept changing while it was read ({e.Message}); try again");
                }
            }
        }
    }

    /// <summary>WORKDIR-relative names of the files matching the [checkpoint] patterns, sorted.</summary>
    public Seq<string> WorkFiles()
    {
        var found = new List<string>();
        void Walk(string dir, string rel)
        {
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                var name = rel.Length == 0 ? entry.Name : rel + "/" + entry.Name;
                if (StoreLayout.IsWrapperPath(name)) continue;
                if (entry is DirectoryInfo d && d.LinkTarget is null) Walk(d.FullName, name);
                // Regular files only: a symlink the app (or an attacker in the container) made would point into
                // the host's file system, which the wrapper must never read into a generation.
                else if (entry is FileInfo f && f.LinkTarget is null && Globs.MatchesAny(Config.Files, name)) found.Add(name);
            }
        }

        Walk(SlotDir, "");
        return found.OrderBy(n => n, StringComparer.Ordinal).ToSeq();
    }

    private Fin<GenerationInfo> Abandon(StagePlan plan, Fin<Unit> failure)
    {
        // The half-written generation is not in the manifest: remove it now so a full disk gets its space back.
        var cleanup = DiskEffects.Run(SlotDir, new FsEffect.DeleteTree(StoreLayout.GenerationDir(plan.Number)));
        return failure.Match(
            _ => Fin<GenerationInfo>.Fail(Error.New("commit failed")),
            e => Fin<GenerationInfo>.Fail(Error.New(e.Code,
                $"checkpoint commit of generation {plan.Number} failed: {e.Message}; the previous generation is intact" +
                cleanup.Match(_ => "", c => $" (cleanup failed too: {c.Message})"))));
    }

    private StoreState ObserveStore()
    {
        var store = DiskEffects.Resolve(SlotDir, StoreLayout.StoreDir);
        if (!Directory.Exists(store)) return StoreState.Missing;
        var gens = new DirectoryInfo(store).EnumerateDirectories().Select(d => StoreLayout.ParseGenerationDirName(d.Name)).Somes().OrderBy(n => n).ToSeq();
        return new StoreState(true, ReadText(StoreLayout.ManifestPath), ReadText(StoreLayout.TempManifestPath), gens);
    }

    private Option<Manifest> ReadManifest() =>
        ReadText(StoreLayout.ManifestPath).Bind(t => ManifestText.Parse(t).ToOption());

    private Option<string> ReadText(string relative)
    {
        var path = DiskEffects.Resolve(SlotDir, relative);
        return File.Exists(path) ? File.ReadAllText(path) : Option<string>.None;
    }

    private HashMap<string, FileFacts> StoredFiles() => StoredFiles(_ => true);

    private HashMap<string, FileFacts> StoredFiles(Func<string, bool> generationDir)
    {
        var store = DiskEffects.Resolve(SlotDir, StoreLayout.StoreDir);
        var map = HashMap<string, FileFacts>.Empty;
        if (!Directory.Exists(store)) return map;
        foreach (var dir in new DirectoryInfo(store).EnumerateDirectories().Where(d => StoreLayout.ParseGenerationDirName(d.Name).IsSome && generationDir(d.Name)))
            foreach (var f in dir.EnumerateFiles())
                map = map.AddOrUpdate($"{StoreLayout.StoreDir}/{dir.Name}/{f.Name}", DiskEffects.Facts(f.FullName));
        return map;
    }
}
