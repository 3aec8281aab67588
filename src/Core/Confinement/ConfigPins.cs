using System;
using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Diagnostics;
using LanguageExt;

namespace Boinc.Persist.Core.Confinement;

/// <summary>One configuration file as first seen: its name and SHA-256 (hex), or None when it was absent.</summary>
public sealed record ConfigPin(string Name, Option<string> Sha256)
{
    public string Shown => Sha256.IfNone("absent");
}

/// <summary>
/// The wrapper's configuration (job.toml, the Dockerfile) as it was at the task's first start, pinned by hash
/// in <see cref="FileName"/> (in the wrapper's hidden state directory). A later start that finds either
/// changed, appeared or vanished refuses to run: the job cannot change its own configuration.
/// </summary>
public static class ConfigPins
{
    public const string FileName = StoreLayout.StateDirName + "/config-pins";

    private const string Header = "boinc-persist config pins v1";

    public static string Format(Seq<ConfigPin> pins) =>
        Header + "\n" + string.Concat(pins.Map(p => $"{p.Name}\t{p.Shown}\n"));

    /// <summary>None when the text is not a pins file this version wrote.</summary>
    public static Option<Seq<ConfigPin>> Parse(string text)
    {
        var lines = text.Split('\n');
        if (lines.Length < 1 || lines[0] != Header) return Option<Seq<ConfigPin>>.None;
        var pins = new System.Collections.Generic.List<ConfigPin>();
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var parts = line.Split('\t');
            if (parts.Length != 2 || parts[0].Length == 0) return Option<Seq<ConfigPin>>.None;
            var hash = parts[1] == "absent" ? Option<string>.None
                : parts[1].Length == 64 && parts[1].All(Uri.IsHexDigit) ? Option<string>.Some(parts[1])
                : Option<string>.None;
            if (hash.IsNone && parts[1] != "absent") return Option<Seq<ConfigPin>>.None;
            pins.Add(new ConfigPin(parts[0], hash));
        }

        return pins.ToSeq();
    }

    /// <summary>An error per file that differs from its pin (a file not pinned then is compared as absent).</summary>
    public static Seq<Diagnostic> Compare(Seq<ConfigPin> pinned, Seq<ConfigPin> now) =>
        now.Choose(n =>
        {
            var was = pinned.Find(p => p.Name == n.Name).Map(p => p.Sha256).IfNone(Option<string>.None);
            return was == n.Sha256
                ? Option<Diagnostic>.None
                : Option<Diagnostic>.Some(Diagnostic.Error(DiagnosticCodes.PinChanged, Location.InFile(n.Name),
                    $"{n.Name} changed since the task first started (then {Short(was)}, now {Short(n.Sha256)}); " +
                    "a job may not change its own configuration, so the task is not run again (compute error)"));
        }).ToSeq();

    private static string Short(Option<string> hash) => hash.Match(h => "SHA-256 " + h[..16] + "…", () => "absent");
}
