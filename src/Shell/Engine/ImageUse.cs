using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Host;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// The image protocol between wrappers and the image collector, host-wide and across BOINC users.
/// <list type="bullet">
/// <item>A wrapper takes a SHARED flock on the image's use file (<see cref="Hold"/>) before it looks for or
/// builds the image, and keeps it until it exits (the kernel drops it if it dies). So from "image chosen" until
/// its container exists and references the image, and for as long as it runs, the image is held.</item>
/// <item>The collector removes an image only while it holds an EXCLUSIVE flock on that file
/// (<see cref="TryExclusive"/>, never waiting: a held image is simply kept), and decides under that lock;
/// the same exclusive hold also excludes every build on the host (<see cref="HoldBuilds"/>).</item>
/// <item>Every hold and release records the time of use in a record file (its mtime), with the slots that used
/// the image, in a directory that survives reboots; the collector's age is the time since that use.</item>
/// </list>
/// flock (not fcntl) so that two holders in one process (tests, or a collector inside a wrapper) exclude each
/// other too, and so that a read-only descriptor can take an exclusive lock on another user's file.
/// </summary>
public static partial class ImageUse
{
    /// <summary>Where use records live: persistent (not tmpfs) directories, shared first, per user last.</summary>
    public static readonly string[] RecordDirectories =
    {
        "/var/lib/boinc-persist/images", "/var/tmp/boinc-persist-images",
        "/var/tmp/boinc-persist-images-" + PodmanService.Uid().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A record names at most this many slots (the most recent); more is not a wrapper's doing.</summary>
    public const int MaxSlots = 64;

    private const int LockSh = 1, LockEx = 2, LockNb = 4, LockUn = 8, EWouldBlock = 11;

    /// <summary>
    /// The key of an image reference: Podman's <c>localhost/</c> dropped and <c>:latest</c> made explicit, so
    /// the tag a plan names and the tag an engine lists meet in one file.
    /// </summary>
    public static string Key(string reference)
    {
        var r = reference.Trim();
        if (r.StartsWith("localhost/", StringComparison.Ordinal)) r = r["localhost/".Length..];
        if (r.StartsWith("sha256:", StringComparison.Ordinal) || r.Contains('@')) return "image-use:" + r;
        var slash = r.LastIndexOf('/');
        return "image-use:" + (r.IndexOf(':', slash + 1) < 0 ? r + ":latest" : r);
    }

    /// <summary>Waits (polling, cancellable) for a shared hold on <paramref name="reference"/> and records the use.</summary>
    public static async Task<IDisposable> Hold(string reference, Option<string> slot, CancellationToken ct)
    {
        var key = Key(reference);
        var path = HostLock.LockPath(key);
        var fd = OpenForLock(path);
        try
        {
            while (!TryFlock(fd, LockSh, path))
                await Task.Delay(100, ct).ConfigureAwait(false);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }

        RecordUse(reference, slot);
        return new Held(fd, reference, slot);
    }

    /// <summary>The key builds hold (shared) and removals take (exclusive): see <see cref="HoldBuilds"/>.</summary>
    public const string BuildsKey = "image-builds";

    /// <summary>
    /// A shared hold taken for the length of a build: Docker's builder fails ("failed to get digest ... no such
    /// file") when an image it considers for its cache is removed under it, so no removal runs during a build
    /// (the collector, which never waits, keeps the image for next time).
    /// </summary>
    public static async Task<IDisposable> HoldBuilds(CancellationToken ct)
    {
        var path = HostLock.LockPath(BuildsKey);
        var fd = OpenForLock(path);
        try
        {
            while (!TryFlock(fd, LockSh, path))
                await Task.Delay(100, ct).ConfigureAwait(false);
        }
        catch
        {
            Libc.Close(fd);
            throw;
        }

        return new Exclusive(new List<int> { fd });
    }

    /// <summary>
    /// An exclusive hold on <paramref name="references"/> (every tag of one image) in every lock directory where
    /// a wrapper could hold it, or None when any is held. Never waits.
    /// </summary>
    public static Option<IDisposable> TryExclusive(Seq<string> references) =>
        TryLock(references.Map(Key).Distinct().Prepend(BuildsKey));

    /// <summary>
    /// As <see cref="TryExclusive"/>, for removing one task's own image at its end (an abort): an image held by a
    /// wrapper is kept at once, but a build elsewhere on the host (which holds <see cref="BuildsKey"/> for seconds
    /// to minutes) is waited for, at most <paramref name="buildsPatience"/>, polling; the image's own hold is kept
    /// meanwhile, so no wrapper takes the image up between the check and the removal.
    /// </summary>
    public static async Task<Option<IDisposable>> ExclusiveAfterBuilds(Seq<string> references, TimeSpan buildsPatience, TimeProvider time, CancellationToken ct)
    {
        var image = TryLock(references.Map(Key).Distinct());
        if (image.Case is not IDisposable held)
            return Option<IDisposable>.None;
        var until = time.GetUtcNow() + buildsPatience;
        try
        {
            while (true)
            {
                if (TryLock(Seq.create(BuildsKey)).Case is IDisposable builds)
                    return Option<IDisposable>.Some(new Both(held, builds));
                if (time.GetUtcNow() >= until)
                {
                    held.Dispose();
                    return Option<IDisposable>.None;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct).ConfigureAwait(false);
            }
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            second.Dispose();
            first.Dispose();
        }
    }

    private static Option<IDisposable> TryLock(IEnumerable<string> keys)
    {
        var fds = new List<int>();
        try
        {
            foreach (var key in keys)
            {
                var paths = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal) { HostLock.LockPath(key) };
                foreach (var dir in HostLock.Directories)
                    paths.Add(Path.Combine(dir, HostLock.FileName(key)));
                foreach (var path in paths.Where(File.Exists))
                {
                    var fd = OpenForLock(path);
                    fds.Add(fd);
                    if (!TryFlock(fd, LockEx | LockNb, path))
                    {
                        CloseAll(fds);
                        return Option<IDisposable>.None;
                    }
                }
            }

            return Option<IDisposable>.Some(new Exclusive(fds));
        }
        catch
        {
            CloseAll(fds);
            throw;
        }
    }

