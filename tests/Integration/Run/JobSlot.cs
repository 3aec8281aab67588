using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Boinc.Persist.Integration.Engine;

namespace Boinc.Persist.Integration.Run;

/// <summary>
/// A BOINC data directory laid out the way the client does it for one task of the demo app
/// (<c>samples/demo</c>): <c>projects/&lt;dir&gt;/</c> with the physical files, <c>slots/0/</c> with
/// init_data.xml and link files. No client runs: a test drives the wrapper as a process.
/// </summary>
public sealed class JobSlot
{
    public const string ProjectDirName = "test.example.org_persist";

    private JobSlot(string root, string wuName)
    {
        Root = root;
        WuName = wuName;
        ResultName = wuName + "_0";
        ProjectDir = Path.Combine(root, "projects", ProjectDirName);
        SlotDir = Path.Combine(root, "slots", "0");
    }

    public string Root { get; }

    public string ProjectDir { get; }

    public string SlotDir { get; }

    public string WuName { get; }

    public string ResultName { get; }

    /// <summary>The container name the wrapper gives this task (BOINC's convention).</summary>
    public string ContainerName => $"boinc__{ProjectDirName}__{ResultName}".ToLowerInvariant();

    /// <summary>
    /// Lays out a task; <paramref name="dockerfile"/> defaults to the demo's. The wrapper labels its container
    /// with the slot path (<c>org.boinc-persist.slot</c>), which is unique to the test: see <see cref="Leftovers"/>.
    /// </summary>
    public static JobSlot Create(
        TempRoot temp,
        EngineFixture engine,
        string jobToml,
        string? dockerfile = null,
        double wuCpuTime = 0,
        IReadOnlyDictionary<string, string>? projectFiles = null)
    {
        var wu = "wu_" + Guid.NewGuid().ToString("N")[..10];
        var slot = new JobSlot(temp.Path, wu);
        Directory.CreateDirectory(slot.ProjectDir);
        Directory.CreateDirectory(slot.SlotDir);

        slot.WriteProjectFile("job_1.toml", jobToml);
        slot.WriteProjectFile("Dockerfile_1", dockerfile ?? DemoFile("Dockerfile").Replace(
            "boinc-persist/busybox:1", engine.BaseImage, StringComparison.Ordinal));
        slot.WriteProjectFile("lcg.sh", DemoFile("lcg.sh"));
        foreach (var (name, text) in projectFiles ?? new Dictionary<string, string>())
            slot.WriteProjectFile(name, text);

        slot.Link("job.toml", "job_1.toml");
        slot.Link("Dockerfile", "Dockerfile_1");
        slot.WriteInitData(wuCpuTime);
        return slot;
    }

    /// <summary>The label filter that finds every container the wrapper created for this slot.</summary>
    public string SlotLabel => $"org.boinc-persist.slot={SlotDir}";

    /// <summary>
    /// Force-removes every container the wrapper created for these slots (found by their slot label) and returns
    /// them as "name (state)": a test that gets any back has leaked them.
    /// </summary>
    public static IReadOnlyList<string> RemoveLeftovers(EngineFixture engine, IEnumerable<JobSlot> slots)
    {
        var leaked = new List<string>();
        foreach (var slot in slots)
        {
            var filter = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [slot.SlotLabel] = true },
            };
            var found = engine.Call((docker, ct) => docker.Containers.ListContainersAsync(
                new Docker.DotNet.Models.ContainersListParameters { All = true, Filters = filter }, ct)).GetAwaiter().GetResult();
            foreach (var c in found)
            {
                leaked.Add($"{c.Names.FirstOrDefault()} ({c.State})");
                engine.Call((docker, ct) => docker.Containers.RemoveContainerAsync(
                    c.ID, new Docker.DotNet.Models.ContainerRemoveParameters { Force = true }, ct)).GetAwaiter().GetResult();
            }
        }

        return leaked;
    }

    public void WriteProjectFile(string name, string text) => File.WriteAllText(Path.Combine(ProjectDir, name), text);

    /// <summary>A BOINC link file: the logical name in the slot points at the physical file in the project.</summary>
    public void Link(string logical, string physical) =>
        File.WriteAllText(
            Path.Combine(SlotDir, logical),
            $"<soft_link>../../projects/{ProjectDirName}/{physical}</soft_link>\n");

    /// <summary>init_data.xml as the client writes it before each start (wu_cpu_time is its last checkpoint).</summary>
    public void WriteInitData(double wuCpuTime)
    {
        var xml = string.Create(CultureInfo.InvariantCulture, $"""
            <app_init_data>
            <major_version>7</major_version>
            <minor_version>20</minor_version>
            <release>5</release>
            <app_name>persist_test</app_name>
            <project_dir>{ProjectDir}</project_dir>
            <wu_name>{WuName}</wu_name>
            <result_name>{ResultName}</result_name>
            <slot>0</slot>
            <wu_cpu_time>{wuCpuTime:F6}</wu_cpu_time>
            <ncpus>1.000000</ncpus>
            <rsc_memory_bound>268435456.000000</rsc_memory_bound>
            <checkpoint_period>60.000000</checkpoint_period>
            <shm_key>-1</shm_key>
            <host_info>
            <docker_type>1</docker_type>
            </host_info>
            </app_init_data>

            """);
        File.WriteAllText(Path.Combine(SlotDir, "init_data.xml"), xml);
    }

    public string SlotFile(string name) => Path.Combine(SlotDir, name);

    public string ReadSlotFile(string name) => File.ReadAllText(SlotFile(name));

    /// <summary>The resume points the workload logged (<c>start resumed_from=N</c> lines of starts.log).</summary>
    public IReadOnlyList<int> ResumePoints() =>
        File.Exists(SlotFile("starts.log"))
            ? File.ReadAllLines(SlotFile("starts.log"))
                .Where(l => l.StartsWith("start resumed_from=", StringComparison.Ordinal))
                .Select(l => int.Parse(l["start resumed_from=".Length..], CultureInfo.InvariantCulture))
                .ToList()
            : Array.Empty<int>();

    /// <summary>The LCG the workload computes, for checking its answer.</summary>
    public static long ExpectedAnswer(long iterations)
    {
        long x = 1;
        for (long i = 0; i < iterations; i++)
            x = (x * 1103515245 + 12345) % 2147483648;
        return x;
    }

    /// <summary>A file of the demo app (samples/demo), read from the repository the tests were built in.</summary>
    public static string DemoFile(string name)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Boinc.Persist.sln")))
            dir = Path.GetDirectoryName(dir);
        if (dir is null)
            throw new InvalidOperationException($"cannot find the repository root above {AppContext.BaseDirectory}");
        return File.ReadAllText(Path.Combine(dir, "samples", "demo", name));
    }
}
