using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;

namespace Boinc.Persist.Properties;

/// <summary>A piece of a generated Dockerfile: its physical lines, and whether it reads the build context.</summary>
public sealed record DockerfileFragment(string[] Lines, bool ReadsContext)
{
    public override string ToString() => (ReadsContext ? "[reads context] " : "") + string.Join(" ⏎ ", Lines);
}

/// <summary>
/// A generated Dockerfile: a header (parser directives and the first FROM) then fragments. It knows the line
/// where every context-reading instruction starts.
/// </summary>
public sealed record DockerfileCase(char Escape, string[] Header, DockerfileFragment[] Fragments)
{
    public string Text => string.Join("\n", Header.Concat(Fragments.SelectMany(f => f.Lines))) + "\n";

    public int[] ExpectedErrorLines
    {
        get
        {
            var lines = new List<int>();
            var next = Header.Length + 1;
            foreach (var f in Fragments)
            {
                if (f.ReadsContext)
                    lines.Add(next);
                next += f.Lines.Length;
            }
            return lines.ToArray();
        }
    }

    /// <summary>Numbered lines, so a shrunk counterexample reads like a listing.</summary>
    public override string ToString() =>
        "\n" + string.Join("\n", Text.Split('\n').Select((l, i) => $"{i + 1,3}| {l}"));
}

/// <summary>WORKDIR instructions (and stage hops) with the path a plain segment-list model expects.</summary>
public sealed record WorkdirCase(string Text, string ExpectedPath, int ExpectedLine)
{
    public override string ToString() => $"\n{Text}=> {ExpectedPath} (line {ExpectedLine})";
}

public static partial class Generators
{
    public static Arbitrary<DockerfileCase> DockerfileCase() =>
        Arb.From(DockerfileCases(allowContextReads: true), ShrinkCase);

    /// <summary>Dockerfiles with at least one context-reading instruction.</summary>
    public static Gen<DockerfileCase> ContextReadingDockerfiles() =>
        DockerfileCases(allowContextReads: true).Where(c => c.Fragments.Any(f => f.ReadsContext));

    /// <summary>Dockerfiles without any context-reading instruction (but with decoys).</summary>
    public static Gen<DockerfileCase> CleanDockerfiles() => DockerfileCases(allowContextReads: false);

    public static IEnumerable<DockerfileCase> ShrinkCase(DockerfileCase c) =>
        Enumerable.Range(0, c.Fragments.Length)
            .Select(i => c with { Fragments = c.Fragments.Where((_, k) => k != i).ToArray() });

    private static Gen<DockerfileCase> DockerfileCases(bool allowContextReads) =>
        from escape in Gen.Elements('\\', '`')
        from header in Header(escape)
        from fragments in Frequency(
                (allowContextReads ? 3 : 0, ContextReading(escape)),
                (6, Clean(escape)))
            .ListOf()
        select new DockerfileCase(escape, header, fragments.ToArray());

    private static Gen<T> Frequency<T>(params (int Weight, Gen<T> Gen)[] choices) =>
        Gen.Frequency(choices.Where(c => c.Weight > 0).ToArray());

    private static Gen<List<T>> BetweenList<T>(this Gen<T> gen, int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => gen.ListOf(n)).Select(l => l.ToList());

