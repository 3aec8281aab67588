using System.Globalization;
using LanguageExt;

namespace Boinc.Persist.Core.Protocol;

/// <summary>
/// The client's word to a sporadic app (<c>SPORADIC_CA_STATE</c> in BOINC's <c>lib/common_defs.h</c>), sent as
/// <c>&lt;sporadic_ca&gt;N&lt;/sporadic_ca&gt;</c> in a heartbeat (only when not <see cref="None"/>).
/// </summary>
public enum SporadicCa
{
    None = 0,

    /// <summary>Computing is suspended, or other work has the resources.</summary>
    DontCompute = 1,

    /// <summary>Not computing, but the app could start.</summary>
    CouldCompute = 2,

    /// <summary>Go ahead and compute.</summary>
    Computing = 3,
}

/// <summary>
/// A sporadic app's word to the client (<c>SPORADIC_AC_STATE</c>), sent as <c>&lt;sporadic_ac&gt;N&lt;/sporadic_ac&gt;</c>
/// in a status message (only when not <see cref="None"/>).
/// </summary>
public enum SporadicAc
{
    None = 0,
    DontWantCompute = 1,
    WantCompute = 2,
}

/// <summary>
/// The texts of docker_wrapper's sporadic files (<c>boinc_sporadic_dir</c> in BOINC's <c>api/boinc_api.cpp</c>):
/// the wrapper writes the client's state into <c>ca</c> as <c>"%d\n"</c>, the app writes its own state into
/// <c>ac</c>. The <c>ac</c> file is written by untrusted code, so its reading is strict: optional blanks, one
/// decimal digit 0, 1 or 2, optional blanks and newlines, nothing else, at most <see cref="MaxAcBytes"/> bytes.
/// </summary>
public static class SporadicText
{
    /// <summary>The app's file (app to client), in the slot (WORKDIR).</summary>
    public const string AcFileName = "ac";

    /// <summary>The wrapper's file (client to app), in the slot (WORKDIR).</summary>
    public const string CaFileName = "ca";

    /// <summary>The BOINC API reads at most 256 bytes of <c>ac</c>; a larger file is not a state.</summary>
    public const int MaxAcBytes = 255;

    /// <summary>
    /// Right(state) or Left(reason). An empty file (or only blanks) is <see cref="SporadicAc.None"/>: the file the
    /// wrapper creates at start is empty, and "nothing said yet" is the API's starting state too.
    /// </summary>
    public static Either<string, SporadicAc> ParseAc(string text)
    {
        var t = text.Trim(' ', '\t', '\n', '\r');
        if (t.Length == 0)
            return SporadicAc.None;
        if (t.Length == 1 && t[0] is >= '0' and <= '2')
            return (SporadicAc)(t[0] - '0');
        return $"'{Shorten(t)}' is not a sporadic app state: write 0 (none), 1 (don't want to compute) or 2 (want to compute)";
    }

    /// <summary>The text of <c>ca</c>: the number and a newline, as the BOINC API writes it (without its trailing garbage).</summary>
    public static string FormatCa(SporadicCa ca) => ((int)ca).ToString(CultureInfo.InvariantCulture) + "\n";

    /// <summary>
    /// The client's state in a heartbeat: None when the tag is absent (the client leaves it out for
    /// <see cref="SporadicCa.None"/>) or its value is not one of the four states.
    /// </summary>
    public static Option<SporadicCa> CaInHeartbeat(string heartbeat) =>
        ClientText.Integer(heartbeat, "<sporadic_ca>").Filter(v => v is >= 0 and <= 3).Map(v => (SporadicCa)(int)v);

    private static string Shorten(string s)
    {
        var printable = string.Concat(System.Linq.Enumerable.Select(s, c => char.IsControl(c) || c > '~' ? '?' : c));
        return printable.Length > 40 ? printable[..40] + "…" : printable;
    }
}

/// <summary>
/// The sporadic bridge's state, what docker_wrapper's API keeps between its once-a-second looks: the client's
/// last state (kept until a heartbeat carries another, as the API does; it starts at
/// <see cref="SporadicCa.DontCompute"/>), the state last written to <c>ca</c>, the app's state from <c>ac</c>, and
/// the last problem logged (so a bad file is reported once, not every second).
/// </summary>
public sealed record SporadicBridge(
    SporadicCa Client,
    Option<SporadicCa> Written,
    SporadicAc App,
    Option<string> LastProblem)
{
    public static SporadicBridge Start { get; } =
        new(SporadicCa.DontCompute, Option<SporadicCa>.None, SporadicAc.None, Option<string>.None);
}

/// <summary>
/// What one look found: the client's state in the latest heartbeat, and the reading of <c>ac</c> (None when the
/// file is absent). The file is read at every look, not only when its time stamp moves (the API's test): a job
/// that rewrites it within the file system's time-stamp granularity is not missed.
/// </summary>
public sealed record SporadicLook(Option<SporadicCa> HeartbeatCa, Option<Either<string, SporadicAc>> AcReading);

/// <summary>What to do after a look: the next state, the text to write to <c>ca</c> (when the client's state changed), a warning.</summary>
public sealed record SporadicStep(SporadicBridge Next, Option<string> WriteCa, Option<string> Warning);

/// <summary>The sporadic bridge's one decision (pure): docker_wrapper's <c>sporadic_files</c>, stricter about <c>ac</c>.</summary>
public static class SporadicBridges
{
    /// <summary>
    /// One look, about once a second. The client's state is written to <c>ca</c> whenever it differs from what was
    /// written (so the first look writes <see cref="SporadicCa.DontCompute"/>, as the API does). The app's state:
    /// an absent <c>ac</c> is <see cref="SporadicAc.None"/>; a valid file gives its state; a bad one (a non-number,
    /// a state outside 0..2, too large, a symlink or FIFO) is <see cref="SporadicAc.None"/> (the API also falls
    /// back to none on a parse error), with a warning naming the reason when it differs from the last one logged.
    /// </summary>
    public static SporadicStep Look(SporadicBridge b, SporadicLook look)
    {
        var client = look.HeartbeatCa.IfNone(b.Client);
        var write = b.Written == Option<SporadicCa>.Some(client)
            ? Option<string>.None
            : Option<string>.Some(SporadicText.FormatCa(client));

        var (app, problem, warning) = look.AcReading.Match(
            reading => reading.Match(
                Right: a => (a, Option<string>.None, Option<string>.None),
                Left: why => (SporadicAc.None, Option<string>.Some(why),
                    b.LastProblem == Option<string>.Some(why)
                        ? Option<string>.None
                        : Option<string>.Some($"sporadic: {SporadicText.AcFileName}: {why}; telling the client the app has no state (0)"))),
            () => (SporadicAc.None, Option<string>.None, Option<string>.None));
        return new SporadicStep(new SporadicBridge(client, Option<SporadicCa>.Some(client), app, problem), write, warning);
    }
}
