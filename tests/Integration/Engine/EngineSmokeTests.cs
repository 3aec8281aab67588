using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Images;
using Xunit;

namespace Boinc.Persist.Integration.Engine;

/// <summary>
/// Proves the test environment itself: engine, local base image, labels and bind mounts all work, so a failure
/// elsewhere in the suite is about the product, not the machine.
/// <para>
/// Alone (<see cref="EngineAloneCollection"/>): Testcontainers inspects the base image by id before it creates
/// the container, and Podman 4 answers that with a 500 ("reading image ...: image not known") while another
/// client removes images, which the wrappers run by other collections do (their image collection at job start and
/// end). Our own client retries that store race (EngineCalls.IsStoreRace); Testcontainers does not. Seen once in
/// the Podman tier of a fresh-clone run (stop 32).
/// </para>
/// </summary>
[Collection(EngineAloneCollection.Name)]
public sealed class EngineSmokeTests(EngineFixture engine)
{
    [Fact]
    public async Task A_base_image_container_writes_into_a_bind_mounted_host_directory_and_reports_its_exit_code()
    {
        // Given a host directory bind-mounted into a labelled, network-less container of the base image
        using var root = engine.NewTempRoot();
        var hostDir = root.Directory("slot");
        var greeting = $"hello from {Guid.NewGuid():N}";
        const long exitCode = 3;
        await using var container = new ContainerBuilder(engine.BaseImage)
            .WithImagePullPolicy(PullPolicy.Never)
            .WithName($"boinc-persist-smoke-{engine.RunId}-{Guid.NewGuid().ToString("N")[..6]}")
            .WithLabel(engine.TestLabels)
            .WithCreateParameterModifier(p => (p.HostConfig ??= new HostConfig()).NetworkMode = "none")
            .WithBindMount(hostDir, "/slot", AccessMode.ReadWrite)
            .WithEnvironment("GREETING", greeting)
            .WithEntrypoint("/bin/sh", "-c")
            .WithCommand($"printf '%s' \"$GREETING\" > /slot/out.txt && sync && exit {exitCode}")
            .Build();

        // When it runs to completion
        using var timeout = new CancellationTokenSource(EngineFixture.DefaultEngineTimeout);
        await container.StartAsync(timeout.Token);
        var reportedExit = await container.GetExitCodeAsync(timeout.Token);

        // Then Testcontainers and the engine agree on the exit code, the labels are on the container,
        // and the file is on the host with exactly what the container wrote
        Assert.Equal(exitCode, reportedExit);
        var inspected = await engine.Call((docker, ct) => docker.Containers.InspectContainerAsync(container.Id, ct));
        Assert.NotNull(inspected.State);
        Assert.False(inspected.State.Running);
        Assert.Equal(exitCode, inspected.State.ExitCode);
        Assert.Equal("none", inspected.HostConfig?.NetworkMode);
        var labels = inspected.Config?.Labels;
        Assert.NotNull(labels);
        foreach (var (key, value) in engine.TestLabels)
        {
            Assert.Equal(value, labels[key]);
        }

        var written = Path.Combine(hostDir, "out.txt");
        Assert.True(File.Exists(written), $"expected {written} on the host");
        Assert.Equal(greeting, await File.ReadAllTextAsync(written));
    }
}
