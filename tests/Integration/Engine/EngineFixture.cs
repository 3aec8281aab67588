using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Configurations;
using Xunit;

namespace Boinc.Persist.Integration.Engine;

/// <summary>
/// The integration tests that use the engine are in three collections, each with its own <see cref="EngineFixture"/>
/// (its own run label, so one fixture's cleanup never touches another's containers). Within a collection tests run
/// one after the other; <see cref="EngineCollection"/> and <see cref="ClientCollection"/> run side by side (most of
/// their time is spent waiting for paced jobs, and wrappers sharing one engine is what a volunteer's host with several
/// slots does); <see cref="EngineAloneCollection"/> runs after both, alone.
/// <para>This collection: the wrapper scenarios, the conformance suite's own tests, the engine adapter.</para>
/// </summary>
[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engine";
}

/// <summary>
/// The tests with a real BOINC client (one at a time: BOINC client 8.2's start-up cleanup removes <c>boinc__</c>
/// containers of tasks it does not know, see ClientEngineDetectionTests), the sample apps, and the attack and disk
/// budget tests, beside <see cref="EngineCollection"/>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ClientCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engine-client";
}

/// <summary>
/// Tests that act on the whole engine (gc of our unused images and orphaned containers, engines of their own
/// started and killed, Podman services, CPU figures compared with the container's own counter) run after the
/// other collections, with nothing beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineAloneCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engine-alone";
}

/// <summary>
/// The engine the integration tests run against (Docker, or Podman with BOINC_PERSIST_TEST_ENGINE=podman: see
/// <see cref="TestEngine"/>), checked once per test run.
/// <para>
/// Invariants: when a test gets this fixture the engine answered a ping and the base image exists locally
/// (otherwise every test of the collection FAILS with the reason: a missing engine must never look like a
/// pass or a skip). Every container a test creates carries <see cref="TestLabels"/>; on dispose the fixture
/// removes whatever still carries this run's label and reports it as a leak.
/// </para>
/// </summary>
public sealed class EngineFixture : IAsyncLifetime
{
    public const string TestLabel = "org.boinc-persist.test";
    public const string RunLabel = "org.boinc-persist.run";
    public const string SessionLabel = "org.boinc-persist.session";

    /// <summary>Set by scripts/test.sh so it can tell its own leftovers from a colleague's running tests.</summary>
    public const string SessionVariable = "BOINC_PERSIST_TEST_SESSION";
    public const string DefaultBaseImage = "boinc-persist/busybox:1";

    /// <summary>Where scripts/test.sh wants to hear about leaked containers (the fixture removes them first).</summary>
    public const string LeakReportVariable = "BOINC_PERSIST_LEAK_REPORT";

    /// <summary>Long enough for a cold container start on a busy 2-core machine, short enough to fail fast.</summary>
    public static readonly TimeSpan DefaultEngineTimeout = TimeSpan.FromSeconds(60);

    // Bind mounts are resolved by dockerd on this host: /tmp is always visible to it, whereas TMPDIR may
    // point into a private namespace.
    private const string TempBase = "/tmp";

    static EngineFixture()
    {
        // First: Testcontainers reads DOCKER_HOST once, when its settings are first touched (the next line).
        TestEngine.Apply();

        // Ryuk's image lives in a registry this machine cannot reach; we clean up by label instead.
        TestcontainersSettings.ResourceReaperEnabled = false;
    }

