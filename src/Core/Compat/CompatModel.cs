using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using LanguageExt;

namespace Boinc.Persist.Core.Compat;

/// <summary>How much a difference from docker_wrapper matters to the app being migrated.</summary>
public enum CompatKind
{
    /// <summary>The app does not run under boinc-persist until job.toml or the Dockerfile changes.</summary>
    Blocks,

    /// <summary>The app runs, and this behaviour is different for it.</summary>
    Differs,

    /// <summary>A default that differs; it matters only if the app relies on it.</summary>
    MayDiffer,
}

/// <summary>One job.toml setting, <c>[table] key = value</c>, the value written as TOML.</summary>
/// <param name="Append">The value is one element to add to the array <paramref name="Key"/> (mount, portmap, cap_add).</param>
public sealed record TomlSetting(Option<string> Table, string Key, string Value, bool Append = false)
{
    /// <summary>As the report prints it: <c>[confinement] network = "bridge"</c>, <c>mount = [..., "/a:/b"]</c>.</summary>
    public string Text
    {
        get
        {
            var value = Append ? $"[..., {Value}]" : Value;
            return Table.Match(t => $"[{t}] {Key} = {value}", () => $"{Key} = {value}");
        }
    }

    public string Path => Table.Match(t => $"{t}.{Key}", () => Key);
}

/// <summary>What brings docker_wrapper's behaviour back, or why nothing can.</summary>
public abstract record Restore
{
    private Restore() { }

    /// <summary>These job.toml settings restore it (they go into the suggested job.toml).</summary>
    public sealed record Settings(Seq<TomlSetting> Lines) : Restore;

    /// <summary>It cannot be restored exactly; <paramref name="Template"/> is the nearest setting, to be filled in.</summary>
    public sealed record Closest(string Template, string Why) : Restore;

    /// <summary>It cannot be restored, and why.</summary>
    public sealed record Cannot(string Why) : Restore;
}

/// <summary>One behaviour that differs: what docker_wrapper does, what boinc-persist does, and the way back.</summary>
public sealed record CompatItem(
    string Topic,
    CompatKind Kind,
    Option<Location> Where,
    string DockerWrapper,
    string BoincPersist,
    Restore Restore);

/// <summary>What <c>check --compat</c> found for one app.</summary>
/// <param name="LinkFiles">The link-file mode the job uses (job.toml's <c>[inputs] link_files</c>).</param>
/// <param name="Suggested">A complete job.toml with every <see cref="Restore.Settings"/> applied, checked by
/// <see cref="JobConfigReader"/>; None when nothing can be restored by a setting.</param>
/// <param name="Findings">What reading job.toml and the Dockerfile said (errors and warnings), as <c>check</c> says it.</param>
public sealed record CompatReport(
    string ConfigName,
    bool HasJobFile,
    string DockerfileName,
    LinkFileMode LinkFiles,
    Seq<CompatItem> Items,
    Option<string> Suggested,
    Seq<Diagnostic> Findings)
{
    public bool Blocks => Items.Exists(i => i.Kind == CompatKind.Blocks);
}
