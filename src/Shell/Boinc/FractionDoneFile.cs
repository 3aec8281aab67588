using System;
using System.IO;
using System.Text;
using Boinc.Persist.Core.Protocol;
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
        var path = Path.Combine(slotDir, FileName);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = new byte[FractionDoneText.MaxBytes + 1];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = stream.Read(buffer, read, buffer.Length - read)) > 0)
                read += n;
            if (read > FractionDoneText.MaxBytes)
                return Some(Either<string, double>.Left($"{FileName} is larger than {FractionDoneText.MaxBytes} bytes; it should hold one number"));
            return Some(FractionDoneText.Parse(Encoding.ASCII.GetString(buffer, 0, read)).MapLeft(r => $"{FileName}: {r}"));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Option<Either<string, double>>.None;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Some(Either<string, double>.Left($"cannot read {FileName}: {e.Message}"));
        }
    }

    private static Option<Either<string, double>> Some(Either<string, double> v) => Option<Either<string, double>>.Some(v);
}
