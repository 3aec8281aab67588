using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Boinc.Persist.Core.Verification.Conform;
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

    private (int Code, string Table, string Progress, string Json) Conform(string wrapper, string only) =>
        Conform(temp.Path, wrapper, only);

    private (int Code, string Table, string Progress, string Json) Conform(string dir, string wrapper, string only, params string[] more)
    {
        var json = Path.Combine(dir, "result.json");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = Program.Run(
            new[] { "conform", "--wrapper", wrapper, "--only", only, "--seed", "7", "--base-image", engine.BaseImage, "--json", json, "--work-root", Path.Combine(dir, "suite") }
                .Concat(more).ToArray(),
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

    /// <summary>
    /// Two quick guarantees end to end; every guarantee against the shipped binary, on both engines, is
    /// test.sh's conform passes (running the slow randomized ones here too would only repeat them).
    /// </summary>
    [Fact]
    public void Against_boinc_persist_the_guarantees_hold()
    {
        // When
        var (code, table, progress, json) = Conform($"\"{WrapperProcess.Binary}\"", "G09,G14");

        // Then
        Assert.True(code == 0, table + progress);
        foreach (var id in new[] { "G09", "G14" })
            Assert.Contains("| HELD ", Row(table, id));
        Assert.Contains("\"passed\": true", json);
        Assert.Contains("seen before the abort, nothing of the task left", json);
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

    /// <summary>
    /// Issue 15: no guarantee may be HELD without positive evidence. Wrappers that exit at once (failing or
    /// "succeeding"), never do anything, or run the job where nothing persists can keep none of them, so every
    /// guarantee must come out BROKEN or NOT RUN. The patience is short because nothing these wrappers do is
    /// ever waited for: less patience can only turn an outcome into NOT RUN, never into HELD, so the bound
    /// cannot make this test pass wrongly nor flake on a slow host.
    /// </summary>
    [Fact]
    public async Task Wrappers_that_cannot_keep_a_guarantee_hold_none()
    {
        // Given wrappers that exit at once failing or "succeeding", never do anything, or keep nothing
        var wrappers = new[]
        {
            "/bin/false",
            "/bin/true",
            Sleeper(),
            Path.Combine(JobSlotRoot(), "samples", "conform", "broken", "no-persistence.sh"),
        };
        var all = string.Join(",", Catalogue.All.Map(g => g.Id));

        // When the whole catalogue runs against each (side by side: they mostly wait)
        var runs = await Task.WhenAll(wrappers.Select((w, i) => Task.Run(() =>
        {
            var dir = Directory.CreateDirectory(Path.Combine(temp.Path, $"w{i}")).FullName;
            return (Wrapper: w, Run: Conform(dir, w, all, "--trials", "1", "--patience", "2"));
        })));

        // Then no guarantee is held by any of them
        foreach (var (wrapper, (code, table, progress, json)) in runs)
        {
            Assert.True(code == 1, wrapper + "\n" + table + progress);
            using var doc = JsonDocument.Parse(json);
            var results = doc.RootElement.GetProperty("guarantees").EnumerateArray()
                .Select(g => (Id: g.GetProperty("id").GetString()!, Result: g.GetProperty("result").GetString()))
                .ToArray();
            Assert.Equal(Catalogue.All.Count, results.Length);
            var held = results.Where(r => r.Result == "HELD").Select(r => Row(table, r.Id)).ToArray();
            Assert.True(held.Length == 0, $"{wrapper} held:\n{string.Join("\n", held)}\n{progress}");
        }
    }

    /// <summary>A "wrapper" that never does anything and never exits.</summary>
    private string Sleeper()
    {
        var path = Path.Combine(temp.Path, "sleeper.sh");
        File.WriteAllText(path, "#!/bin/sh\nexec sleep 100000\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static string JobSlotRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Boinc.Persist.sln")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
