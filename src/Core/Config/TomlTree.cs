using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Boinc.Persist.Core.Diagnostics;
using LanguageExt;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Boinc.Persist.Core.Config;

/// <summary>
/// A TOML value with the 1-based line it was written on, so every later finding can point at it.
/// Closed union: the nested cases are the only ones.
/// </summary>
public abstract record TomlNode(int Line)
{
    private TomlNode() : this(0) { }

    public sealed record Str(int Line, string Value) : TomlNode(Line);

    public sealed record Int(int Line, long Value) : TomlNode(Line);

    public sealed record Float(int Line, double Value) : TomlNode(Line);

    public sealed record Bool(int Line, bool Value) : TomlNode(Line);

    /// <summary>Dates and times: valid TOML, but no key of ours takes one.</summary>
    public sealed record DateTime(int Line, string Text) : TomlNode(Line);

    public sealed record Arr(int Line, Seq<TomlNode> Items) : TomlNode(Line);

    /// <summary>Entries in the order they were written; keys are unique (the parser enforces it).</summary>
    public sealed record Table(int Line, Seq<(string Key, TomlNode Value)> Entries) : TomlNode(Line)
    {
        public Option<TomlNode> Find(string key) =>
            Entries.Find(e => e.Key == key).Map(e => e.Value);
    }

    /// <summary>What a user would call this kind of value in an error message.</summary>
    public string TypeName => this switch
    {
        Str => "a string",
        Int => "an integer",
        Float => "a float",
        Bool => "a boolean",
        DateTime => "a date/time",
        Arr => "an array",
        Table => "a table",
        _ => "a value",
    };
}

/// <summary>Turns TOML text into a <see cref="TomlNode.Table"/>, keeping line numbers.</summary>
public static class TomlTree
{
    public static Checked<TomlNode.Table> Parse(string fileName, string text)
    {
        DocumentSyntax doc;
        try
        {
            doc = SyntaxParser.Parse(text, fileName, true);
        }
        catch (System.Exception e) when (e is not System.OutOfMemoryException)
        {
            // The parser is meant to report, not throw; if it throws anyway, that is still the user's file.
            return Checked<TomlNode.Table>.Fail(Diagnostic.Error(
                DiagnosticCodes.ConfigSyntax, Location.InFile(fileName), $"cannot parse TOML: {e.Message}"));
        }

        var syntaxErrors = doc.Diagnostics
            .Where(m => m.Kind == DiagnosticMessageKind.Error)
            .Select(m => Diagnostic.Error(
                DiagnosticCodes.ConfigSyntax, Location.At(fileName, m.Span.Start.Line + 1), $"TOML syntax: {m.Message}"))
            .ToSeq();
        if (!syntaxErrors.IsEmpty)
            return Checked<TomlNode.Table>.Fail(syntaxErrors);

        var root = new Builder(1);
        foreach (var kv in doc.KeyValues)
            root.Add(KeyPath(kv.Key), ToNode(kv.Value));
        foreach (var t in doc.Tables)
        {
            var path = KeyPath(t.Name);
            var line = LineOf(t);
            var table = new Builder(line);
            foreach (var kv in t.Items)
                table.Add(KeyPath(kv.Key), ToNode(kv.Value));
            if (t is TableArraySyntax)
                root.AppendToArray(path, table, line);
            else
                root.Merge(path, table, line);
        }

        return Checked<TomlNode.Table>.Ok(root.Build());
    }

    private static int LineOf(SyntaxNode node) => node.Span.Start.Line + 1;

    private static Seq<string> KeyPath(KeySyntax? key)
    {
        if (key is null) return Seq<string>.Empty;
        var parts = new List<string> { KeyPart(key.Key) };
        foreach (var dot in key.DotKeys)
            parts.Add(KeyPart(dot.Key));
        return parts.ToSeq();
    }