    /// <summary>When the image was last held or released, and the slots that held it: None without a record.</summary>
    public static (Option<DateTimeOffset> LastUsed, Seq<string> Slots) Recorded(Seq<string> references)
    {
        var last = Option<DateTimeOffset>.None;
        var slots = new List<string>();
        foreach (var key in references.Map(Key).Distinct())
            foreach (var dir in RecordDirectories)
            {
                var path = RecordPath(dir, key);
                try
                {
                    var info = new FileInfo(path);
                    if (!info.Exists || info.Length > 64 * 1024)
                        continue;
                    var t = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
                    last = last.Match(l => l > t ? l : t, () => t);
                    foreach (var line in File.ReadAllLines(path))
                        if (line.StartsWith("slot /", StringComparison.Ordinal))
                            slots.Add(line[5..]);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Unreadable: not counted as a use, so the collector may start the clock again.
                }
            }

        return (last, slots.Distinct().ToSeq());
    }

    /// <summary>Removes the records of an image that is gone (under the collector's exclusive hold).</summary>
    public static void Forget(Seq<string> references)
    {
        foreach (var key in references.Map(Key).Distinct())
            foreach (var dir in RecordDirectories)
            {
                try
                {
                    File.Delete(RecordPath(dir, key));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another user's record: it ages out harmlessly (it names an image that no longer exists).
                }
            }
    }

    /// <summary>Starts the age of an image with no record now.</summary>
    public static void StartClock(Seq<string> references)
    {
        foreach (var r in references)
            RecordUse(r, Option<string>.None);
    }

    private static string RecordPath(string dir, string key) =>
        Path.Combine(dir, Path.GetFileNameWithoutExtension(HostLock.FileName(key)) + ".used");

    /// <summary>Replaces the record (temp, rename): its mtime becomes now; the slot joins its list.</summary>
    public static void RecordUse(string reference, Option<string> slot)
    {
        var key = Key(reference);
        foreach (var dir in RecordDirectories)
        {
            try
            {
                HostLock.SharedDirectory(dir);
                var path = RecordPath(dir, key);
                var slots = new List<string>();
                if (File.Exists(path) && new FileInfo(path).Length <= 64 * 1024)
                    slots.AddRange(File.ReadAllLines(path).Where(l => l.StartsWith("slot /", StringComparison.Ordinal)).Select(l => l[5..]));
                slot.Iter(s =>
                {
                    slots.Remove(s);
                    slots.Add(s);
                });
                var text = new StringBuilder().Append("image ").Append(reference).Append('\n');
                foreach (var s in slots.Skip(Math.Max(0, slots.Count - MaxSlots)).Where(s => !s.Contains('\n')))
                    text.Append("slot ").Append(s).Append('\n');
                var temp = path + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N")[..8];
                File.WriteAllText(temp, text.ToString());
                try
                {
                    if (!OperatingSystem.IsWindows())
                        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                    File.Move(temp, path, overwrite: true);
                }
                finally
                {
                    if (File.Exists(temp)) File.Delete(temp);
                }

                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not writable here: the next directory.
            }
        }
    }

    private static int OpenForLock(string path)
    {
        try
        {
            return Libc.Open(path, Libc.ORdWr);
        }
        catch (ErrnoException e) when (e.Errno is Libc.EAcces or Libc.EPerm)
        {
            // Another user's file: flock needs no write access.
            return Libc.Open(path, Libc.ORdOnly);
        }
    }

    private static bool TryFlock(int fd, int op, string path)
    {
        while (true)
        {
            if (FlockNative(fd, op | LockNb) == 0)
                return true;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EWouldBlock)
                return false;
            if (errno != Libc.EIntr)
                throw new ErrnoException($"cannot lock {path}: {Libc.Describe(errno)}", errno);
        }
    }

    private static void CloseAll(List<int> fds)
    {
        foreach (var fd in fds)
        {
            _ = FlockNative(fd, LockUn);
            Libc.Close(fd);
        }

        fds.Clear();
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int FlockNative(int fd, int operation);

    private sealed class Held(int fd, string reference, Option<string> slot) : IDisposable
    {
        private int fd = fd;

        public void Dispose()
        {
            var held = Interlocked.Exchange(ref fd, -1);
            if (held < 0)
                return;
            try
            {
                // The last moment of use, recorded while still held: the collector's age starts here.
                RecordUse(reference, slot);
            }
            finally
            {
                _ = FlockNative(held, LockUn);
                Libc.Close(held);
            }
        }
    }

    private sealed class Exclusive(List<int> fds) : IDisposable
    {
        public void Dispose() => CloseAll(fds);
    }
}
