using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Integration.Engine;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Verification.Fakes;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Run;

/// <summary>
/// Issue 16 point 1: the status messages carry the container's working set (<c>&lt;wss&gt;</c>, what BOINC 8.2's
/// client schedules memory by) and its peak (<c>&lt;max_wss&gt;</c>), read from the container's memory cgroup.
/// The job holds a known amount of memory (a 64 MiB shell variable) until the test releases it.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class WorkingSetTests(EngineFixture engine) : IDisposable
{
    private const long Held = 64L * 1024 * 1024;

    /// <summary>The slot's rsc_memory_bound (JobSlot.WriteInitData), which caps the container's memory.</summary>
    private const long MemoryBound = 268435456;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    private readonly TempRoot temp = engine.NewTempRoot();
    private readonly List<JobSlot> slots = new();

    public void Dispose()
    {
        var leaked = JobSlot.RemoveLeftovers(engine, slots);
        temp.Dispose();
        Assert.True(leaked.Count == 0, "containers left behind: " + string.Join(", ", leaked));
    }

    /// <summary>A job that fills a shell variable with 64 MiB, says so, and holds it until <c>release</c> appears.</summary>
    public static string HoldingDockerfile(string baseImage) => $$"""
        FROM {{baseImage}}
        WORKDIR /app
        CMD ["/bin/sh", "-c", "x=$(yes | head -c {{Held}}); echo held ${#x} > held.txt; while [ ! -e release ]; do sleep 0.2; done; echo ${#x} > out.txt"]
        """;

    [Fact]
    public async Task Every_status_carries_the_containers_working_set_and_its_peak()
    {
        // Given a job that holds 64 MiB
        var slot = JobSlot.Create(temp, engine, "project_dir_mount = \"/project\"\n", HoldingDockerfile(engine.BaseImage));
        slots.Add(slot);
        File.WriteAllBytes(slot.SlotFile(SharedMemory.FileName), new byte[SharedMemory.Size]);
        using var client = FakeClient.Attach(slot.SlotDir).Match(c => c, e => throw new InvalidOperationException(e.Message));
        using var wrapper = WrapperProcess.Start(slot.SlotDir);

        // When it has allocated it (its own word, held.txt) and the wrapper has sent a status since
        await Drive(client, wrapper, () => File.Exists(slot.SlotFile("held.txt")));
        var before = client.StatusTexts.Count;
        await Drive(client, wrapper, () => client.StatusTexts.Count >= before + 2);

        // Then the latest status says a working set of at least what the job holds, at most the memory bound
        // the container is capped at, and a peak no smaller
        var latest = ClientStatusReading.Parse(client.StatusTexts.Last);
        var wss = latest.WorkingSetBytes.IfNone(() => throw new Xunit.Sdk.XunitException($"no <wss> in the status: {client.StatusTexts.Last}"));
        var peak = latest.MaxWorkingSetBytes.IfNone(() => throw new Xunit.Sdk.XunitException($"no <max_wss> in the status: {client.StatusTexts.Last}"));
        Assert.InRange(wss, Held, MemoryBound);
        Assert.InRange(peak, wss, MemoryBound);
        Console.WriteLine($"[working set] wss {wss / 1048576:F1} MiB, max_wss {peak / 1048576:F1} MiB for a job holding {Held / 1048576} MiB ({engine.Endpoint})");

        // And the job, released, finishes with what it held
        File.WriteAllText(slot.SlotFile("release"), "");
        await Drive(client, wrapper, () => wrapper.HasExited);
        Assert.Equal(0, await wrapper.WaitForExit(Timeout));
        Assert.Equal(Option<int>.Some(0), client.FinishStatus());
        Assert.Equal((Held - 1).ToString(), slot.ReadSlotFile("out.txt").Trim());
    }

    /// <summary>Ticks the client every 250 ms until the condition holds.</summary>
    private static async Task Drive(FakeClient client, WrapperProcess wrapper, Func<bool> until)
    {
        var clock = Stopwatch.StartNew();
        while (!until())
        {
            if (clock.Elapsed > Timeout)
                throw new TimeoutException($"condition not met within {Timeout}; client saw {client.Record}; stderr.txt:\n{wrapper.StderrTail()}");
            client.Tick();
            if (wrapper.HasExited && !until())
            {
                client.Tick();
                if (until())
                    return;
                throw new InvalidOperationException($"the wrapper exited; client saw {client.Record}; stderr.txt:\n{wrapper.StderrTail()}");
            }

            await Task.Delay(250);
        }
    }
}
