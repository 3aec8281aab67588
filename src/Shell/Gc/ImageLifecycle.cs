using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Gc;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Host;
using LanguageExt;

namespace Boinc.Persist.Shell.Gc;

/// <summary>
/// Image lifecycle without a human: at job start the wrapper records the use of its own image by its slot
/// (<see cref="ImageUse"/>; the engine adapter holds the image from EnsureImage until the wrapper ends) and
/// collects our images the volunteer's policy lets go; at job end (<see cref="DisposeAsync"/>) it records the
/// last use and collects again. Bounded in time, logged, never fatal to the job.
/// </summary>
public sealed class ImageLifecycle : IAsyncDisposable
{
    /// <summary>The whole of one collection: a job never waits longer than this for gc.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    private readonly IInventory engine;
    private readonly string slot;
    private readonly ImageGcPolicy policy;
    private readonly Action<string> info;
    private readonly Action<string> warn;
    private readonly TimeProvider time;
    private readonly string imageTag;
    private int ended;
    private bool jobOver;
    private readonly CancellationTokenSource startCts = new();
    private Task startCollection = Task.CompletedTask;

    private ImageLifecycle(IInventory engine, string slot, string imageTag, ImageGcPolicy policy, Action<string> info, Action<string> warn, TimeProvider time)
    {
        this.engine = engine;
        this.slot = slot;
        this.imageTag = imageTag;
        this.policy = policy;
        this.info = info;
        this.warn = warn;
        this.time = time;
    }

    /// <summary>
    /// The hook at job start: record the use of <paramref name="imageTag"/> by this slot, then collect in the
    /// background (the job's start never waits for gc; a wrapper that ends early cancels it).
    /// </summary>
    public static Task<ImageLifecycle> AtJobStart(
        IInventory engine, string slot, string imageTag, Action<string> info, Action<string> warn, TimeProvider time, CancellationToken ct)
    {
        var loaded = LoadPolicy();
        var policy = loaded.Value.IfNone(() =>
        {
            warn($"image gc is off for this run: {string.Join("; ", loaded.Errors.Map(d => d.ToString()))}");
            return ImageGcPolicy.Default with { Auto = false };
        });
        var life = new ImageLifecycle(engine, slot, imageTag, policy, info, warn, time);
        // The use and the slot are recorded now; the hold itself is the engine adapter's, from the moment it
        // chooses the image (EnsureImage) until the wrapper ends.
        life.Record();
        var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, life.startCts.Token);
        life.startCollection = Task.Run(async () =>
        {
            using (linked)
            {
                try
                {
                    await life.Collect("job start", linked.Token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // Never fatal to the job, never silent.
                    warn($"image gc at job start failed: {e.GetType().Name}: {e.Message}");
                }
            }
        }, CancellationToken.None);
        return Task.FromResult(life);
    }

    /// <summary>
    /// The task is over for good (finished, failed or aborted: the slot has <c>boinc_finish_called</c>): the
    /// collection at job end runs. A wrapper that quits, or loses its client, exits without it, so a quit never
    /// waits for gc.
    /// </summary>
    public void JobIsOver() => jobOver = true;

    /// <summary>The hook at wrapper end: the last use is recorded, the start collection is cancelled if it still
    /// runs, and when the task is over a collection runs (the adapter releases its hold when the engine is disposed).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref ended, 1) == 1)
            return;
        Record();
        await startCts.CancelAsync().ConfigureAwait(false);
        await startCollection.ConfigureAwait(false);
        startCts.Dispose();
        if (!jobOver)
            return;
        try
        {
            await Collect("job end", CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            warn($"image gc at job end failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private void Record()
    {
        try
        {
            ImageUse.RecordUse(imageTag, Option<string>.Some(slot));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warn($"image gc: cannot record the use of {imageTag}: {e.Message}");
        }
    }

    /// <summary>The policy's [gc] table: absent file or table means <see cref="ImageGcPolicy.Default"/>.</summary>
    public static Checked<ImageGcPolicy> LoadPolicy() => LoadPolicy(PolicyFile.PathInUse());

    public static Checked<ImageGcPolicy> LoadPolicy(string path)
    {
        // Parsed (and validated) as a whole by PolicyFile first: a bad [accept] is reported there.
        var whole = PolicyFile.Load(path);
        if (!whole.IsOk)
            return Checked<ImageGcPolicy>.Fail(whole.Findings);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
                return Checked<ImageGcPolicy>.Ok(ImageGcPolicy.Default);
            return TomlTree.Parse(path, File.ReadAllText(path, new UTF8Encoding(false, true)))
                .Bind(root => ImageGcPolicy.FromRoot(path, root));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            return Checked<ImageGcPolicy>.Fail(Diagnostic.Error(DiagnosticCodes.PolicyUnreadable, Location.InFile(path), $"cannot read the host policy: {e.Message}"));
        }
    }

    private static readonly System.Collections.Generic.HashSet<string> NoContainers = new();

    private async Task Collect(string when, CancellationToken ct)
    {
        if (!policy.Auto)
            return;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Budget);
        try
        {
            var (items, errors) = await ImageCollector.Run(engine, policy.MaxAge, policy.MaxTotalBytes, SiblingSlots(slot),
                _ => true, NoContainers, time.GetUtcNow(), false, limit.Token).ConfigureAwait(false);
            foreach (var i in items.Filter(i => i.Removed))
                info($"image gc at {when}: removed image {i.Name} ({Core.Naming.ShortImageId(i.Id)}): {i.Reason}");
            var kept = items.Filter(i => !i.Removed).Count;
            info($"image gc at {when}: {items.Filter(i => i.Removed).Count} removed, {kept} kept ({policy.Describe()})");
            foreach (var e in errors)
                warn($"image gc at {when}: {e}");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The wrapper is ending (a quit, a lost client, a job done early): nothing went wrong.
            info($"image gc at {when} stopped: the wrapper is ending");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            warn($"image gc at {when} stopped: {(e is OperationCanceledException ? $"it took longer than its {Budget.TotalSeconds:0} s" : e.Message)}");
        }
    }

    /// <summary>BOINC's other slots (<c>slots/N</c> next to ours): their journals may name an image.</summary>
    public static Seq<string> SiblingSlots(string slot)
    {
        try
        {
            var parent = Path.GetDirectoryName(Path.GetFullPath(slot).TrimEnd('/'));
            if (parent is null || Path.GetFileName(parent) != "slots")
                return Seq<string>.Empty;
            return Directory.EnumerateDirectories(parent)
                .Where(d => Path.GetFileName(d).All(char.IsAsciiDigit))
                .Take(1024)
                .ToSeq().Strict();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Seq<string>.Empty;
        }
    }
}
