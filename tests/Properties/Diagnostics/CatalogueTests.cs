using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Boinc.Persist.Core.Diagnostics;
using Xunit;

namespace Boinc.Persist.Properties.Diagnostics;

/// <summary>
/// The diagnostics catalogue is the only place a code is defined: ids are unique and of one style, every code
/// is reported somewhere, no code id is written anywhere else in the sources (code asks for a code by value),
/// and docs/DIAGNOSTICS.md is the catalogue as it is now. To regenerate the doc after changing the catalogue:
/// <c>BOINC_PERSIST_WRITE_DOCS=1 dotnet test tests/Properties --filter FullyQualifiedName~CatalogueTests</c>.
/// </summary>
public sealed class CatalogueTests
{
    private const string CatalogueFile = "src/Core/Diagnostics/DiagnosticCodes.cs";
    private const string DocFile = "docs/DIAGNOSTICS.md";

    private static string Repo() => RepoRoot.Path;

    private static (string Path, string Text)[] Sources(params string[] roots) =>
        roots.SelectMany(r => Directory.EnumerateFiles(Path.Combine(Repo(), r), "*.cs", SearchOption.AllDirectories))
            .Select(p => Path.GetRelativePath(Repo(), p).Replace('\\', '/'))
            .Where(p => !p.Contains("/obj/") && !p.Contains("/bin/") && p != CatalogueFile)
            .Select(p => (p, File.ReadAllText(Path.Combine(Repo(), p))))
            .ToArray();

    [Fact]
    public void Ids_are_unique_of_one_style_in_a_known_area_and_each_has_a_meaning()
    {
        Assert.NotEmpty(DiagnosticCodes.All);
        Assert.Equal(DiagnosticCodes.All.Count, DiagnosticCodes.All.Select(c => c.Id).Distinct().Count());
        var areas = DiagnosticCodes.Areas.Select(a => a.Area).ToHashSet();
        foreach (var c in DiagnosticCodes.All)
        {
            Assert.Matches(new Regex("^BP-[A-Z]{2,4}[0-9]{3}$"), c.Id);
            Assert.Contains(c.Area, areas);
            Assert.True(c.Meaning.Length > 10 && c.Meaning.EndsWith('.'), $"{c.Id}: '{c.Meaning}'");
            Assert.Equal(c, DiagnosticCodes.Find(c.Id).IfNone(() => throw new InvalidOperationException(c.Id)));
        }

        Assert.True(DiagnosticCodes.Find("no such code").IsNone);
        Assert.All(areas, a => Assert.Contains(DiagnosticCodes.All, c => c.Area == a));
    }

    [Fact]
    public void No_code_id_is_written_outside_the_catalogue()
    {
        // A code id, the old unprefixed slot and init_data ids, or an id built by interpolation (the prefix, an area, a brace).
        var literal = new Regex(@"BP-[A-Z]{2,}([0-9]{3}|\{)|\b(INIT|SLOT)[0-9]{3}\b");
        var found = Sources("src", "tests")
            .SelectMany(f => f.Text.Split('\n').Select((line, i) => (f.Path, Line: i + 1, Text: line)))
            .Where(l => literal.IsMatch(l.Text))
            .Select(l => $"{l.Path}:{l.Line}: {l.Text.Trim()}")
            .ToArray();
        Assert.True(found.Length == 0,
            "diagnostic codes are defined once, in " + CatalogueFile + "; use DiagnosticCodes.<Name> instead of:\n" + string.Join("\n", found));
    }

    [Fact]
    public void Every_code_in_the_catalogue_is_reported_somewhere_in_the_sources()
    {
        var src = string.Concat(Sources("src").Select(f => f.Text));
        var names = typeof(DiagnosticCodes).GetFields()
            .Where(f => f.FieldType == typeof(DiagnosticCode))
            .Select(f => f.Name)
            .ToArray();
        Assert.Equal(DiagnosticCodes.All.Count, names.Length);
        var unused = names.Where(n => !Regex.IsMatch(src, @"\bDiagnosticCodes\." + n + @"\b")).ToArray();
        Assert.True(unused.Length == 0, "codes no source reports (remove them, or report them): " + string.Join(", ", unused));
    }

    /// <summary>docs/DIAGNOSTICS.md as the catalogue renders it.</summary>
    public static string Render()
    {
        var b = new StringBuilder();
        b.Append("# Diagnostics\n\n");
        b.Append("Every finding that `boinc-persist` (the wrapper, `check`, `plan`, `gc`) reports carries one of these codes. They\n");
        b.Append("are printed the way compilers print theirs, so editors can jump to them:\n\n");
        var example = Core.Config.JobConfigReader.Parse("job.toml", "\n\nverbose = \"yes\"\n").Findings.Head();
        b.Append($"```\n{example}\n```\n\n");
        b.Append("A code's meaning never changes; messages may improve. `check --json` gives the code of each finding as `code`.\n\n");
        b.Append("This file is generated from the catalogue, `" + CatalogueFile + "` (the only place a code is defined);\n");
        b.Append("`tests/Properties/Diagnostics/CatalogueTests.cs` checks it is current and says how to regenerate it.\n");
        foreach (var (area, subject) in DiagnosticCodes.Areas)
        {
            b.Append($"\n## BP-{area}: {subject}\n\n");
            b.Append("| code | meaning |\n|---|---|\n");
            foreach (var c in DiagnosticCodes.All.Where(c => c.Area == area))
                b.Append($"| {c.Id} | {c.Meaning.Replace("|", "\\|").Replace("<", "&lt;").Replace(">", "&gt;")} |\n");
        }

        return b.ToString();
    }

    [Fact]
    public void The_diagnostics_doc_is_generated_from_the_catalogue_and_current()
    {
        var path = Path.Combine(Repo(), DocFile);
        var expected = Render();
        if (Environment.GetEnvironmentVariable("BOINC_PERSIST_WRITE_DOCS") == "1")
            File.WriteAllText(path, expected);
        Assert.True(File.Exists(path), $"{DocFile} is missing; regenerate it (see {nameof(CatalogueTests)})");
        Assert.True(File.ReadAllText(path) == expected,
            $"{DocFile} is not the catalogue as it is; regenerate it: BOINC_PERSIST_WRITE_DOCS=1 dotnet test tests/Properties --filter FullyQualifiedName~CatalogueTests");
    }
}
