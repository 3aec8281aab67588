using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Boinc.Persist.Core.Config;
using LanguageExt;

namespace Boinc.Persist.Core.Compat;

/// <summary>
/// Prints a <see cref="TomlNode.Table"/> back as a TOML document (top-level keys, then one <c>[table]</c> per
/// sub-table), and edits trees: what <c>check --compat</c> needs to write a job.toml. Comments are not kept.
/// </summary>
public static class TomlText
{
    public static string Document(TomlNode.Table root)
    {
        var sb = new StringBuilder();
        Body(sb, root, "");
        return sb.ToString();
    }

    private static void Body(StringBuilder sb, TomlNode.Table table, string prefix)
    {
        foreach (var (key, value) in table.Entries.Where(e => e.Value is not TomlNode.Table))
            sb.Append(Key(key)).Append(" = ").Append(Value(value)).Append('\n');
        foreach (var (key, value) in table.Entries)
        {
            if (value is not TomlNode.Table sub) continue;
            var name = prefix.Length == 0 ? Key(key) : prefix + "." + Key(key);
            if (sb.Length > 0) sb.Append('\n');
            sb.Append('[').Append(name).Append("]\n");
            Body(sb, sub, name);
        }
    }

    public static string Value(TomlNode node) => node switch
    {
        TomlNode.Str s => Quote(s.Value),
        TomlNode.Int i => i.Value.ToString(CultureInfo.InvariantCulture),
        TomlNode.Float f => Float(f.Value),
        TomlNode.Bool b => b.Value ? "true" : "false",
        TomlNode.DateTime d => d.Text,
        TomlNode.Arr a => "[" + string.Join(", ", a.Items.Map(Value)) + "]",
        TomlNode.Table t => "{ " + string.Join(", ", t.Entries.Map(e => $"{Key(e.Key)} = {Value(e.Value)}")) + " }",
        _ => "\"\"",
    };

    /// <summary>A TOML basic string.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                '\b' => "\\b",
                '\f' => "\\f",
                _ when char.IsControl(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }

    private static string Key(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? key : Quote(key);

    private static string Float(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') || s.Contains('e') ? s : s + ".0";
    }

    /// <summary>The value of <c>k = <paramref name="toml"/></c>, or None when it is not a TOML value.</summary>
    public static Option<TomlNode> ParseValue(string toml) =>
        TomlTree.Parse("(value)", "k = " + toml + "\n").Value.Bind(t => t.Find("k"));

    /// <summary><paramref name="root"/> with <paramref name="setting"/> applied: the key set (or the element appended).</summary>
    public static TomlNode.Table Apply(TomlNode.Table root, TomlSetting setting, TomlNode value) =>
        setting.Table.Match(
            table => Put(root, table, Put(root.Find(table).Bind(AsTable).IfNone(new TomlNode.Table(0, Seq<(string, TomlNode)>.Empty)),
                setting.Key, Merge(root.Find(table).Bind(AsTable).Bind(t => t.Find(setting.Key)), value, setting.Append))),
            () => Put(root, setting.Key, Merge(root.Find(setting.Key), value, setting.Append)));

    /// <summary><paramref name="table"/> with <paramref name="key"/> set to <paramref name="value"/>, in place if present, else last.</summary>
    public static TomlNode.Table Put(TomlNode.Table table, string key, TomlNode value) =>
        table.Entries.Exists(e => e.Key == key)
            ? table with { Entries = table.Entries.Map(e => e.Key == key ? (e.Key, value) : e) }
            : table with { Entries = table.Entries.Add((key, value)) };

    /// <summary><paramref name="table"/> without <paramref name="key"/>.</summary>
    public static TomlNode.Table Remove(TomlNode.Table table, string key) =>
        table with { Entries = table.Entries.Filter(e => e.Key != key) };

    private static TomlNode Merge(Option<TomlNode> existing, TomlNode value, bool append)
    {
        if (!append) return value;
        var items = existing.Match(e => e is TomlNode.Arr a ? a.Items : Seq<TomlNode>.Empty, () => Seq<TomlNode>.Empty);
        var already = items.Exists(i => Value(i) == Value(value));
        return new TomlNode.Arr(0, already ? items : items.Add(value));
    }

    private static Option<TomlNode.Table> AsTable(TomlNode n) => n is TomlNode.Table t ? Option<TomlNode.Table>.Some(t) : Option<TomlNode.Table>.None;
}
