#if F_TOML
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Floor;

internal static class TomlWork
{
    public static string Run(string path)
    {
        var doc = SyntaxParser.Parse(File.ReadAllText(path), path, true);
        var errors = doc.Diagnostics.Count(m => m.Kind == DiagnosticMessageKind.Error);
        var values = new Dictionary<string, object>();
        foreach (var kv in doc.KeyValues)
            values[KeyOf(kv.Key)] = ValueOf(kv.Value);
        foreach (var t in doc.Tables)
        {
            var prefix = KeyOf(t.Name);
            foreach (var kv in t.Items)
                values[prefix + "." + KeyOf(kv.Key)] = ValueOf(kv.Value);
        }
        return $"{errors}/{values.Count}/{values.GetValueOrDefault("image.tag")}";
    }

    private static string KeyOf(KeySyntax? key)
    {
        if (key is null) return "";
        var parts = new List<string> { Part(key.Key) };
        foreach (var dot in key.DotKeys) parts.Add(Part(dot.Key));
        return string.Join('.', parts);
    }

    private static string Part(BareKeyOrStringValueSyntax? p) => p switch
    {
        BareKeySyntax b => b.Key?.Text ?? "",
        StringValueSyntax s => s.Value ?? "",
        _ => "",
    };

    private static object ValueOf(ValueSyntax? v) => v switch
    {
        StringValueSyntax s => s.Value ?? "",
        IntegerValueSyntax i => i.Value,
        FloatValueSyntax f => f.Value,
        BooleanValueSyntax b => b.Value,
        ArraySyntax a => a.Items.Select(i => ValueOf(i.Value)).ToList(),
        InlineTableSyntax t => t.Items.Count(),
        _ => v?.ToString() ?? "",
    };
}
#endif
