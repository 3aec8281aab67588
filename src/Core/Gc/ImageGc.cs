using System;
using System.Globalization;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using LanguageExt;

namespace Boinc.Persist.Core.Gc;

/// <summary>
/// How the wrapper collects our images by itself (at job start and end). The volunteer's decision, read from
/// the <c>[gc]</c> table of the host policy file (<c>/etc/boinc-persist/policy.toml</c>): images are a
/// host-wide resource shared by every project, so no job (job.toml is the project's, and the job's files are
/// hostile) can set it. Invariants: <see cref="MaxAge"/> is not negative; <see cref="MaxTotalBytes"/> is
/// positive when set.
/// </summary>
public sealed record ImageGcPolicy(bool Auto, TimeSpan MaxAge, Option<long> MaxTotalBytes)
{
    /// <summary>
    /// On, 7 days, no size bound. A week outlives a task suspended over a weekend (an image removed early is
    /// only rebuilt, never a lost checkpoint, but a rebuild may need the network) and is short next to the
    /// months a volunteer's disk otherwise fills over app versions.
    /// </summary>
    public static ImageGcPolicy Default { get; } = new(true, TimeSpan.FromDays(7), Option<long>.None);

    public const string Table = "gc";

    private static readonly string[] Keys = ["auto", "image_max_age", "images_max_size"];

    /// <summary>The <c>[gc]</c> table of an already parsed policy file; absent means <see cref="Default"/>.</summary>
    public static Checked<ImageGcPolicy> FromRoot(string file, TomlNode.Table root)
    {
        var findings = new System.Collections.Generic.List<Diagnostic>();
        void Err(int line, string key, string msg) => findings.Add(Diagnostic.Error(DiagnosticCodes.PolicyBadGcTable, Location.AtKey(file, line, key), msg));
        var p = Default;
        var node = root.Find(Table);
        if (node.IsSome && node.IfNone(root) is not TomlNode.Table)
        {
            var n = node.IfNone(root);
            Err(n.Line, Table, $"{Table} must be a table, not {n.TypeName}");
        }
        else if (node.IsSome && node.IfNone(root) is TomlNode.Table t)
        {
            foreach (var (key, value) in t.Entries)
            {
                var k = Table + "." + key;
                switch (key, value)
                {
                    case ("auto", TomlNode.Bool b): p = p with { Auto = b.Value }; break;
                    case ("image_max_age", TomlNode.Str s):
                        ParseAge(s.Value).Match(a => p = p with { MaxAge = a },
                            () => Err(s.Line, k, $"{k} must be a duration such as \"7d\", \"12h\" or \"0s\", not \"{s.Value}\""));
                        break;
                    case ("images_max_size", TomlNode.Str s):
                        Units.ParseSize(s.Value).Filter(n => n > 0).Match(n => p = p with { MaxTotalBytes = n },
                            () => Err(s.Line, k, $"{k} must be a positive size such as \"20g\", not \"{s.Value}\""));
                        break;
                    case var _ when !Keys.Contains(key):
                        Err(value.Line, k, $"unknown key {k}; known: {string.Join(", ", Keys)}");
                        break;
                    default:
                        Err(value.Line, k, $"{k} must be {(key == "auto" ? "a boolean" : "a string")}, not {value.TypeName}");
                        break;
                }
            }
        }

        var ds = findings.ToSeq();
        return Diagnostics.Diagnostics.HasErrors(ds) ? Checked<ImageGcPolicy>.Fail(ds) : Checked<ImageGcPolicy>.Ok(p);
    }

    /// <summary>A duration as <see cref="Units.ParseDuration"/> reads it, or whole/decimal days with <c>d</c>.</summary>
    public static Option<TimeSpan> ParseAge(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        if (!s.EndsWith('d'))
            return Units.ParseDuration(s);
        var num = s[..^1];
        if (num.Length == 0 || !num.All(c => char.IsAsciiDigit(c) || c == '.') || num.Count(c => c == '.') > 1
            || !double.TryParse(num, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var days)
            || days < 0 || days > 36500)
            return Option<TimeSpan>.None;
        return TimeSpan.FromDays(days);
    }

    public string Describe() =>
        Auto
            ? $"automatic image gc: our images unused for {FormatAge(MaxAge)}" +
              MaxTotalBytes.Match(b => $", and least recently used first above {Units.FormatSize(b)} in all", () => "")
            : "automatic image gc: off ([gc] auto = false)";

    public static string FormatAge(TimeSpan t) =>
        t.TotalDays >= 1 && t.Ticks % TimeSpan.TicksPerDay == 0
            ? ((long)t.TotalDays).ToString(CultureInfo.InvariantCulture) + "d"
            : Units.FormatDuration(t);
}

