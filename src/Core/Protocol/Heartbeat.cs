using System;
using System.Globalization;
using LanguageExt;

namespace Boinc.Persist.Core.Protocol;

/// <summary>
/// What a heartbeat carries (<c>ACTIVE_TASK_SET::send_heartbeats</c>): the task's working set and the
/// largest working set the client allows, both in bytes, and whether the user suspended network activity.
/// Invariant: sizes, when present, are finite and non-negative.
/// </summary>
public sealed record Heartbeat(Option<double> WorkingSetBytes, Option<double> MaxWorkingSetBytes, bool NetworkSuspended)
{
    /// <summary>The client's word to a sporadic app (<c>&lt;sporadic_ca&gt;</c>); None when the heartbeat has none.</summary>
    public Option<SporadicCa> SporadicCa { get; init; }

    private const string Tag = "<heartbeat/>";

    /// <summary>None when the text is not a heartbeat (no <c>&lt;heartbeat/&gt;</c> tag).</summary>
    public static Option<Heartbeat> Parse(string text)
    {
        if (!text.Contains(Tag, StringComparison.Ordinal))
            return Option<Heartbeat>.None;
        return new Heartbeat(
            ClientText.Double(text, "<wss>").Filter(v => v >= 0),
            ClientText.Double(text, "<max_wss>").Filter(v => v >= 0),
            text.Contains("<network_suspended/>", StringComparison.Ordinal))
        {
            SporadicCa = SporadicText.CaInHeartbeat(text),
        };
    }

    /// <summary>The text the client sends (<c>%f</c> numbers), for the fake client.</summary>
    public string Format() =>
        Tag
        + $"<wss>{WorkingSetBytes.IfNone(0).ToString("F6", CultureInfo.InvariantCulture)}</wss>"
        + $"<max_wss>{MaxWorkingSetBytes.IfNone(0).ToString("F6", CultureInfo.InvariantCulture)}</max_wss>"
        + (NetworkSuspended ? "<network_suspended/>" : "")
        + SporadicCa.Filter(c => c != Protocol.SporadicCa.None).Match(c => $"<sporadic_ca>{(int)c}</sporadic_ca>", () => "");
}
