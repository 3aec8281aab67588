using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Boinc.Persist.Core.Config;
using Xunit;

namespace Boinc.Persist.Properties.Architecture;

/// <summary>
/// The Native AOT build answers LanguageExt's <c>Reflect.IsAnonymous</c> with a constant false
/// (src/Shell/LanguageExt.Substitutions.xml), which drops LanguageExt's expression-tree equality for anonymous
/// types from the binary (docs/MEMORY.md). That is only sound while no anonymous type exists to be asked about.
/// </summary>
public class AotSubstitutionTests
{
    private static string Root => RepoRoot.Path;

    [Theory]
    [InlineData(typeof(JobConfig))]
    [InlineData(typeof(Boinc.Persist.Shell.Program))]
    public void Our_assemblies_define_no_anonymous_type(Type inAssembly)
    {
        // Read from metadata: query syntax's transparent identifiers (a second `from`, a `let`) are anonymous types too.
        using var stream = File.OpenRead(inAssembly.Assembly.Location);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var anonymous = md.TypeDefinitions.Select(h => md.GetString(md.GetTypeDefinition(h).Name))
            .Where(n => n.Contains("AnonymousType", StringComparison.Ordinal)).ToList();
        Assert.True(anonymous.Count == 0,
            $"{inAssembly.Assembly.GetName().Name} defines {string.Join(", ", anonymous)}: an anonymous type (`new {{ }}`, or a " +
            "query with two `from`s or a `let`) breaks the AOT substitution's premise; write it with Map/Bind or a record");
    }

    [Fact]
    public void The_substituted_method_exists_as_the_file_names_it_and_answers_false_for_every_type_of_ours()
    {
        var file = XDocument.Load(Path.Combine(Root, "src/Shell/LanguageExt.Substitutions.xml"));
        var method = file.Descendants("method").Single();
        Assert.Equal("System.Boolean IsAnonymous(System.Type)", (string?)method.Attribute("signature"));
        Assert.Equal("false", (string?)method.Attribute("value"));
        Assert.Equal("LanguageExt.Reflect", (string?)method.Parent!.Attribute("fullname"));
        Assert.Equal("LanguageExt.Core", (string?)method.Parent!.Parent!.Attribute("fullname"));

        // The real LanguageExt method (the one the substitution stands in for), on every type of ours.
        var languageExt = typeof(LanguageExt.Seq<>).Assembly;
        var isAnonymous = languageExt.GetType("LanguageExt.Reflect", throwOnError: true)!
            .GetMethod("IsAnonymous", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(Type)])!;
        Assert.Equal(typeof(bool), isAnonymous.ReturnType);
        bool Asked(Type t) => (bool)isAnonymous.Invoke(null, [t])!;
        var ours = new[] { typeof(JobConfig).Assembly, typeof(Boinc.Persist.Shell.Program).Assembly }.SelectMany(a => a.GetTypes()).ToList();
        Assert.True(ours.Count > 500, $"only {ours.Count} types seen");
        var yes = ours.Where(Asked).Select(t => t.FullName).ToList();
        Assert.True(yes.Count == 0, $"IsAnonymous is true for {string.Join(", ", yes)}");

        // LanguageExt's own anonymous types are query temporaries inside its code (assembly scanning, Traverse of
        // tuples, async exception matching); in the 4.4.9 binary's ILC map no Eq, Ord or Hashable instance is
        // instantiated over any of them (docs/MEMORY.md). A new LanguageExt version must be checked again.
        Assert.Contains("<PackageVersion Include=\"LanguageExt.Core\" Version=\"4.4.9\" />", File.ReadAllText(Path.Combine(Root, "Directory.Packages.props")));
        var theirs = languageExt.GetTypes().Where(Asked).Select(t => t.Name).ToList();
        Assert.True(theirs.Count > 0 && theirs.All(n => n.StartsWith("<>f__AnonymousType", StringComparison.Ordinal)), string.Join(", ", theirs));
        // And the method does answer true for an anonymous type: the checks above could not pass against a stub.
        Assert.True(Asked(new { A = 1 }.GetType()));
    }

    [Fact]
    public void The_shell_project_passes_the_file_to_the_AOT_compiler()
    {
        var project = File.ReadAllText(Path.Combine(Root, "src/Shell/Shell.csproj"));
        Assert.Contains("--substitution:$(MSBuildThisFileDirectory)LanguageExt.Substitutions.xml", project);
    }
}