/// <summary>
/// What the shell found about one image of ours (or one that only looks like ours: <see cref="Ours"/> says
/// whether it carries our owner label). <see cref="LastUsed"/> is None when no wrapper ever recorded a use
/// (e.g. the record directory was lost): then the age is unknown.
/// </summary>
public sealed record ImageFacts(
    string Id,
    string Name,
    bool Ours,
    long SizeBytes,
    Option<DateTimeOffset> LastUsed,
    Seq<string> Containers,
    Seq<string> Slots,
    bool HeldByWrapper);

/// <summary>Why an image stays or goes. Protected reasons can never be overridden by the size bound.</summary>
public abstract record ImageVerdict(string Id, string Name, string Reason)
{
    public sealed record Keep(string Id, string Name, string Reason, bool Protected) : ImageVerdict(Id, Name, Reason);

    public sealed record Remove(string Id, string Name, string Reason) : ImageVerdict(Id, Name, Reason);

    /// <summary>No record of use: keep, and start its age now (the shell writes the record).</summary>
    public sealed record StartClock(string Id, string Name, string Reason) : ImageVerdict(Id, Name, Reason);
}

/// <summary>
/// The image collector's rules. Pure. An image goes only when it carries our owner label, no container (ours or
/// anyone's, any state) is created from it, no live slot journal names it, no running wrapper holds it, and
/// either its last recorded use is older than the policy's age, or (size bound) the images of ours that are
/// free in that sense are, least recently used first, what takes our total above the bound.
/// </summary>
public static class ImageGcRules
{
    public static Seq<ImageVerdict> Decide(Seq<ImageFacts> images, DateTimeOffset now, TimeSpan maxAge, Option<long> maxTotalBytes)
    {
        var first = images.Map(i => (Facts: i, Verdict: First(i, now, maxAge))).Strict();
        var result = first;
        maxTotalBytes.Iter(bound =>
        {
            // What stays counts against the bound; the free ones go oldest first until it fits.
            var staying = first.Filter(x => x.Facts.Ours && x.Verdict is not ImageVerdict.Remove).Sum(x => Math.Max(0, x.Facts.SizeBytes));
            var lru = first
                .Filter(x => x.Verdict is ImageVerdict.Keep { Protected: false } or ImageVerdict.StartClock)
                .OrderBy(x => x.Facts.LastUsed.IfNone(now))
                .ThenBy(x => x.Facts.Id, StringComparer.Ordinal)
                .ToSeq();
            var drop = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
            foreach (var x in lru)
            {
                if (staying <= bound)
                    break;
                drop.Add(x.Facts.Id);
                staying -= Math.Max(0, x.Facts.SizeBytes);
            }

            result = first.Map(x => drop.Contains(x.Facts.Id)
                ? (x.Facts, (ImageVerdict)new ImageVerdict.Remove(x.Facts.Id, x.Facts.Name,
                    $"our images take more than {Units.FormatSize(bound)} ([gc] images_max_size) and this one is the least recently used that is free ({Age(x.Facts, now)})"))
                : x).Strict();
        });
        return result.Map(x => x.Verdict).Strict();
    }

    private static ImageVerdict First(ImageFacts i, DateTimeOffset now, TimeSpan maxAge)
    {
        if (!i.Ours)
            return new ImageVerdict.Keep(i.Id, i.Name, "no owner label: not ours", true);
        if (i.HeldByWrapper)
            return new ImageVerdict.Keep(i.Id, i.Name, "held by a running wrapper (image lock)", true);
        if (!i.Containers.IsEmpty)
            return new ImageVerdict.Keep(i.Id, i.Name, $"used by container {string.Join(", ", i.Containers)}", true);
        if (!i.Slots.IsEmpty)
            return new ImageVerdict.Keep(i.Id, i.Name, $"named by the journal of slot {string.Join(", ", i.Slots)}", true);
        return i.LastUsed.Match<ImageVerdict>(
            last => now - last > maxAge
                ? new ImageVerdict.Remove(i.Id, i.Name, $"unused for {Age(i, now)}, more than {ImageGcPolicy.FormatAge(maxAge)}")
                : new ImageVerdict.Keep(i.Id, i.Name, $"last used {Age(i, now)} ago, within {ImageGcPolicy.FormatAge(maxAge)}", false),
            () => new ImageVerdict.StartClock(i.Id, i.Name, "no record of its last use: its age counts from now"));
    }

    private static string Age(ImageFacts i, DateTimeOffset now) =>
        i.LastUsed.Match(l => Units.FormatDuration(TimeSpan.FromSeconds(Math.Max(0, Math.Floor((now - l).TotalSeconds)))), () => "age unknown");
}
