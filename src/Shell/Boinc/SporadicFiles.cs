using System;
using System.IO;
using System.Text;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Host;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Boinc;

/// <summary>
/// docker_wrapper's sporadic files in the slot (WORKDIR in the container), through the slot accessor: <c>ac</c>,
/// written by the job (read strictly, at most <see cref="SporadicText.MaxAcBytes"/> bytes; a symlink, FIFO,
/// device or directory of that name is refused, never followed or waited on), and <c>ca</c>, written by the
/// wrapper by replacing it whole (a fresh file renamed over the name), so the job never reads half a number and a
/// link planted under that name is replaced, never written through.
/// </summary>
public sealed class SporadicFiles(ISlotFiles slot)
{
    private const string CaTemporary = ".boinc-persist-ca.new";

    /// <summary>
    /// At start, as <c>boinc_sporadic_dir</c> does: an empty <c>ac</c> when there is none, writable by the job
    /// (owned by the slot directory's owner when the wrapper runs as root, mode 0664). An existing entry is left
    /// as it is (the job's state survives a restart).
    /// </summary>
    public void CreateAc()
    {
        if (slot.Kind(SporadicText.AcFileName).IsSome)
            return;
        using var created = slot.CreateFresh(SporadicText.AcFileName);
        if (created is not FileStream fs)
            return;
        Libc.Fchmod(fs.SafeFileHandle, 0x1b4 /* 0664 */, SporadicText.AcFileName);
        if (Libc.Geteuid() == 0)
        {
            var (uid, gid) = FileOwner.Of(slot.Root);
            Libc.Fchown(fs.SafeFileHandle, uid, gid, SporadicText.AcFileName);
        }
    }

    /// <summary>
    /// The app's state in <c>ac</c>: None when there is no such entry, else Right(state) or Left(reason, which never
    /// echoes a path or a link's target).
    /// </summary>
    public Option<Either<string, SporadicAc>> ReadAc()
    {
        try
        {
            return slot.ReadHead(SporadicText.AcFileName, SporadicText.MaxAcBytes).Map(bytes =>
                bytes.Length > SporadicText.MaxAcBytes
                    ? Either<string, SporadicAc>.Left($"larger than {SporadicText.MaxAcBytes} bytes; it should hold one digit")
                    : SporadicText.ParseAc(Encoding.ASCII.GetString(bytes)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Option<Either<string, SporadicAc>>.Some(Either<string, SporadicAc>.Left(Why()));
        }
    }

    private string Why()
    {
        try
        {
            return slot.Kind(SporadicText.AcFileName).Match(
                k => k switch
                {
                    SlotFileKind.Symlink => "it is a symbolic link; the wrapper reads regular files only",
                    SlotFileKind.Other => "it is a FIFO, socket or device; the wrapper reads regular files only",
                    SlotFileKind.Directory => "it is a directory",
                    _ => "it cannot be opened",
                },
                () => "it vanished while it was read");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "it cannot be opened";
        }
    }

    /// <summary>Replaces <c>ca</c> with <paramref name="text"/> (not fsynced: the client's state is not worth a flush).</summary>
    public void WriteCa(string text)
    {
        using (var s = slot.CreateFresh(CaTemporary))
            s.Write(Encoding.ASCII.GetBytes(text));
        slot.Rename(CaTemporary, SporadicText.CaFileName);
    }
}