    private static Gen<string> Cased(string keyword) =>
        Gen.Elements(false, true).ArrayOf(keyword.Length)
            .Select(up => new string(keyword.Select((c, i) => up[i] ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)).ToArray()));

    private static Gen<string[]> Header(char escape) =>
        from key in Cased("escape")
        from spaced in Gen.Elements("", " ")
        from syntax in Gen.Elements(Array.Empty<string>(), new[] { "# syntax=docker/dockerfile:1" })
        from needEscape in escape == '`' ? Gen.Constant(true) : Gen.Elements(false, true)
        from first in Gen.Elements(
            new[] { "FROM debian" },
            new[] { "ARG BASE=debian:bookworm", "FROM ${BASE} AS base" },
            new[] { "from --platform=linux/amd64 golang:1.22 as build" })
        select syntax
            .Concat(needEscape ? new[] { $"#{spaced}{key}{spaced}={escape}" } : Array.Empty<string>())
            .Concat(first)
            .ToArray();

    /// <summary>Renders words as one instruction, sometimes split over continuation lines with comments and blank lines inside.</summary>
    private static Gen<string[]> Instruction(char escape, params string[] words) =>
        from keyword in Cased(words[0])
        from breaks in Frequency(
                (5, Gen.Constant(Array.Empty<string>())),
                (2, from trailing in Gen.Elements("", " ", "\t ")
                    from fillers in Gen.Elements("", "   ", "# a comment", "  # COPY . /app", "\t").BetweenList(0, 2)
                    select new[] { $" {escape}{trailing}" }.Concat(fillers).ToArray()))
            .ArrayOf(words.Length - 1)
        select Render(keyword, words.Skip(1).ToArray(), breaks);

    private static string[] Render(string keyword, string[] rest, string[][] breaks)
    {
        var lines = new List<string>();
        var current = keyword;
        for (var i = 0; i < rest.Length; i++)
        {
            if (breaks[i].Length == 0)
            {
                current += " " + rest[i];
                continue;
            }
            lines.Add(current + breaks[i][0]);
            lines.AddRange(breaks[i].Skip(1));
            current = "  " + rest[i];
        }
        lines.Add(current);
        return lines.ToArray();
    }

    private static Gen<DockerfileFragment> Reads(Gen<string[]> lines) => lines.Select(l => new DockerfileFragment(l, true));

    private static Gen<DockerfileFragment> Harmless(Gen<string[]> lines) => lines.Select(l => new DockerfileFragment(l, false));

    private static readonly string[] CopyFlags = ["--chown=1000:1000", "--chmod=644", "--link", "--parents", "--exclude=*.tmp"];

    private static Gen<string[]> SomeFlags(params string[] must) =>
        from flags in Gen.SubListOf(CopyFlags)
        from all in Gen.Shuffle(flags.Concat(must).ToArray())
        select all;

    private static Gen<DockerfileFragment> ContextReading(char escape) => Gen.OneOf(
        Reads(from flags in SomeFlags()
              from sources in Gen.Elements("in.dat", ".", "src/", "a b", "*.py").BetweenList(1, 3)
              from lines in Instruction(escape, new[] { "COPY" }.Concat(flags).Concat(sources).Append("/app/").ToArray())
              select lines),
        Reads(from flags in SomeFlags()
              from lines in Instruction(escape, new[] { "COPY" }.Concat(flags).Append("[\"in put\", \"/app/\"]").ToArray())
              select lines),
        Reads(from source in Gen.Elements("local.tar.gz", "./data", "https.txt")
              from lines in Instruction(escape, "ADD", source, "/data/")
              select lines),
        Reads(from kw in Gen.Elements("COPY", "ADD", "copy")
              from lines in Instruction(escape, "ONBUILD", kw, ".", "/app")
              select lines),
        Reads(from doc in HeredocBody(escape, "EOF")
              from lines in Instruction(escape, "COPY", doc.Marker, "extra.txt", "/etc/")
              select lines.Concat(doc.Lines).ToArray()),
        Reads(from mount in Gen.Elements("type=bind,target=/src", "target=/src,ro", "type=bind,source=.,target=/w,rw", "type=BIND,from=,target=/x")
              from lines in Instruction(escape, "RUN", $"--mount={mount}", "make")
              select lines));

    private static Gen<DockerfileFragment> Clean(char escape) => Frequency(
        (2, Harmless(Gen.Elements(new[] { "" }, new[] { "# COPY . /app" }, new[] { "   # comment", "" }, new[] { "\t" }))),
        (3, Harmless(Instruction(escape, "RUN", "apt-get", "update", "&&", "apt-get", "install", "-y", "curl"))),
        (3, Harmless(HeredocRun(escape))),
        (2, Harmless(from flags in SomeFlags("--from=build")
                     from json in Gen.Elements(false, true)
                     from lines in Instruction(escape, new[] { "COPY" }.Concat(flags)
                         .Concat(json ? new[] { "[\"/out/a\", \"/app/\"]" } : new[] { "/out/a", "/out/b", "/app/" }).ToArray())
                     select lines)),
        (2, Harmless(from kw in Gen.Elements("COPY", "ADD")
                     from one in HeredocBody(escape, "EOF")
                     from two in HeredocBody(escape, "END")
                     from both in Gen.Elements(false, true)
                     from lines in both
                         ? Instruction(escape, kw, one.Marker, two.Marker, "/etc/conf.d/")
                         : Instruction(escape, kw, one.Marker, "/etc/app.conf")
                     select lines.Concat(one.Lines).Concat(both ? two.Lines : Array.Empty<string>()).ToArray())),
        (1, Harmless(from url in Gen.Elements("https://example.org/data.tgz", "http://example.org/x", "git@github.com:o/r.git")
                     from lines in Instruction(escape, "ADD", url, "/data/")
                     select lines)),
        (2, Harmless(from mount in Gen.Elements("type=cache,target=/root/.cache", "type=secret,id=token", "type=ssh",
                         "type=tmpfs,target=/tmp", "type=bind,from=build,target=/b", "from=build,target=/b", "\"type=bind\",from=x,target=/y")
                     from lines in Instruction(escape, "RUN", $"--mount={mount}", "ls")
                     select lines)),
        (1, Harmless(Instruction(escape, "ONBUILD", "RUN", "echo", "triggered"))),
        (1, Harmless(Instruction(escape, "ONBUILD", "COPY", "--from=build", "/a", "/b"))),
        (2, Harmless(Gen.Elements(
            new[] { "WORKDIR /app" }, new[] { "ENV A=b C=\"d e\"" }, new[] { "USER 1000" }, new[] { "CMD [\"./run\"]" },
            new[] { "LABEL org.example=\"COPY . /\"" }, new[] { "EXPOSE 8080" }, new[] { "FROM alpine AS later" },
            new[] { "ENTRYPOINT ./start.sh" }, new[] { "RUN echo \"<<EOF\" 'COPY . /'" }))),
        (escape == '`' ? 1 : 0, Harmless(Gen.Constant(new[] { "RUN echo C:\\" }))));

    /// <summary>A RUN with one or two heredocs whose bodies are full of lines that look like instructions.</summary>
    private static Gen<string[]> HeredocRun(char escape) =>
        from onbuild in Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from one in HeredocBody(escape, "EOF")
        from two in HeredocBody(escape, "SCRIPT")
        from shape in Gen.Choose(0, 2)
        let words = shape switch
        {
            0 => new[] { "RUN", one.Marker },
            1 => new[] { "RUN", "bash", "-e", one.Marker },
            _ => new[] { "RUN", "cat", one.Marker, "&&", "cat", two.Marker },
        }
        from lines in Instruction(escape, onbuild ? new[] { "ONBUILD" }.Concat(words).ToArray() : words)
        select lines.Concat(one.Lines).Concat(shape == 2 ? two.Lines : Array.Empty<string>()).ToArray();

    private static readonly string[] Decoys =
    [
        "COPY . /app", "ADD local.tar /", "copy in out", "ONBUILD COPY x y", "RUN --mount=type=bind,target=/x true",
        "FROM evil", "# comment", "", "FROBNICATE", "  COPY a b", "echo \\", "echo `", "<<NESTED", "EOF2", " EOF", " SCRIPT", "\tEOF", "\tSCRIPT",
    ];

    /// <summary>A heredoc marker (plain, chomping, quoted) plus its body and terminator lines.</summary>
    private static Gen<(string Marker, string[] Lines)> HeredocBody(char escape, string name) =>
        from chomp in Gen.Elements(false, true)
        from quote in Gen.Elements("", "\"", "'")
        from body in Gen.Elements(Decoys).BetweenList(0, 4)
        from tabs in Gen.Elements("", "\t", "\t\t")
        let lines = body.Where(l => l != name && !(chomp && l.TrimStart('\t') == name)).ToArray()
        select ($"<<{(chomp ? "-" : "")}{quote}{name}{quote}",
            lines.Append(chomp ? tabs + name : name).ToArray());

    /// <summary>Strings that look a bit like Dockerfiles: the tokens that steer the lexer, in any order.</summary>
    public static Gen<string> DockerfileJunk() =>
        Gen.Elements(
                "FROM a", "COPY", "RUN", "ONBUILD", "WORKDIR", "ADD", "CMD", "ENV", "ARG", " ", "\t", "\n", "\r\n", "\\", "`",
                "<<EOF", "<<-'E'", "<<\"", "EOF", "E", "[", "]", "\"", "'", ",", "# escape=`", "# escape=\\", "#", "${", "$A",
                "}", ":-", "--mount=", "type=bind", "--from=", "--from", "..", "/", "\0", "\uFEFF", "\u00e9", "\uD800")
            .ListOf()
            .Select(tokens => string.Concat(tokens));

    public static Gen<WorkdirCase> WorkdirCases() =>
        from steps in Gen.OneOf(
                from absolute in Gen.Elements(false, true)
                from segments in Gen.Elements("a", "b", "data", ".", "..", "x.y").BetweenList(1, 4)
                from separator in Gen.Elements("/", "//")
                from trailing in Gen.Elements("", "/")
                select (Hop: false, Absolute: absolute, Segments: segments.ToArray(),
                    Text: (absolute ? "/" : "") + string.Join(separator, segments) + trailing),
                Gen.Constant((Hop: true, Absolute: false, Segments: Array.Empty<string>(), Text: "")))
            .NonEmptyListOf()
        where steps.Any(s => !s.Hop)
        select Workdir(steps.ToArray());

    private static WorkdirCase Workdir((bool Hop, bool Absolute, string[] Segments, string Text)[] steps)
    {
        var lines = new List<string> { "FROM scratch AS s0" };
        var model = new List<string>();
        var stage = 0;
        var last = 0;
        foreach (var step in steps)
        {
            if (step.Hop)
            {
                stage++;
                lines.Add($"FROM s{stage - 1} AS s{stage}");
                continue;
            }
            if (step.Absolute)
                model.Clear();
            foreach (var s in step.Segments)
            {
                if (s == "..")
                {
                    if (model.Count > 0)
                        model.RemoveAt(model.Count - 1);
                }
                else if (s != ".")
                    model.Add(s);
            }
            lines.Add($"WORKDIR {step.Text}");
            last = lines.Count;
        }
        return new WorkdirCase(string.Join("\n", lines) + "\n", "/" + string.Join("/", model), last);
    }
}