    private static string KeyPart(BareKeyOrStringValueSyntax? part) => part switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? "",
        StringValueSyntax str => str.Value ?? "",
        _ => "",
    };

    private static TomlNode ToNode(ValueSyntax? value)
    {
        var line = value is null ? 1 : LineOf(value);
        return value switch
        {
            StringValueSyntax s => new TomlNode.Str(line, s.Value ?? ""),
            IntegerValueSyntax i => new TomlNode.Int(line, i.Value),
            FloatValueSyntax f => new TomlNode.Float(line, f.Value),
            BooleanValueSyntax b => new TomlNode.Bool(line, b.Value),
            DateTimeValueSyntax d => new TomlNode.DateTime(line, d.Token?.Text ?? ""),
            ArraySyntax a => new TomlNode.Arr(line, a.Items.Select(i => ToNode(i.Value)).ToSeq()),
            InlineTableSyntax t => InlineTable(line, t),
            _ => new TomlNode.Str(line, value?.ToString() ?? ""),
        };
    }

    private static TomlNode.Table InlineTable(int line, InlineTableSyntax t)
    {
        var b = new Builder(line);
        foreach (var item in t.Items)
            if (item.KeyValue is { } kv)
                b.Add(KeyPath(kv.Key), ToNode(kv.Value));
        return b.Build();
    }

    /// <summary>
    /// Mutable only while one document is being read; the result is immutable. The parser has already
    /// rejected redefinitions, so merging never has to choose between two values.
    /// </summary>
    private sealed class Builder(int line)
    {
        private int Line { get; } = line;
        private readonly List<string> order = new();
        private readonly Dictionary<string, object> entries = new(); // TomlNode | Builder | List<Builder>

        public void Add(Seq<string> path, TomlNode value)
        {
            if (path.IsEmpty) return;
            if (path.Count == 1)
            {
                Put(path.Head, value);
                return;
            }

            Child(path.Head, value.Line).Add(path.Tail, value);
        }

        public void Merge(Seq<string> path, Builder table, int at)
        {
            if (path.IsEmpty) return;
            var target = Descend(path.Init, at);
            var name = path.Last;
            if (target.entries.TryGetValue(name, out var existing) && existing is Builder b)
            {
                foreach (var k in table.order)
                    b.Put(k, table.entries[k]);
            }
            else
            {
                target.Put(name, table);
            }
        }

        public void AppendToArray(Seq<string> path, Builder table, int at)
        {
            if (path.IsEmpty) return;
            var target = Descend(path.Init, at);
            var name = path.Last;
            if (target.entries.TryGetValue(name, out var existing) && existing is List<Builder> list)
                list.Add(table);
            else
                target.Put(name, new List<Builder> { table });
        }

        private Builder Descend(Seq<string> path, int at)
        {
            var current = this;
            foreach (var p in path)
            {
                if (current.entries.TryGetValue(p, out var e) && e is List<Builder> arr && arr.Count > 0)
                    current = arr[^1]; // [a.b] after [[a]] refers to the last element of a
                else
                    current = current.Child(p, at);
            }

            return current;
        }

        private Builder Child(string key, int at)
        {
            if (entries.TryGetValue(key, out var e) && e is Builder b) return b;
            var child = new Builder(at);
            Put(key, child);
            return child;
        }

        private void Put(string key, object value)
        {
            if (!entries.ContainsKey(key)) order.Add(key);
            entries[key] = value;
        }

        public TomlNode.Table Build() =>
            new(Line, order.Select(k => (k, Materialise(entries[k]))).ToSeq());

        private static TomlNode Materialise(object o) => o switch
        {
            TomlNode n => n,
            Builder b => b.Build(),
            List<Builder> l => new TomlNode.Arr(
                l.Count == 0 ? 1 : l[0].Line, l.Select(b => (TomlNode)b.Build()).ToSeq()),
            _ => new TomlNode.Str(1, System.Convert.ToString(o, CultureInfo.InvariantCulture) ?? ""),
        };
    }
}
