using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace Boinc.Persist.Properties.Architecture;

/// <summary>
/// The wrapper's runtime code and the tools that check wrappers (conform, the model, model-check, crash-explore,
/// torture, bench, the fakes and the simulation) live apart: everything of the second kind is under a
/// <c>Verification/</c> folder (namespace <c>…Verification…</c>), and no runtime file refers to it, except
/// <c>src/Shell/Program.cs</c>, which dispatches the commands of both. A reader of the runtime sees only the
/// runtime; the binary still carries both.
/// </summary>
public sealed class RuntimeApartTests
{
    private static string Repo() => RepoRoot.Path;

    [Theory]
    [InlineData("src/Core")]
    [InlineData("src/Shell")]
    public void No_runtime_file_refers_to_the_verification_tools(string root)
    {
        var rootPath = Path.Combine(Repo(), root);
        var reference = new Regex(@"\bVerification\.|Boinc\.Persist\.(Core|Shell)\.Verification\b");
        var runtime = Directory.EnumerateFiles(rootPath, "*.cs", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(rootPath, p).Replace('\\', '/'))
            .Where(p => !p.StartsWith("obj/") && !p.StartsWith("bin/") && !p.StartsWith("Verification/") && p != "Program.cs")
            .ToArray();
        Assert.NotEmpty(runtime);
        var offenders = runtime
            .Where(p => reference.IsMatch(File.ReadAllText(Path.Combine(rootPath, p))))
            .ToArray();
        Assert.True(offenders.Length == 0, $"runtime files of {root} that use the verification tools: {string.Join(", ", offenders)}");
    }

    [Theory]
    [InlineData("src/Core")]
    [InlineData("src/Shell")]
    public void Every_file_under_Verification_is_in_a_Verification_namespace(string root)
    {
        var dir = Path.Combine(Repo(), root, "Verification");
        var files = Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories).ToArray();
        Assert.NotEmpty(files);
        var wrong = files.Where(f => !Regex.IsMatch(File.ReadAllText(f), @"^namespace Boinc\.Persist\.(Core|Shell)\.Verification(\.\w+)*;", RegexOptions.Multiline))
            .Select(f => Path.GetRelativePath(Repo(), f))
            .ToArray();
        Assert.True(wrong.Length == 0, "files under Verification/ in another namespace: " + string.Join(", ", wrong));
    }
}