    public EngineFixture()
    {
        RunId = Guid.NewGuid().ToString("N")[..12];
        BaseImage = NonEmpty(Environment.GetEnvironmentVariable("BOINC_PERSIST_BASE_IMAGE")) ?? DefaultBaseImage;
        Endpoint = new Uri(NonEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")) ?? "unix:///var/run/docker.sock");
        SessionId = NonEmpty(Environment.GetEnvironmentVariable(SessionVariable)) ?? "manual";
        TestLabels = new Dictionary<string, string>
        {
            [TestLabel] = "true",
            [RunLabel] = RunId,
            [SessionLabel] = SessionId,
        };
        Docker = new DockerClientBuilder().WithEndpoint(Endpoint).Build();
    }

    /// <summary>
    /// Unique to this fixture instance: test assemblies run in parallel processes, and one fixture's cleanup
    /// must never remove another's live containers.
    /// </summary>
    public string RunId { get; }

    /// <summary>The scripts/test.sh invocation this fixture belongs to ("manual" outside it).</summary>
    public string SessionId { get; }

    public string BaseImage { get; }

    public Uri Endpoint { get; }

    /// <summary>Labels every test container must carry, so leftovers can be found and removed.</summary>
    public IReadOnlyDictionary<string, string> TestLabels { get; }

    /// <summary>For inspecting what the code under test did; prefer <see cref="Call{T}"/> to get a timeout.</summary>
    public DockerClient Docker { get; }

    /// <summary>
    /// Runs one engine call with a timeout, so a hung engine fails the test instead of hanging CI. Podman's store
    /// race (<see cref="EngineCalls.IsStoreRace"/>: another client, e.g. the oracle pass beside this one, removed
    /// an image while the call walked the store) is asked again, as the wrapper asks it again.
    /// </summary>
    public async Task<T> Call<T>(
        Func<DockerClient, CancellationToken, Task<T>> call,
        TimeSpan? timeout = null,
        [CallerArgumentExpression(nameof(call))] string what = "")
    {
        var limit = timeout ?? DefaultEngineTimeout;
        using var cts = new CancellationTokenSource(limit);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(Docker, cts.Token).WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"Docker engine at {Endpoint} did not complete `{what}` within {limit}.");
            }
            catch (DockerApiException e) when (attempt < 10 && EngineCalls.IsStoreRace(e.StatusCode, e.ResponseBody))
            {
                await Task.Delay(100 * attempt, cts.Token);
            }
        }
    }

    public Task Call(
        Func<DockerClient, CancellationToken, Task> call,
        TimeSpan? timeout = null,
        [CallerArgumentExpression(nameof(call))] string what = "") =>
        Call<bool>(async (docker, ct) => { await call(docker, ct); return true; }, timeout, what);

    /// <summary>Lists images (a listing is where Podman's store race shows most: <see cref="Call{T}"/>).</summary>
    public Task<IList<ImagesListResponse>> ListImages(ImagesListParameters parameters) =>
        Call((docker, ct) => docker.Images.ListImagesAsync(parameters, ct));

    /// <summary>A fresh directory under /tmp for one test; dispose it to remove it with everything inside.</summary>
    public TempRoot NewTempRoot([CallerMemberName] string test = "") => TempRoot.Create(TempBase, RunId, test);

    public async Task InitializeAsync()
    {
        try
        {
            await Call((docker, ct) => docker.System.PingAsync(ct), TimeSpan.FromSeconds(15));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"No Docker engine answers at {Endpoint} ({e.GetType().Name}: {e.Message}). The integration " +
                "tests need one with API >= 1.44: run scripts/test.sh, or scripts/engine-up.sh first.", e);
        }

        try
        {
            await Call((docker, ct) => docker.Images.InspectImageAsync(BaseImage, ct));
        }
        catch (DockerImageNotFoundException e)
        {
            throw new InvalidOperationException(
                $"The base image {BaseImage} is missing from the engine at {Endpoint} and cannot be pulled " +
                "(no registry): run scripts/base-image.sh.", e);
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            var leaked = await RemoveThisRunsContainers();
            if (leaked.Count > 0)
            {
                var report = NonEmpty(Environment.GetEnvironmentVariable(LeakReportVariable));
                if (report is not null)
                {
                    await File.AppendAllLinesAsync(report, leaked);
                }

                // Loud in the test log too: a test that leaks containers is a bug even though we cleaned up.
                throw new InvalidOperationException(
                    $"Tests left {leaked.Count} container(s) labelled {RunLabel}={RunId} behind (now removed): " +
                    string.Join(", ", leaked));
            }
        }
        finally
        {
            Docker.Dispose();
        }
    }

    private async Task<IReadOnlyList<string>> RemoveThisRunsContainers()
    {
        var filter = new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [$"{RunLabel}={RunId}"] = true },
        };
        var containers = await Call((docker, ct) => docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = filter }, ct));
        foreach (var container in containers)
        {
            await Call((docker, ct) => docker.Containers.RemoveContainerAsync(
                container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct));
        }

        return containers.Select(c => $"{c.ID[..12]} {string.Join(",", c.Names)} ({c.Image}, {c.State})").ToList();
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
