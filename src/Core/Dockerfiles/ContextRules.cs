using System;
using System.Linq;
using Boinc.Persist.Core.Diagnostics;
using LanguageExt;

namespace Boinc.Persist.Core.Dockerfiles;

/// <summary>
/// The rules about the build context, one instruction at a time: COPY without <c>--from=</c>, ADD of a local
/// source, <c>RUN --mount=type=bind</c> without <c>from=</c>, and the same behind ONBUILD. Heredoc-only
/// sources are inline content and read nothing.
/// </summary>
internal static class ContextRules
{
    /// <summary>Flags that take a value; written without <c>=value</c> docker build fails.</summary>
    private static bool NeedsValue(string flag) => flag is
        "from" or "chown" or "chmod" or "exclude" or "checksum" or "mount" or "network" or "security" or "platform" or "device";

    public static Seq<Diagnostic> Check(string file, Instruction instruction) =>
        Check(file, instruction.Line, instruction.Keyword, instruction.Rest, "");

    private static Seq<Diagnostic> Check(string file, int line, string keyword, string rest, string via)
    {
        var name = $"{via}{keyword.ToUpperInvariant()}";
        return keyword.ToUpperInvariant() switch
        {
            "COPY" or "ADD" or "RUN" => WithFlags(file, line, name, rest, (flags, args) => keyword.ToUpperInvariant() switch
            {
                "COPY" => Copy(file, line, name, flags, args),
                "ADD" => Add(file, line, name, args),
                _ => Run(file, line, name, flags),
            }),
            "ONBUILD" when via.Length == 0 => Trigger(file, line, rest),
            _ => Seq<Diagnostic>.Empty,
        };
    }

    private static Seq<Diagnostic> Trigger(string file, int line, string rest)
    {
        var (trigger, args) = Words.SplitKeyword(rest);
        var upper = trigger.ToUpperInvariant();
        if (trigger.Length == 0)
            return One(DockerfileDiagnostics.Malformed(file, line, "ONBUILD", "needs an instruction to trigger"));
        if (upper is "ONBUILD" or "FROM" or "MAINTAINER")
            return One(DockerfileDiagnostics.Malformed(file, line, "ONBUILD", $"{upper} is not allowed as a trigger"));
        if (!Instructions.IsKnown(trigger))
            return One(DockerfileDiagnostics.UnknownInstruction(file, line, $"ONBUILD {trigger}"));
        return Check(file, line, trigger, args, "ONBUILD ");
    }

    private static Seq<Diagnostic> WithFlags(
        string file, int line, string name, string rest, Func<Seq<(string Name, Option<string> Value)>, Seq<string>, Seq<Diagnostic>> check)
    {
        var (rawFlags, remainder) = Words.ExtractFlags(rest);
        var flags = rawFlags.Map(Words.SplitFlag);
        var missing = flags.Filter(f => f.Value.IsNone && NeedsValue(f.Name));
        if (!missing.IsEmpty)
            return missing.Map(f => DockerfileDiagnostics.Malformed(file, line, name,
                $"flag --{f.Name} needs a value; Docker only accepts --{f.Name}=<value>"));
        var args = Words.JsonStringArray(remainder).IfNone(() => Words.SplitBlank(remainder));
        return check(flags, args);
    }

    private static Seq<Diagnostic> Copy(
        string file, int line, string name, Seq<(string Name, Option<string> Value)> flags, Seq<string> args)
    {
        var from = flags.Filter(f => f.Name == "from").Bind(f => f.Value.ToSeq()).LastOrDefault() ?? "";
        return Sources(file, line, name, args).Match(
            sources => from.Length > 0
                ? Seq<Diagnostic>.Empty
                : sources.Map(s => DockerfileDiagnostics.CopyFromContext(file, line, name, s)).Take(1),
            problem => problem);
    }

    private static Seq<Diagnostic> Add(string file, int line, string name, Seq<string> args) =>
        Sources(file, line, name, args).Match(
            sources =>
            {
                var local = sources.Filter(s => !IsRemote(s));
                return local.IsEmpty
                    ? sources.Map(s => DockerfileDiagnostics.AddRemote(file, line, name, s))
                    : One(DockerfileDiagnostics.AddFromContext(file, line, name, local.Head));
            },
            problem => problem);

    /// <summary>The non-heredoc sources (all but the last argument), or the reason the argument list is wrong.</summary>
    private static Either<Seq<Diagnostic>, Seq<string>> Sources(string file, int line, string name, Seq<string> args)
    {
        if (args.Count < 2)
            return One(DockerfileDiagnostics.Malformed(file, line, name, "needs at least a source and a destination"));
        if (Words.HeredocMarkerOf(args.Last).IsSome)
            return One(DockerfileDiagnostics.Malformed(file, line, name, "a heredoc cannot be the destination"));
        return args.Take(args.Count - 1).Filter(a => Words.HeredocMarkerOf(a).IsNone).ToSeq();
    }

    private static bool IsRemote(string source) =>
        source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ||
        source.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ||
        source.StartsWith("git://", StringComparison.OrdinalIgnoreCase) ||
        source.StartsWith("git@", StringComparison.Ordinal) ||
        source.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase);

    private static Seq<Diagnostic> Run(string file, int line, string name, Seq<(string Name, Option<string> Value)> flags) =>
        flags.Filter(f => f.Name == "mount")
            .Bind(f => f.Value.ToSeq())
            .Filter(BindsContext)
            .Map(m => DockerfileDiagnostics.RunBindsContext(file, line, name, m));

    /// <summary>A mount binds the build context when its type is bind (the default) and it has no non-empty from=.</summary>
    private static bool BindsContext(string mount)
    {
        var fields = CsvFields(mount).Map(field =>
        {
            var eq = field.IndexOf('=');
            return eq < 0
                ? (Key: field.Trim().ToLowerInvariant(), Value: "")
                : (Key: field[..eq].Trim().ToLowerInvariant(), Value: field[(eq + 1)..].Trim());
        });
        var type = fields.Filter(f => f.Key == "type").Map(f => f.Value.ToLowerInvariant()).LastOrDefault() ?? "bind";
        var from = fields.Filter(f => f.Key == "from").Map(f => f.Value).LastOrDefault() ?? "";
        return type == "bind" && from.Length == 0;
    }

    /// <summary>Comma-separated fields, double quotes grouping and removed (Go's encoding/csv, leniently).</summary>
    private static Seq<string> CsvFields(string text)
    {
        var fields = new System.Collections.Generic.List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in text)
        {
            if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
                field.Append(c);
        }
        fields.Add(field.ToString());
        return fields.ToSeq();
    }

    private static Seq<Diagnostic> One(Diagnostic d) => Seq<Diagnostic>.Empty.Add(d);
}
