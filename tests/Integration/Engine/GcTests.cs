using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Gc;
using LanguageExt;
using Xunit;
using static Boinc.Persist.Integration.Engine.AdapterSpecs;

namespace Boinc.Persist.Integration.Engine;

/// <summary>
/// gc against the real engine, scoped to this test's own label so it never touches a colleague's containers:
/// orphans go, in-use containers and images stay, and nothing without our owner label is ever removed.
/// </summary>
[Collection(EngineAloneCollection.Name)]
public sealed class GcTests(EngineFixture engine)
{
    private const string ScopeKey = "org.boinc-persist.test-gc";

    [Fact]
    public async Task Gc_removes_only_our_orphans_and_unused_images_and_a_dry_run_removes_nothing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        using var root = engine.NewTempRoot();
        var scopeValue = Guid.NewGuid().ToString("N")[..10];
        var scope = (ScopeKey, scopeValue);
        using var adapter = new DockerEngine(new EngineEndpoint(engine.Endpoint, "test"));
        var names = new System.Collections.Generic.List<string>();
        var tags = new System.Collections.Generic.List<string>();

        async Task<string> Make(string what, string? slot, string image, bool ours = true, bool run = false)
        {
            var name = NewName(engine, what);
            names.Add(name);
            var spec = Container(engine, name, image, scope);
            var labels = spec.Labels;
            if (slot is not null) labels = labels.Add(new KeyValue(Labels.Slot, slot));
            if (!ours) labels = labels.Filter(l => l.Key != Labels.Owner);
            Ok(await adapter.Create(spec with { Labels = labels }, Sh("sleep 120"), ct));
            if (run) Ok(await adapter.Start(name, ct));
            return name;
        }

        string Slot(string n, Func<string, string?>? journal = null)
        {
            var dir = root.Directory(n);
            var text = journal?.Invoke(dir);
            if (text is not null) WriteJournalText(Path.Combine(dir, Journal.FileName), text);
            return dir;
        }

        async Task<string> BuildImage(bool ours)
        {
            var tag = $"boinc-persist/test-gc:{engine.RunId}-{Guid.NewGuid().ToString("N")[..8]}";
            tags.Add(tag);
            var plan = Image(engine, tag, scope);
            if (!ours) plan = plan with { Labels = plan.Labels.Filter(l => l.Key != Labels.Owner) };
            // Built by a wrapper that has ended: a live one would hold the image against gc (ImageUse).
            using var builder = new DockerEngine(new EngineEndpoint(engine.Endpoint, "test"));
            Ok(await builder.EnsureImage(plan, $"FROM {engine.BaseImage}\nRUN echo {Guid.NewGuid():N} > /nonce\n", TextWriter.Null, ct));
            return tag;
        }

        try
        {
            // Given images: ours and used, ours and unused, not ours
            var usedImage = await BuildImage(true);
            var freeImage = await BuildImage(true);
            var foreignImage = await BuildImage(false);

            // And containers: an active job, orphans of every kind, one with a torn journal, one not ours
            string active = "", finished = "", torn = "", reused = "";
            var activeSlot = Slot("active", _ => JournalText.Format(Journal.New(active)));
            active = await Make("active", activeSlot, usedImage, run: true);
            WriteJournalText(Path.Combine(activeSlot, Journal.FileName), JournalText.Format(Journal.New(active)));
            var goneSlot = Path.Combine(root.Path, "gone");
            var gone = await Make("gone", goneSlot, engine.BaseImage);
            var noJournal = await Make("nojournal", Slot("nojournal"), engine.BaseImage, run: true);
            var reusedSlot = Slot("reused", _ => JournalText.Format(Journal.New("boinc__someone__else")));
            reused = await Make("reused", reusedSlot, engine.BaseImage);
            var finishedSlot = Slot("finished");
            finished = await Make("finished", finishedSlot, engine.BaseImage);
            WriteJournalText(Path.Combine(finishedSlot, Journal.FileName), JournalText.Format(Journal.New(finished) with { FinishedExitCode = 0 }));
            var tornSlot = Slot("torn");
            torn = await Make("torn", tornSlot, engine.BaseImage);
            var tornText = JournalText.Format(Journal.New(torn));
            WriteJournalText(Path.Combine(tornSlot, Journal.FileName), tornText[..(tornText.Length / 2)]);
            var foreign = await Make("foreign", Path.Combine(root.Path, "gone-too"), engine.BaseImage, ours: false);

            // When gc runs dry (through the command line), then for real
            var dryOut = new StringWriter();
            var dryErr = new StringWriter();
            var code = Boinc.Persist.Shell.Program.Run(new[] { "gc", "--dry-run", "--label", $"{ScopeKey}={scopeValue}" }, dryOut, dryErr);
            var afterDry = await Existing(adapter, names, ct);
            var report = await GarbageCollector.Run(adapter, false, $"{ScopeKey}={scopeValue}", ct);

            // Then the dry run changed nothing but said what it would do
            Assert.Equal(0, code);
            Assert.Equal("", dryErr.ToString());
            Assert.Equal(names.Count, afterDry.Count);
            Assert.Contains($"would remove container {gone}", dryOut.ToString());
            Assert.True(dryOut.ToString().Contains($"would remove image {freeImage}"), dryOut.ToString());

            // And the real run removed exactly the orphans and the unused image of ours
            Assert.Empty(report.Errors);
            var left = await Existing(adapter, names, ct);
            Assert.Equal(new[] { active, torn, foreign }.OrderBy(x => x), left.OrderBy(x => x));
            Assert.Equal(new[] { gone, noJournal, reused, finished }.OrderBy(x => x),
                report.Items.Filter(i => i.Kind == "container" && i.Removed).Map(i => i.Name).OrderBy(x => x));
            Assert.IsType<Observation.Running>(Ok(await adapter.Inspect(active, ct)));
            Assert.True(await ImageExists(usedImage, ct));
            Assert.False(await ImageExists(freeImage, ct));
            Assert.True(await ImageExists(foreignImage, ct));
            Assert.Contains("unreadable", report.Items.Find(i => i.Name == torn).Map(i => i.Reason).IfNone(""));
        }
        finally
        {
            foreach (var n in names) await adapter.Remove(n, CancellationToken.None);
            foreach (var t in tags)
            {
                // Ours through the code under test; the one without our owner label (which the wrapper never
                // removes) by the test that built it, or every run would leave it behind.
                if ((await adapter.RemoveImageIfUnused(t, CancellationToken.None)).Exists(removed => removed))
                    continue;
                try
                {
                    await engine.Call((docker, c) => docker.Images.DeleteImageAsync(t, new Docker.DotNet.Models.ImageDeleteParameters(), c));
                }
                catch (Docker.DotNet.DockerImageNotFoundException)
                {
                    // Removed by the collector under test.
                }
            }
        }
    }

    private async Task<bool> ImageExists(string tag, CancellationToken ct)
    {
        using var adapter = new DockerEngine(new EngineEndpoint(engine.Endpoint, "test"));
        var listed = Ok(await adapter.ListImages(ScopeKey, ct));
        return listed.Exists(i => i.Tags.Contains(tag));
    }

    private static async Task<System.Collections.Generic.List<string>> Existing(IEngine adapter, System.Collections.Generic.IEnumerable<string> names, CancellationToken ct)
    {
        var result = new System.Collections.Generic.List<string>();
        foreach (var n in names)
        {
            if (Ok(await adapter.Inspect(n, ct)) is not Observation.Absent)
                result.Add(n);
        }

        return result;
    }

    private static void WriteJournalText(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
