using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Integration.Engine;

namespace Boinc.Persist.Integration.Apps;

/// <summary>
/// One task of an existing docker_wrapper app laid out as the BOINC client lays it out (client/app_start.cpp,
/// setup_file): the physical files in <c>projects/&lt;dir&gt;/</c>; in <c>slots/0/</c> init_data.xml, a copy of
/// each <c>&lt;copy_file/&gt;</c> file (mode kept, as the client sets an executable's permissions) and a link
/// file <c>&lt;soft_link&gt;../../projects/&lt;dir&gt;/&lt;physical&gt;&lt;/soft_link&gt;</c> for every other one,
/// inputs and outputs alike. An output with <c>&lt;copy_file/&gt;</c> has nothing in the slot: the app writes it
/// and the client moves it into the project directory after the finish. No client runs.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AppSlot
{
    public const string ProjectDirName = "apps.example.org_compat";

    /// <summary>The local stand-in for <c>FROM debian</c>: the busybox base under a local name (no registry here).</summary>
    public const string DebianStandIn = "localhost/debian:stand-in";

    private AppSlot(string root, string wuName)
    {
        WuName = wuName;
        ResultName = wuName + "_0";
        ProjectDir = Path.Combine(root, "projects", ProjectDirName);
        SlotDir = Path.Combine(root, "slots", "0");
        Directory.CreateDirectory(ProjectDir);
        Directory.CreateDirectory(SlotDir);
    }

    public string ProjectDir { get; }

    public string SlotDir { get; }

    public string WuName { get; }

    public string ResultName { get; }

    public string SlotLabel => $"org.boinc-persist.slot={SlotDir}";

    public static AppSlot Create(TempRoot temp)
    {
        var slot = new AppSlot(temp.Path, "wu_" + Guid.NewGuid().ToString("N")[..10]);
        slot.WriteInitData();
        return slot;
    }

    /// <summary>Tags the engine's base image as <see cref="DebianStandIn"/> (idempotent).</summary>
    public static Task TagDebianStandIn(EngineFixture engine) =>
        engine.Call((docker, ct) => docker.Images.TagImageAsync(engine.BaseImage,
            new Docker.DotNet.Models.ImageTagParameters { RepositoryName = "localhost/debian", Tag = "stand-in" }, ct));

    /// <summary>A file of a sample app in <c>samples/</c>, read from the repository the tests were built in.</summary>
    public static string Sample(string app, string name)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Boinc.Persist.sln")))
            dir = Path.GetDirectoryName(dir);
        if (dir is null)
            throw new InvalidOperationException($"cannot find the repository root above {AppContext.BaseDirectory}");
        return File.ReadAllText(Path.Combine(dir, "samples", app, name));
    }

    /// <summary>A sample's Dockerfile with <c>FROM debian</c> pointed at the local stand-in, and nothing else changed.</summary>
    public static string SampleDockerfile(string app)
    {
        var text = Sample(app, "Dockerfile");
        var lines = text.Split('\n');
        var from = Array.FindIndex(lines, l => l.Trim() == "FROM debian");
        if (from < 0) throw new InvalidOperationException($"samples/{app}/Dockerfile has no `FROM debian` line");
        lines[from] = "FROM " + DebianStandIn;
        return string.Join('\n', lines);
    }

    /// <summary>An app-version or input file the project serves as <paramref name="physical"/> and the slot holds as a link file.</summary>
    public string Linked(string logical, string physical, string text)
    {
        File.WriteAllText(Path.Combine(ProjectDir, physical), text);
        return LinkOnly(logical, physical);
    }

    /// <summary>Just the link file (an output's project file does not exist until the app writes it).</summary>
    public string LinkOnly(string logical, string physical)
    {
        var link = $"<soft_link>../../projects/{ProjectDirName}/{physical}</soft_link>\n";
        File.WriteAllText(Path.Combine(SlotDir, logical), link);
        return link;
    }

    /// <summary>A <c>&lt;copy_file/&gt;</c> file: in the project directory and copied into the slot.</summary>
    public void Copied(string logical, string physical, string text, bool executable = false)
    {
        foreach (var path in new[] { Path.Combine(ProjectDir, physical), Path.Combine(SlotDir, logical) })
        {
            File.WriteAllText(path, text);
            if (executable)
                File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
        }
    }

    public string SlotFile(string name) => Path.Combine(SlotDir, name);

    public string ProjectFile(string name) => Path.Combine(ProjectDir, name);

    private void WriteInitData()
    {
        var xml = string.Create(CultureInfo.InvariantCulture, $"""
            <app_init_data>
            <major_version>7</major_version>
            <minor_version>20</minor_version>
            <release>5</release>
            <app_name>compat</app_name>
            <project_dir>{ProjectDir}</project_dir>
            <wu_name>{WuName}</wu_name>
            <result_name>{ResultName}</result_name>
            <slot>0</slot>
            <wu_cpu_time>0.000000</wu_cpu_time>
            <ncpus>1.000000</ncpus>
            <rsc_memory_bound>268435456.000000</rsc_memory_bound>
            <rsc_disk_bound>1000000000.000000</rsc_disk_bound>
            <checkpoint_period>60.000000</checkpoint_period>
            <shm_key>-1</shm_key>
            </app_init_data>

            """);
        File.WriteAllText(Path.Combine(SlotDir, "init_data.xml"), xml);
    }

    /// <summary>Force-removes the containers the wrapper left for these slots (by slot label); returns them as leaks.</summary>
    public static IReadOnlyList<string> RemoveLeftovers(EngineFixture engine, IEnumerable<AppSlot> slots)
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
}
