using System;
using System.IO;
using Boinc.Persist.Integration.Engine;
using Boinc.Persist.Integration.Run;
using Boinc.Persist.Shell;
using Xunit;

namespace Boinc.Persist.Integration.Conform;

/// <summary>
/// <c>boinc-persist conform</c> end to end: against boinc-persist itself the selected guarantees hold; against
/// wrappers that are broken on purpose it reports BROKEN (or NOT RUN) with evidence, exits 1 and does not crash.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ConformSuiteTests(EngineFixture engine) : IDisposable
{
    private readonly TempRoot temp = engine.NewTempRoot();

    public void Dispose() => temp.Dispose();

    private (int Code, string Table, string Progress, string Json) Conform(string wrapper, string only)
    {
        var json = Path.Combine(temp.Path, "result.json");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(
            new[] { "conform", "--wrapper", wrapper, "--only", only, "--seed", "7", "--base-image", engine.BaseImage, "--json", json, "--work-root", Path.Combine(temp.Path, "suite") },
            stdout,
            stderr);
        return (code, stdout.ToString(), stderr.ToString(), File.Exists(json) ? File.ReadAllText(json) : "");
    }

    private static string Row(string table, string id)
    {
        foreach (var line in table.Split('\n'))
            if (line.StartsWith(id + " ", StringComparison.Ordinal))
                return line;
        throw new Xunit.Sdk.XunitException($"no row for {id} in:\n{table}");
    }

    [Fact]
    public void Against_boinc_persist_the_guarantees_hold()
    {
        // When
        var (code, table, progress, json) = Conform($"\"{WrapperProcess.Binary}\"", "G01,G03,G09,G14");

        // Then
        Assert.True(code == 0, table + progress);
        foreach (var id in new[] { "G01", "G03", "G09", "G14" })
            Assert.Contains("| HELD ", Row(table, id));
        Assert.Contains("\"passed\": true", json);
        Assert.Contains("resumed from [0,", Row(table, "G03"));
    }

    [Fact]
    public void A_wrapper_without_persistence_is_reported_broken_with_evidence()
    {
        // Given a "wrapper" that runs the job in a throw-away container and claims success
        var script = Path.Combine(JobSlotRoot(), "samples", "conform", "broken", "no-persistence.sh");

        // When
        var (code, table, progress, json) = Conform(script, "G01,G15");

        // Then
        Assert.True(code == 1, table + progress);
        Assert.Contains("| BROKEN ", Row(table, "G01"));
        Assert.Contains("missing answer", Row(table, "G01"));
        Assert.Contains("| BROKEN ", Row(table, "G15"));
        Assert.Contains("reported as the job's result", Row(table, "G15"));
        Assert.Contains("\"passed\": false", json);
    }

    [Fact]
    public void A_wrapper_that_exits_at_once_is_broken_or_not_run_never_held_and_the_suite_does_not_crash()
    {
        // When
        var (code, table, progress, _) = Conform("/bin/false", "G01,G02,G07");

        // Then
        Assert.True(code == 1, table + progress);
        Assert.Contains("| BROKEN ", Row(table, "G01"));
        Assert.Contains("exit 1", Row(table, "G01"));
        Assert.Contains("| NOT RUN ", Row(table, "G02"));
        Assert.Contains("| NOT RUN ", Row(table, "G07"));
        Assert.Contains("0 held, 1 broken, 2 not run", table);
    }

    private static string JobSlotRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Boinc.Persist.sln")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
