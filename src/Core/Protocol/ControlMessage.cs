using System;
using LanguageExt;

namespace Boinc.Persist.Core.Protocol;

/// <summary>
/// One request the client put on the <c>process_control_request</c> channel. Closed union. The client writes
/// one tag per message (<c>client/app_control.cpp</c>), but the BOINC API tests each tag by substring, so a
/// message holding several tags yields several requests, in the order <c>boinc_api.cpp</c> handles them.
/// </summary>
public abstract record ControlMessage
{
    private ControlMessage() { }

    /// <summary><c>&lt;suspend/&gt;</c>: stop computing, keep the state in memory.</summary>
    public sealed record Suspend : ControlMessage;

    /// <summary><c>&lt;resume/&gt;</c>: continue after a suspend.</summary>
    public sealed record Resume : ControlMessage;

    /// <summary><c>&lt;quit/&gt;</c>: exit soon (the client kills the app 60 s later); it restarts in the same slot.</summary>
    public sealed record Quit : ControlMessage;

    /// <summary><c>&lt;abort/&gt;</c>: the task is cancelled; clean up and exit.</summary>
    public sealed record Abort : ControlMessage;

    /// <summary><c>&lt;reread_app_info/&gt;</c>: init_data.xml changed (preferences); read it again.</summary>
    public sealed record RereadAppInfo : ControlMessage;

    /// <summary><c>&lt;network_available/&gt;</c>: the network the app asked for is available now.</summary>
    public sealed record NetworkAvailable : ControlMessage;

    /// <summary>A message with none of the known tags, kept verbatim for the log.</summary>
    public sealed record Unknown(string Text) : ControlMessage;

    public static readonly ControlMessage SuspendRequest = new Suspend();
    public static readonly ControlMessage ResumeRequest = new Resume();
    public static readonly ControlMessage QuitRequest = new Quit();
    public static readonly ControlMessage AbortRequest = new Abort();
    public static readonly ControlMessage RereadAppInfoRequest = new RereadAppInfo();
    public static readonly ControlMessage NetworkAvailableRequest = new NetworkAvailable();
}

/// <summary>Text of the process_control_request channel to <see cref="ControlMessage"/>s and back.</summary>
public static class ControlMessages
{
    private static readonly Seq<(string Tag, ControlMessage Message)> Known = new[]
    {
        ("<suspend/>", ControlMessage.SuspendRequest),
        ("<resume/>", ControlMessage.ResumeRequest),
        ("<quit/>", ControlMessage.QuitRequest),
        ("<abort/>", ControlMessage.AbortRequest),
        ("<reread_app_info/>", ControlMessage.RereadAppInfoRequest),
        ("<network_available/>", ControlMessage.NetworkAvailableRequest),
    }.ToSeq();

    /// <summary>Every request in the text; a text with none of the known tags is one <see cref="ControlMessage.Unknown"/>.</summary>
    public static Seq<ControlMessage> Parse(string text)
    {
        var found = Known.Filter(k => text.Contains(k.Tag, StringComparison.Ordinal)).Map(k => k.Message);
        return found.IsEmpty ? new[] { (ControlMessage)new ControlMessage.Unknown(text) }.ToSeq() : found;
    }

    /// <summary>The text the client writes for a request (what the fake client sends).</summary>
    public static string Format(ControlMessage message) => message switch
    {
        ControlMessage.Suspend => "<suspend/>",
        ControlMessage.Resume => "<resume/>",
        ControlMessage.Quit => "<quit/>",
        ControlMessage.Abort => "<abort/>",
        ControlMessage.RereadAppInfo => "<reread_app_info/>",
        ControlMessage.NetworkAvailable => "<network_available/>",
        ControlMessage.Unknown u => u.Text,
        _ => throw new InvalidOperationException($"unhandled control message {message}"),
    };
}
