using System;
using System.IO;
using System.Text;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Slots;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Shell.Checkpoints;

/// <summary>
/// The one interpreter of <see cref="FsEffect"/>, against a slot's <see cref="ISlotFiles"/> (the real disk, or
/// the model file system under crash simulation). Every name is resolved beneath the slot without following a
/// symlink; a rename is atomic or an error (EXDEV), never a copy; copies try a reflink and fall back to a
/// kernel copy. Failures become errors carrying the errno as code and naming the file; nothing is swallowed.
/// </summary>
public static class DiskEffects
{
    /// <summary>Whether this thread's last copy was a reflink (for the benchmark's report).</summary>
    [ThreadStatic]
    public static bool LastCopyWasReflink;

    /// <summary>
    /// Run effects in order; stop at the first failure and return it. (A commit's fsyncs come as one run, files
    /// first: Core orders them so, see <see cref="CommitProtocol.Seal"/>; they are issued one after the other, which
    /// measured faster here than issuing them from several threads at once.)
    /// </summary>
    public static Fin<Unit> Run(ISlotFiles slot, Seq<FsEffect> effects, Action<FsEffect.PackFiles, Seq<CopyResult>>? packed = null)
    {
        foreach (var e in effects)
        {
            var r = Run(slot, e, packed);
            if (r.IsFail) return r;
        }

        return Unit.Default;
    }

    /// <summary>Run effects on the slot directory's real disk (for callers that hold no accessor).</summary>
    public static Fin<Unit> Run(string slotDir, Seq<FsEffect> effects)
    {
        using var slot = SlotFiles.Open(slotDir);
        return Run(slot, effects);
    }

    public static Fin<Unit> Run(string slotDir, FsEffect effect) => Run(slotDir, Seq1(effect));

    private static Seq<FsEffect> Seq1(FsEffect e) => new[] { e }.ToSeq();

    // ---- TEST-ONLY HOOK (issue 19: crash-explore must catch a broken build) ----
    // BOINC_PERSIST_TEST_DROP_FSYNC="fsync PATH" or "fsync-dir PATH" (an effect as FsEffect.ToString() shows it)
    // skips that one fsync. Read from the wrapper's own environment at start; the job cannot set it.
    private static readonly string? DropFsyncForTest = Environment.GetEnvironmentVariable("BOINC_PERSIST_TEST_DROP_FSYNC");

    public static Fin<Unit> Run(ISlotFiles slot, FsEffect effect, Action<FsEffect.PackFiles, Seq<CopyResult>>? packed = null)
    {
        if (DropFsyncForTest is { Length: > 0 } && effect is FsEffect.Fsync or FsEffect.FsyncDir && effect.ToString() == DropFsyncForTest)
            return Unit.Default;
        // ---- end of the test-only hook ----
        try
        {
            switch (effect)
            {
                case FsEffect.CreateDir e:
                    slot.CreateDir(e.Path);
                    break;
                case FsEffect.CopyFile e:
                    var result = slot.Copy(e.From, e.To);
                    LastCopyWasReflink = result.Reflinked;
                    break;
                case FsEffect.PackFiles e:
                    var results = slot.Pack(e.From, e.To);
                    packed?.Invoke(e, results);
                    break;
                case FsEffect.AppendText e:
                    slot.Append(e.Path, Encoding.UTF8.GetBytes(e.Text));
                    break;
                case FsEffect.CopyRange e:
                    slot.CopyRange(e.From, e.Offset, e.Length, e.To);
                    break;
                case FsEffect.WriteFile e:
                    using (var s = slot.CreateFresh(e.Path))
                    {
                        var bytes = Encoding.UTF8.GetBytes(e.Text);
                        s.Write(bytes);
                        // On the real disk, start writing the bytes back now (a hint, as for a copy): the file system
                        // allocates their blocks in the journal transaction the following fsyncs commit together,
                        // instead of in one more of its own when this file's fsync comes.
                        if (s is FileStream f)
                            _ = SlotNative.StartWriteback((int)f.SafeFileHandle.DangerousGetHandle(), 0, bytes.Length);
                    }

                    break;
                case FsEffect.Fsync e:
                    slot.Fsync(e.Path);
                    break;
                case FsEffect.FsyncDir e:
                    slot.FsyncDir(e.Path);
                    break;
                case FsEffect.Rename e:
                    slot.Rename(e.From, e.To);
                    break;
                case FsEffect.Delete e:
                    slot.Delete(e.Path);
                    break;
                case FsEffect.DeleteTree e:
                    slot.DeleteTree(e.Path);
                    break;
                default:
                    return Error.New($"unknown checkpoint effect {effect}");
            }

            return Unit.Default;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            var errno = ex is ErrnoException ee ? ee.Errno : ErrnoOf(ex);
            var why = errno == Libc.ENoSpc ? "No space left on device (ENOSPC)" : ex.Message;
            return Error.New(errno, $"{effect}: {why}");
        }
    }

    /// <summary>Size and digest (<paramref name="kind"/>) of a regular file of the slot (read through a checked handle).</summary>
    public static FileFacts Facts(ISlotFiles slot, string relative, Core.Hashing.DigestKind kind)
    {
        using var f = slot.OpenRead(relative);
        return new FileFacts(f.Identity().Size, FileDigests.Of(kind, f.Content));
    }

    /// <summary>.NET puts the raw errno in HResult for I/O errors on Unix; ENOSPC also shows in the message.</summary>
    private static int ErrnoOf(Exception ex) =>
        ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) ? Libc.ENoSpc
        : ex.HResult is > 0 and < 4096 ? ex.HResult
        : ex is FileNotFoundException or DirectoryNotFoundException ? Libc.ENoEnt : 0;
}
