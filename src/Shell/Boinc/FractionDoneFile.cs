using System;
using System.IO;
using System.Text;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Boinc;

/// <summary>
/// The job's progress file in the slot (<c>WORKDIR/fraction_done</c> inside the container), docker_wrapper's
/// convention. Reads at most <see cref="FractionDoneText.MaxBytes"/> bytes; the caller keeps the last good
/// value when the reading is Left (a half-written file, garbage) and logs the reason once.
/// </summary>
public static class FractionDoneFile
{
    public const string FileName = "fraction_done";

    /// <summary>None when the file does not exist (yet); Right(fraction) or Left(reason) otherwise.</summary>
    public static Option<Either<string, double>> Read(string slotDir)
    {
        try
        {
            using var slot = SlotFiles.Open(slotDir);
            return Read(slot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Some(Either<string, double>.Left($"cannot read {FileName}: {e.Message}"));
        }
    }

    /// <summary>
    /// Through the slot accessor: a symlink (to a host file), FIFO, device or socket of that name is refused
    /// with a reason that names the kind, never followed or waited on, and its target's bytes never reach the log.
    /// </summary>
    public static Option<Either<string, double>> Read(ISlotFiles slot)
    {
        try
        {
            return slot.ReadHead(FileName, FractionDoneText.MaxBytes).Map(bytes =>
                bytes.Length > FractionDoneText.MaxBytes
                    ? Either<string, double>.Left($"{FileName} is larger than {FractionDoneText.MaxBytes} bytes; it should hold one number")
                    : FractionDoneText.Parse(Encoding.ASCII.GetString(bytes)).MapLeft(r => $"{FileName}: {r}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Some(Either<string, double>.Left($"cannot read {FileName}: {KindOf(slot)}"));
        }
    }

    /// <summary>Why it cannot be read, without echoing anything the job could steer (a path, a target).</summary>
    private static string KindOf(ISlotFiles slot)
    {
        try
        {
            return slot.Kind(FileName).Match(
                k => k switch
                {
                    SlotFileKind.Symlink => "it is a symbolic link; the wrapper reads regular files only",
                    SlotFileKind.Other => "it is a FIFO, socket or device; the wrapper reads regular files only",
                    SlotFileKind.Directory => "it is a directory",
                    _ => "it cannot be opened",
                },
                () => "it vanished while it was read");
        }
        catch (IOException)
        {
            return "it cannot be opened";
        }
    }

    private static Option<Either<string, double>> Some(Either<string, double> v) => Option<Either<string, double>>.Some(v);
}
