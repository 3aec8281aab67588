using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Confinement;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Slots;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Shell.Checkpoints;

/// <summary>A committed generation as the wrapper reports it.</summary>
public sealed record GenerationInfo(long Number, DateTimeOffset CommittedAt, long CpuNanos, double FractionDone, long Bytes, int Files, string EngineIdentity)
{
    public static GenerationInfo Of(Generation g) =>
        new(g.Number, DateTimeOffset.FromUnixTimeMilliseconds(g.CommittedAtUnixMs), g.CpuNanos, g.FractionDone, g.TotalBytes, g.Files.Count, g.EngineIdentity);
}

/// <summary>What <see cref="CheckpointStore.Recover"/> did: the generation restarted from (None: from zero), the CPU time to report, and why.</summary>
public sealed record RecoveryReport(
    Option<GenerationInfo> Chosen,
    long CpuNanos,
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
public sealed class CheckpointStore : IDisposable
{
    /// <summary>
    /// The error code of a commit abandoned because an app file changed while it was copied (its size, mtime,
    /// ctime or inode differed before and after, or the set of matching files changed): nothing is wrong with
    /// the store, the app was writing its next checkpoint; commit again later.
    /// </summary>
    public const int ChangedWhileCopiedCode = 0x4250_0001;

    /// <summary>Largest format-1 MANIFEST the store reads (a manifest lists a few generations of a few thousand files).</summary>
    public const int MaxManifestBytes = 64 << 20;

    private readonly object gate = new();
    private readonly ProtocolVariant variant;
    private readonly ISlotFiles slot;
    private readonly bool ownsSlot;
    private readonly bool retireAside;

    // The retention of the last commit when it runs aside (see Commit), and what it found.
    private System.Threading.Tasks.Task? retiring;
    private volatile string? retentionProblem;

    // The packs' trailers as this store last read (or wrote) them, by number, with the identity (inode, size, mtime,
    // ctime) the pack had then. A commit's observation, which needs the trailers only, stats each pack and reads again
    // only one that is new or changed; only this process writes the store (the slot lock; the store is hidden from
    // the container). Recovery and List read every pack whole, as before, and refresh this.
    private readonly Dictionary<long, (FileIdentity Identity, PackSeen Seen)> trailers = new();

    private CheckpointStore(ISlotFiles slot, bool ownsSlot, CheckpointConfig config, TimeProvider time, ProtocolVariant variant)
    {
        this.slot = slot;
        this.ownsSlot = ownsSlot;
        // On the real disk (the wrapper's own store) retention runs aside; the model's accessor is single-threaded
        // and counts operations for its kills, so there it runs in line, in the same order.
        retireAside = ownsSlot;
        SlotDir = slot.Root;
        Config = config;
        Time = time;
        this.variant = variant;
        Latest = ReadCurrent().Bind(m => m.Latest).Map(GenerationInfo.Of);
    }

    public string SlotDir { get; }

    public CheckpointConfig Config { get; }

    public TimeProvider Time { get; }

    /// <summary>The slot accessor every file operation of the store goes through.</summary>
    public ISlotFiles Slot => slot;

    /// <summary>The store's newest generation (set by Recover and Commit).</summary>
    public Option<GenerationInfo> Latest { get; private set; }

    /// <summary>The store of a slot directory on the real disk (its own <see cref="SlotFiles"/>, closed by Dispose).</summary>
    public static CheckpointStore Open(string slotDir, CheckpointConfig config, TimeProvider time) =>
        new(SlotFiles.Open(slotDir), ownsSlot: true, config, time, ProtocolVariant.Correct);

    /// <summary>The store over any slot accessor (the model file system's, under crash simulation); the caller keeps it.</summary>
    public static CheckpointStore Open(ISlotFiles slot, CheckpointConfig config, TimeProvider time, ProtocolVariant variant = ProtocolVariant.Correct) =>
        new(slot, ownsSlot: false, config, time, variant);

    /// <summary>For the crash tests only: a store running one of the deliberately broken protocols.</summary>
    internal static CheckpointStore OpenWithVariant(string slotDir, CheckpointConfig config, TimeProvider time, ProtocolVariant variant) =>
        new(SlotFiles.Open(slotDir), ownsSlot: true, config, time, variant);

    /// <summary>Whether a commit error is <see cref="ChangedWhileCopiedCode"/>: retry later, nothing is broken.</summary>
    public static bool IsRetryable(Error e) => e.Code == ChangedWhileCopiedCode;

    public void Dispose()
    {
        lock (gate)
            AwaitRetention();
        if (ownsSlot && slot is IDisposable d)
            d.Dispose();
    }

    /// <summary>Wait for the last commit's retention if it runs aside: every operation on the store starts with this.</summary>
    private void AwaitRetention()
    {
        var t = retiring;
        if (t is null) return;
        retiring = null;
        t.Wait();
    }

    public RecoveryReport Recover()
    {
        lock (gate)
        {
            AwaitRetention();
            var state = Observe(ranges: true);
            var stored = StoredFiles();
            // A work file that cannot be read as a regular file (swapped for a FIFO or a link since the listing)
            // counts as missing: the restore renames the stored copy over its name.
            var work = WorkFiles().Fold(HashMap<string, FileFacts>.Empty, (m, n) => WorkFacts(n, state.WorkDigestKind(n)).Match(f => m.AddOrUpdate(n, f), () => m));
            var d = Recovery.Decide(new RecoveryInput(state, stored, work), variant);
            var ran = RestoreTargets.Refusal(d.Effects).Match(
                why => Fin<Unit>.Fail(Error.New($"restore refused: {why}")),
                () => DiskEffects.Run(slot, d.Effects));
            var why = ran.Match(_ => d.Why, e => $"{d.Why}; RESTORE FAILED: {e.Message}");
            // What BOINC hears as checkpoint CPU time: the generation we restart from, not a newer rejected one.
            Latest = d.Chosen.Map(GenerationInfo.Of);
            return new RecoveryReport(d.Chosen.Map(GenerationInfo.Of), d.CpuNanos, d.FractionDone, d.Restored, d.Removed, d.RejectedGenerations, why,
                ran.Match(_ => Option<string>.None, e => Option<string>.Some(e.Message)));
        }
    }

    /// <summary>
    /// Recovery of the store alone, which the wrapper runs at EVERY start before anything is decided (re-attach
    /// and the no-generation case included): the store's names made durable (the slot, the state directory, the
    /// store), every pack verified against its trailer, the newest that verifies made durable (a killed commit may
    /// have left it visible only) and the packs newer than it removed (torn commits; store format 1 is read as
    /// <see cref="Recovery"/> says when no pack verifies). WORKDIR is not
    /// touched (a running app's files are its own). <see cref="RecoveryReport.Chosen"/> is durable when
    /// <see cref="RecoveryReport.RestoreError"/> is None; the protocol variant (model-check's broken recoveries)
    /// applies here as in <see cref="Recover"/>.
    /// </summary>
    public RecoveryReport RecoverStore()
    {
        lock (gate)
        {
            AwaitRetention();
            var d = Recovery.DecideStore(Observe(ranges: true), StoredFiles(), variant);
            var ran = DiskEffects.Run(slot, d.Effects);
            var chosen = ran.IsSucc ? d.Chosen.Map(GenerationInfo.Of) : Option<GenerationInfo>.None;
            Latest = chosen;
            return new RecoveryReport(chosen, chosen.Map(g => g.CpuNanos).IfNone(0), d.FractionDone, Seq<string>.Empty, Seq<string>.Empty,
                d.RejectedGenerations, ran.Match(_ => d.Why, e => $"{d.Why}; the store cannot be made durable ({e.Message}): no generation is taken as durable"),
                ran.Match(_ => Option<string>.None, e => Option<string>.Some(e.Message)));
        }
    }

    /// <summary>
    /// Commit the declared files as generation N+1. Returns only once the generation is durable (then BOINC may
    /// be told). An error (ENOSPC included) names the file and leaves the previous generations intact.
    /// </summary>
    public Fin<GenerationInfo> Commit(long cpuNanos, double fractionDone, string engineIdentity)
    {
        lock (gate)
        {
            AwaitRetention();
            var files = WorkFiles();
            Fin<StagePlan> stage;
            try
            {
                stage = CommitProtocol.Stage(Observe(ranges: false), files, variant);
            }
            catch (IOException e)
            {
                return Error.New(e is ErrnoException ee ? ee.Errno : 0, $"checkpoint not committed: the store could not be read ({e.Message}); the previous generation is intact");
            }

            if (stage.IsFail) return stage.Map(_ => default(GenerationInfo)!);
            var plan = stage.IfFail(default(StagePlan)!);
            var copies = new List<(string From, CopyResult Result)>();
            var staged = DiskEffects.Run(slot, plan.Effects, packed: (e, results) => copies.AddRange(e.From.Zip(results)));
            if (staged.IsFail) return Abandon(plan, staged);
            var changed = ChangedWhileCopied(plan.Files, copies);
            if (changed.IsSome) return Abandon(plan, Fin<Unit>.Fail(Error.New(ChangedWhileCopiedCode, changed.IfNone(""))));

            // The hashes of the bytes written into the pack, taken while they were written.
            if (copies.Count != plan.Files.Count || copies.Exists(c => c.Result.Written.IsNone))
                return Abandon(plan, Fin<Unit>.Fail(Error.New($"{copies.Count} of {plan.Files.Count} checkpoint files were packed with their hashes")));
            var facts = copies.Select(c => c.Result.Written.IfNone(new FileFacts(0, ""))).ToSeq();

            var seal = CommitProtocol.Seal(plan, facts,
                new CommitFacts(cpuNanos, fractionDone, engineIdentity, Time.GetUtcNow().ToUnixTimeMilliseconds()), Config.Keep, variant);
            if (seal.IsFail) return Abandon(plan, seal.Map(_ => Unit.Default));
            var s = seal.IfFail(default(SealPlan)!);
            var durable = DiskEffects.Run(slot, s.Durable);
            if (durable.IsFail) return Abandon(plan, durable);

            var info = GenerationInfo.Of(s.Generation);
            Latest = info;
            RememberSealed(plan, s);
            // The generation is durable: the commit returns, and the generations it leaves beyond keep are deleted
            // aside (on a file system mounted with online discard an unlink waits for the discard of the file's
            // blocks: 0.4 ms per MB here), while the caller tells BOINC; the store's next operation waits for them
            // first, so they still come after this durable state and before anything else. Retention failing
            // leaves old generations, which the next commit retires again; the commit stands.
            if (retireAside && !s.Retention.IsEmpty)
                retiring = System.Threading.Tasks.Task.Run(() => Retire(s.Retention));
            else
                Retire(s.Retention);
            return info;
        }
    }

    /// <summary>
    /// The trailer of the pack a commit just made durable, as a read of it gives it (Seal refuses a generation whose
    /// trailer would not read back as itself), with the pack's identity now: the next commit's observation need not
    /// read it again.
    /// </summary>
    private void RememberSealed(StagePlan plan, SealPlan s) =>
        slot.Identity(plan.PackPath).Iter(identity =>
            trailers[plan.Number] = (identity, new PackSeen(plan.Number, s.Generation, Option<Seq<FileFacts>>.None)));

    /// <summary>
    /// Why the last retention that finished failed, if it did (the commit itself stood). Retention running aside
    /// may still be under way when its commit returns: its failure shows from the next operation on.
    /// </summary>
    public Option<string> RetentionProblem => retentionProblem is { } p ? Option<string>.Some(p) : Option<string>.None;

    private void Retire(Seq<FsEffect> retention)
    {
        try
        {
            retentionProblem = DiskEffects.Run(slot, retention).Match(_ => (string?)null, e => e.Message);
        }
        catch (Exception e)
        {
            // Not an I/O error DiskEffects reports (a bug): said, never lost with the task.
            retentionProblem = $"retention failed: {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>
    /// Every generation of the store, newest first, each verified against its stored files. Another process
    /// (the wrapper, while `checkpoints` runs) may commit and prune meanwhile: a read that raced with it (a file
    /// gone, or a manifest that changed during the read) is done again, and after repeated races it is an error.
    /// </summary>
    public Fin<Seq<GenerationStatus>> List()
    {
        lock (gate)
        {
            AwaitRetention();
            const int attempts = 20;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    // Store format 2: each sealed pack is a generation (a pack being written has no trailer yet;
                    // one retired while it is read is read again from the start). Then what format 1 left, if
                    // anything: until packs fill keep it stays, older than every pack.
                    var packs = Observe(ranges: true).SealedPacks.Rev()
                        .Map(p => new GenerationStatus(GenerationInfo.Of(p.Generation.IfNone(() => throw new InvalidOperationException("sealed"))), PackFormat.Verify(p)))
                        .Strict();
                    return Format1List(attempt < attempts).Map(f1 => packs.Then(f1));
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

    /// <summary>
    /// The generations store format 1's manifest lists, newest first, each verified against its stored files (empty
    /// with no manifest). An IOException asks the caller to read again (while <paramref name="retry"/>).
    /// </summary>
    private Fin<Seq<GenerationStatus>> Format1List(bool retry)
    {
        // Store format 1 (read, no longer written): both manifest slots; the store's manifest is the valid one
        // listing the newest generation. A slot read half-written (an older wrapper's commit) is simply not valid.
        var first = ReadText(StoreLayout.ManifestPath);
        var second = ReadText(StoreLayout.TempManifestPath);
        var newest = ManifestSlots.Newest(first, second);
        if (newest.IsNone && first.IsNone && second.IsNone) return Seq<GenerationStatus>.Empty;
        if (newest.IsNone)
        {
            // Neither valid: perhaps a commit is writing the one while we read the other; else corrupt.
            if (retry) throw new IOException("no valid manifest");
            return first.Map(ManifestText.Parse).IfNone(Fin<Manifest>.Fail(Error.New($"{StoreLayout.TempManifestPath} is not a valid manifest")))
                .Map(_ => Seq<GenerationStatus>.Empty);
        }

        var m = newest.Map(n => n.Manifest).IfNone(Manifest.Empty);

        // Only the listed generations: a generation being written is not ours to open (its writer must
        // not find our read handles in the way), and listed ones are never rewritten, only deleted.
        var listed = m.Generations.Map(g => Path.GetFileName(StoreLayout.GenerationDir(g.Number))).ToHashSet();
        var stored = StoredFiles(name => listed.Contains(name));
        if (ReadText(StoreLayout.ManifestPath) != first || ReadText(StoreLayout.TempManifestPath) != second)
            throw new IOException("the manifest changed while the store was read");
        return m.Generations.Reverse().Map(g => new GenerationStatus(GenerationInfo.Of(g), Recovery.Verify(g, stored))).ToSeq();
    }

    /// <summary>
    /// WORKDIR-relative names of the regular files matching the [checkpoint] patterns, sorted. Symlinks, FIFOs,
    /// sockets and devices are never checkpoint files (a link points into the host's file system); BOINC's and
    /// the wrapper's own files never match (<see cref="ProtectedFiles"/>).
    /// </summary>
    public Seq<string> WorkFiles()
    {
        var found = new List<string>();
        void Walk(string dir, int depth)
        {
            foreach (var entry in slot.List(dir))
            {
                var name = SlotPath.Join(dir, entry.Name);
                if (StoreLayout.IsWrapperPath(name) || ProtectedFiles.IsSlotOwn(name)) continue;
                if (entry.Kind == SlotFileKind.Directory && depth < MaxWalkDepth) Walk(name, depth + 1);
                else if (entry.Kind == SlotFileKind.File && Globs.MatchesAny(Config.Files, name)) found.Add(name);
            }
        }

        Walk(".", 0);
        return found.OrderBy(n => n, StringComparer.Ordinal).ToSeq();
    }

    /// <summary>Directories deeper than this under WORKDIR are not searched for checkpoint files.</summary>
    public const int MaxWalkDepth = 64;

    /// <summary>
    /// Why a staged commit does not hold one app checkpoint, if it does not: a file changed while it was
    /// copied, changed or was replaced after it was copied (while later files were copied), or the set of
    /// matching files changed. Each is what an app writing its next checkpoint during the commit looks like.
    /// </summary>
    private Option<string> ChangedWhileCopied(Seq<string> files, List<(string From, CopyResult Result)> copies)
    {
        foreach (var (from, r) in copies)
        {
            if (r.SourceChanged)
                return $"{from} changed while it was copied; the commit is retried at the next checkpoint";
            var now = slot.Identity(from);
            if (!now.Map(n => n == r.SourceBefore).IfNone(false))
                return $"{from} changed after it was copied, while the other checkpoint files were; the commit is retried at the next checkpoint";
        }

        var again = WorkFiles();
        if (!again.SequenceEqual(files))
            return "the set of checkpoint files changed during the commit; the commit is retried at the next checkpoint";
        return None;
    }

    private static Option<string> None => Option<string>.None;

    private Option<FileFacts> WorkFacts(string name, Core.Hashing.DigestKind kind)
    {
        try
        {
            return DiskEffects.Facts(slot, name, kind);
        }
        catch (IOException)
        {
            return Option<FileFacts>.None;
        }
    }

    private Fin<GenerationInfo> Abandon(StagePlan plan, Fin<Unit> failure)
    {
        // The half-written pack was never acknowledged: remove it now, so a full disk gets its space back.
        var cleanup = DiskEffects.Run(slot, CommitProtocol.Abandon(plan));
        return failure.Match(
            _ => Fin<GenerationInfo>.Fail(Error.New("commit failed")),
            e => Fin<GenerationInfo>.Fail(Error.New(e.Code,
                $"checkpoint commit of generation {plan.Number} failed: {e.Message}; the previous generation is intact" +
                cleanup.Match(_ => "", c => $" (cleanup failed too: {c.Message})"))));
    }

    /// <summary>
    /// The store as it is on disk: its packs (their trailers read, and each file's range hashed when
    /// <paramref name="ranges"/>: recovery verifies, a commit does not need to) and what store format 1 left.
    /// </summary>
    public StoreState ObserveStore(bool ranges)
    {
        lock (gate)
        {
            AwaitRetention();
            return Observe(ranges);
        }
    }

    private StoreState Observe(bool ranges)
    {
        if (slot.Kind(StoreLayout.StoreDir) != Option<SlotFileKind>.Some(SlotFileKind.Directory)) return StoreState.Missing;
        var entries = slot.List(StoreLayout.StoreDir);
        var gens = entries.Where(e => e.Kind == SlotFileKind.Directory)
            .Select(e => StoreLayout.ParseGenerationDirName(e.Name)).Somes().OrderBy(n => n).ToSeq();
        var numbers = entries.Where(e => e.Kind == SlotFileKind.File).Select(e => StoreLayout.ParsePackName(e.Name)).Somes().OrderBy(n => n).ToList();
        foreach (var gone in trailers.Keys.Where(k => !numbers.Contains(k)).ToList())
            trailers.Remove(gone);
        var packs = numbers.Select(n => ReadPack(n, ranges)).ToSeq().Strict();
        // Format 1's manifest slots are read only where the listing has them (absent, as in every store written since
        // stop 34, they are None without an open that fails).
        Option<string> Manifest(string path) =>
            entries.Exists(e => e.Name == path[(StoreLayout.StoreDir.Length + 1)..]) ? ReadText(path) : Option<string>.None;
        return new StoreState(true, Manifest(StoreLayout.ManifestPath), Manifest(StoreLayout.TempManifestPath), gens, packs);
    }

    /// <summary>A pack as <see cref="PackReader"/> reads it; its trailer from <see cref="trailers"/> when the ranges are not wanted and the pack is as it was.</summary>
    private PackSeen ReadPack(long number, bool ranges)
    {
        if (!ranges && trailers.TryGetValue(number, out var known) && slot.Identity(StoreLayout.PackPath(number)) == Option<FileIdentity>.Some(known.Identity))
            return known.Seen;
        var seen = PackReader.Read(slot, number, ranges, out var identity);
        trailers[number] = (identity, seen with { Ranges = Option<Seq<FileFacts>>.None, Unread = Option<string>.None });
        return seen;
    }

    /// <summary>The store's generations as their records say, oldest first (<see cref="StoreState.Current"/>).</summary>
    public Option<Manifest> ReadCurrent()
    {
        var current = ObserveStore(ranges: false).Current;
        return current.Generations.IsEmpty ? Option<Manifest>.None : current;
    }

    private Option<string> ReadText(string relative)
    {
        try
        {
            return slot.ReadText(relative, MaxManifestBytes);
        }
        catch (ErrnoException e) when (e.Errno is Libc.ENoEnt or 20 /* ENOTDIR: the store is not there */)
        {
            return Option<string>.None;
        }
    }

    private HashMap<string, FileFacts> StoredFiles() => StoredFiles(_ => true);

    private HashMap<string, FileFacts> StoredFiles(Func<string, bool> generationDir)
    {
        var map = HashMap<string, FileFacts>.Empty;
        if (slot.Kind(StoreLayout.StoreDir) != Option<SlotFileKind>.Some(SlotFileKind.Directory)) return map;
        foreach (var dir in slot.List(StoreLayout.StoreDir).Where(d => d.Kind == SlotFileKind.Directory && StoreLayout.ParseGenerationDirName(d.Name).IsSome && generationDir(d.Name)))
        {
            var rel = $"{StoreLayout.StoreDir}/{dir.Name}";
            foreach (var f in slot.List(rel).Where(f => f.Kind == SlotFileKind.File))
                map = map.AddOrUpdate($"{rel}/{f.Name}", DiskEffects.Facts(slot, $"{rel}/{f.Name}", Core.Hashing.DigestKind.Sha256));
        }

        return map;
    }
}
