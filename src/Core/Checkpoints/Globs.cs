using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// The [checkpoint] files patterns: WORKDIR-relative names with <c>*</c> and <c>?</c> inside one path segment
/// and <c>**</c> for any number of segments. Pure string matching; the shell lists the files.
/// </summary>
public static class Globs
{
    public static bool MatchesAny(Seq<string> patterns, string path) =>
        !StoreLayout.IsWrapperPath(path) && !path.EndsWith(StoreLayout.RestoreSuffix, System.StringComparison.Ordinal) &&
        patterns.Exists(p => Matches(p, path));

    public static bool Matches(string pattern, string path) =>
        MatchSegments(pattern.Trim('/').Split('/'), 0, path.Split('/'), 0);

    private static bool MatchSegments(string[] pat, int i, string[] segs, int j)
    {
        if (i == pat.Length) return j == segs.Length;
        if (pat[i] == "**")
        {
            for (var k = j; k <= segs.Length; k++)
                if (MatchSegments(pat, i + 1, segs, k)) return true;
            return false;
        }

        return j < segs.Length && MatchSegment(pat[i], 0, segs[j], 0) && MatchSegments(pat, i + 1, segs, j + 1);
    }

    private static bool MatchSegment(string p, int i, string s, int j)
    {
        while (i < p.Length)
        {
            switch (p[i])
            {
                case '*':
                    for (var k = j; k <= s.Length; k++)
                        if (MatchSegment(p, i + 1, s, k)) return true;
                    return false;
                case '?':
                    if (j >= s.Length) return false;
                    break;
                default:
                    if (j >= s.Length || s[j] != p[i]) return false;
                    break;
            }

            i++;
            j++;
        }

        return j == s.Length;
    }
}
