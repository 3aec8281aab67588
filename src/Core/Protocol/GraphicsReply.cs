using System;
using System.Globalization;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Boinc.Persist.Core.Protocol;

/// <summary>
/// The <c>graphics_reply</c> message that tells the client where the task's web graphics are, as the BOINC API's
/// <c>boinc_web_graphics_url</c> sends it (<c>&lt;web_graphics_url&gt;URL&lt;/web_graphics_url&gt;</c>); the client
/// (<c>ACTIVE_TASK::get_graphics_msg</c>) keeps it for the Manager's "Show graphics". The client copies the URL
/// into a 256-byte buffer and reads it with <c>parse_str</c>, so it must be shorter, ASCII, and hold no '&lt;'.
/// </summary>
public static class GraphicsReply
{
    /// <summary>The client's buffer for the URL, NUL included.</summary>
    public const int UrlCapacity = 256;

    /// <summary>The loopback URL of a published host port: <c>http://127.0.0.1:PORT</c>; Left when not a TCP port.</summary>
    public static Either<string, string> LoopbackUrl(int hostPort) =>
        hostPort is > 0 and <= 65535
            ? Right<string, string>("http://127.0.0.1:" + hostPort.ToString(CultureInfo.InvariantCulture))
            : Left<string, string>($"the engine published web graphics on port {hostPort}, which is not a TCP port");

    /// <summary>The message text for <paramref name="url"/>; Left says why the client could not take it.</summary>
    public static Either<string, string> WebGraphicsUrl(string url)
    {
        if (url.Length == 0 || url.Length >= UrlCapacity)
            return Left<string, string>($"a web graphics URL must have 1 to {UrlCapacity - 1} characters, not {url.Length}");
        foreach (var ch in url)
        {
            if (ch <= ' ' || ch >= 127 || ch == '<' || ch == '>' || ch == '&')
                return Left<string, string>($"a web graphics URL must be printable ASCII without spaces, '<', '>' or '&': {url}");
        }

        return Right<string, string>("<web_graphics_url>" + url + "</web_graphics_url>");
    }

    /// <summary>What the client keeps from a graphics_reply text (<c>parse_str</c>: between the tag and the next '&lt;').</summary>
    public static Option<string> ParseWebGraphicsUrl(string text)
    {
        const string tag = "<web_graphics_url>";
        var at = text.IndexOf(tag, StringComparison.Ordinal);
        if (at < 0)
            return Option<string>.None;
        var start = at + tag.Length;
        var end = text.IndexOf('<', start);
        var value = (end < 0 ? text[start..] : text[start..end]).Trim();
        return value.Length >= UrlCapacity ? value[..(UrlCapacity - 1)] : value;
    }
}
