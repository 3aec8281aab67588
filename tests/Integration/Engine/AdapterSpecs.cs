using System;
using System.Collections.Generic;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Engine;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Engine;

/// <summary>Containers and images for adapter tests: labelled as the fixture requires, named at random.</summary>
internal static class AdapterSpecs
{
    public static string NewName(EngineFixture engine, string what) =>
        $"bp-{what}-{engine.RunId}-{Guid.NewGuid().ToString("N")[..6]}";

    public static Seq<KeyValue> WithTestLabels(EngineFixture engine, params (string Key, string Value)[] extra) =>
        engine.TestLabels.Select(l => new KeyValue(l.Key, l.Value))
            .Concat(extra.Select(e => new KeyValue(e.Key, e.Value)))
            .ToSeq().Strict();

    public static ImagePlan Image(EngineFixture engine, string tag, params (string Key, string Value)[] extra) => new(
        tag, tag.Split(':').Last(), false, "Dockerfile", BuildOptions.None,
        WithTestLabels(engine, extra).Add(new KeyValue(Core.Planning.Labels.Owner, Core.Planning.Labels.OwnerValue)));

    /// <summary>A strictly confined container of <paramref name="image"/> (no network, read-only root).</summary>
    public static ContainerSpec Container(EngineFixture engine, string name, string image, params (string Key, string Value)[] labels) => new(
        name,
        Image(engine, image),
        Option<string>.None,
        "/",
        Seq<KeyValue>.Empty,
        Option<string>.None,
        Seq<PlannedMount>.Empty,
        Seq<PlannedTmpfs>.Empty,
        NetworkMode.None,
        true,
        true,
        Seq<string>.Empty,
        1_000_000_000,
        Option<long>.None,
        100,
        Seq<Core.Config.Ulimit>.Empty,
        Option<long>.None,
        false,
        Seq<PortMap>.Empty,
        Option<int>.None,
        WithTestLabels(engine, labels).Add(new KeyValue(Core.Planning.Labels.Owner, Core.Planning.Labels.OwnerValue)),
        Option<string>.None,
        false,
        Option<int>.None,
        Option<string>.None);

    public static IReadOnlyList<string> Sh(string script) => new[] { "/bin/sh", "-c", script };

    public static T Ok<T>(Either<EngineError, T> result) =>
        result.Match(v => v, e => throw new Xunit.Sdk.XunitException($"engine call failed: {e}"));
}
