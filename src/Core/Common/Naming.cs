using System;
using System.Linq;
using System.Text;
using LanguageExt;

namespace Boinc.Persist.Core;

/// <summary>Names that must agree with BOINC's and Docker's rules.</summary>
public static class Naming
{
    /// <summary>An engine's image id without its <c>sha256:</c> prefix (engines list ids with and without it).</summary>
    public static string BareImageId(string id) => id.StartsWith("sha256:", StringComparison.Ordinal) ? id[7..] : id;

    /// <summary>The first 12 characters of the bare id, as <c>docker images</c> shows it.</summary>
    public static string ShortImageId(string id)
    {
        var bare = BareImageId(id);
        return bare.Length > 12 ? bare[..12] : bare;
    }

    /// <summary>The prefix BOINC gives its containers and images (<c>lib/util.cpp</c>).</summary>
    public const string BoincPrefix = "boinc__";

    /// <summary>
    /// BOINC's container name <c>boinc__&lt;projdir&gt;__&lt;result&gt;</c>, lower-cased (<c>docker_container_name</c>).
    /// Docker allows <c>[a-zA-Z0-9][a-zA-Z0-9_.-]*</c>; any other character becomes <c>_</c>, so that a strange
    /// project or result name still gives a legal, recognisable name.
    /// </summary>
    public static string ContainerName(string projectDirName, string resultName) =>
        DockerSafe($"{BoincPrefix}{projectDirName}__{resultName}".ToLowerInvariant());

    /// <summary>Whether BOINC's own name for this task is already legal (then ours is identical to it).</summary>
    public static bool IsBoincCompatible(string projectDirName, string resultName)
    {
        var boinc = $"{BoincPrefix}{projectDirName}__{resultName}".ToLowerInvariant();
        return boinc == DockerSafe(boinc);
    }

    private static string DockerSafe(string s)
    {
        var b = new StringBuilder(s.Length);
        foreach (var c in s)
            b.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '.' or '-' ? c : '_');
        var r = b.ToString();
        return r.Length > 200 ? r[..200] : r;
    }

    /// <summary>The known key closest to a misspelt one, if any is close enough to be a plausible typo.</summary>
    public static Option<string> Closest(string key, string[] known)
    {
        var best = known.Select(k => (k, d: Distance(key, k))).OrderBy(x => x.d).FirstOrDefault();
        return best.k is not null && best.d <= Math.Max(2, key.Length / 3) ? best.k : Option<string>.None;
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}

/// <summary>Docker image references (<c>[host[:port]/]path[:tag][@digest]</c>).</summary>
public static class ImageNames
{
    public static bool IsValidReference(string reference)
    {
        if (reference.Length is 0 or > 255) return false;
        var rest = reference;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            var digest = rest[(at + 1)..];
            if (!digest.StartsWith("sha256:", StringComparison.Ordinal) || digest.Length != 71 ||
                !digest[7..].All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
                return false;
            rest = rest[..at];
        }

        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            var tag = rest[(colon + 1)..];
            if (tag.Length is 0 or > 128 || !(char.IsAsciiLetterOrDigit(tag[0]) || tag[0] == '_') ||
                !tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
                return false;
            rest = rest[..colon];
        }

        var parts = rest.Split('/');
        var first = 0;
        if (parts.Length > 1 && (parts[0].Contains('.') || parts[0].Contains(':') || parts[0] == "localhost"))
        {
            if (!IsHost(parts[0])) return false;
            first = 1;
        }

        return parts.Skip(first).All(IsPathComponent) && parts.Length > first;
    }

    /// <summary>The repository part (without tag or digest), for prefix checks.</summary>
    public static string RepositoryPart(string reference)
    {
        var r = reference;
        var at = r.IndexOf('@');
        if (at >= 0) r = r[..at];
        var colon = r.LastIndexOf(':');
        if (colon > r.LastIndexOf('/')) r = r[..colon];
        var slash = r.LastIndexOf('/');
        return slash >= 0 ? r[(slash + 1)..] : r;
    }

    private static bool IsHost(string h)
    {
        var hostPart = h;
        var colon = h.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!h[(colon + 1)..].All(char.IsAsciiDigit) || colon == h.Length - 1) return false;
            hostPart = h[..colon];
        }

        return hostPart.Length > 0 && hostPart.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-');
    }

    // lower-case alphanumerics separated by one '.', one or two '_', or any number of '-'
    private static bool IsPathComponent(string c)
    {
        if (c.Length == 0 || !IsLowerAlnum(c[0]) || !IsLowerAlnum(c[^1])) return false;
        for (var i = 0; i < c.Length; i++)
        {
            var ch = c[i];
            if (IsLowerAlnum(ch) || ch == '-') continue;
            if (ch == '.' && IsLowerAlnum(c[i + 1])) continue;
            if (ch == '_' && (IsLowerAlnum(c[i + 1]) || (c[i + 1] == '_' && IsLowerAlnum(c[i + 2]))))
            {
                if (c[i + 1] == '_') i++;
                continue;
            }

            return false;
        }

        return true;
    }

    private static bool IsLowerAlnum(char c) => c is >= 'a' and <= 'z' or >= '0' and <= '9';
}
