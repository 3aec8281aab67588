using System.Collections.Generic;
using LanguageExt;

namespace Boinc.Persist.Core;

/// <summary>
/// POSIX path arithmetic on strings (container paths and slot-relative names). Pure: nothing here looks at a
/// file system, so a symlink is just a name; the shell checks the real thing.
/// </summary>
public static class Paths
{
    /// <summary>
    /// An absolute path with duplicate and trailing slashes and <c>.</c> segments removed. None when it is not
    /// absolute, contains <c>..</c>, a NUL or a newline.
    /// </summary>
    public static Option<string> NormaliseAbsolute(string path)
    {
        if (!path.StartsWith('/') || HasForbiddenChars(path)) return Option<string>.None;
        var segs = new List<string>();
        foreach (var s in path.Split('/'))
        {
            if (s.Length == 0 || s == ".") continue;
            if (s == "..") return Option<string>.None;
            segs.Add(s);
        }

        return "/" + string.Join('/', segs);
    }

    /// <summary>
    /// A relative path that stays inside its base: <c>a/./b/</c> becomes <c>a/b</c>. None when it is absolute,
    /// empty after normalising, climbs out with <c>..</c> (even <c>a/../..</c>), or contains NUL or newline.
    /// Inner <c>..</c> that stays inside (<c>a/../b</c>) is refused too: a name should say where it points.
    /// </summary>
    public static Option<string> NormaliseRelative(string path)
    {
        if (path.StartsWith('/') || HasForbiddenChars(path)) return Option<string>.None;
        var segs = new List<string>();
        foreach (var s in path.Split('/'))
        {
            if (s.Length == 0 || s == ".") continue;
            if (s == "..") return Option<string>.None;
            segs.Add(s);
        }

        return segs.Count == 0 ? Option<string>.None : string.Join('/', segs);
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="dir"/> or inside it (both normalised).</summary>
    public static bool IsAtOrUnder(string path, string dir) =>
        dir == "/" || path == dir || path.StartsWith(dir + "/", System.StringComparison.Ordinal);

    public static string Join(string dir, string relative) =>
        dir.EndsWith('/') ? dir + relative : dir + "/" + relative;

    private static bool HasForbiddenChars(string p) => p.IndexOfAny(new[] { '\0', '\n', '\r' }) >= 0;
}
