using Boinc.Persist.Shell.Boinc;
using System;
using System.Globalization;
using System.IO;
using System.Security;
using System.Text;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Fakes;

/// <summary>How the client puts an input into the slot.</summary>
public enum FakeInputKind
{
    /// <summary><c>&lt;copy_file/&gt;</c>: a physical copy in the slot.</summary>
    Copy,

    /// <summary>The default: a link file <c>&lt;soft_link&gt;../../projects/&lt;dir&gt;/&lt;physical&gt;&lt;/soft_link&gt;</c>.</summary>
    LinkFile,

    /// <summary>A real symlink (projects with <c>use_symlinks</c>).</summary>
    Symlink,
}

/// <summary>
/// One file of the task. <paramref name="Contents"/> None: an output the job will write, whose physical file
/// does not exist yet (the client writes only the link file).
/// </summary>
public sealed record FakeInput(string LogicalName, string PhysicalName, Option<byte[]> Contents, FakeInputKind Kind);

/// <summary>What the fake client tells the task in init_data.xml.</summary>
public sealed record FakeTask(
    string ProjectUrl,
    string ProjectDirName,
    string AppName,
    string WuName,
    string ResultName,
    int Slot,
    double WuCpuTime,
    Option<int> ClientPid,
    double Ncpus,
    double MemoryBoundBytes,
    double CheckpointPeriod,
    Option<(int Type, string Version)> Docker)
{
    /// <summary>A plausible task: project 127.0.0.1_1_test, slot 0, one CPU, 512 MB, Docker detected.</summary>
    public static FakeTask Default(string resultName = "wu1_0") => new(
        "http://127.0.0.1:1/test/", "127.0.0.1_1_test", "testapp", resultName.EndsWith("_0", StringComparison.Ordinal) ? resultName[..^2] : resultName,
        resultName, 0, 0, Option<int>.None, 1, 512.0 * 1024 * 1024, 60, Option<(int, string)>.Some((1, "Docker version 26.1.5")));
}

/// <summary>
/// A BOINC data directory laid out the way the client lays it out before it starts an app
/// (<c>client/app_start.cpp</c>): <c>projects/&lt;dir&gt;/</c> with the physical files, <c>slots/&lt;n&gt;/</c>
/// with <c>init_data.xml</c>, a zeroed 8192-byte <c>boinc_mmap_file</c>, and for each file a copy, a link file
/// or a symlink.
/// </summary>
public sealed class FakeSlot
{
    private FakeSlot(string dataDir, FakeTask task)
    {
        DataDir = dataDir;
        Task = task;
        ProjectDir = Path.Combine(dataDir, "projects", task.ProjectDirName);
        SlotDir = Path.Combine(dataDir, "slots", task.Slot.ToString(CultureInfo.InvariantCulture));
    }

    public string DataDir { get; }
    public string ProjectDir { get; }
    public string SlotDir { get; }
    public FakeTask Task { get; private set; }

    public static FakeSlot Create(string dataDir, FakeTask task, Seq<FakeInput> files)
    {
        var slot = new FakeSlot(Path.GetFullPath(dataDir), task);
        Directory.CreateDirectory(slot.ProjectDir);
        Directory.CreateDirectory(slot.SlotDir);
        foreach (var f in files)
        {
            var physical = Path.Combine(slot.ProjectDir, f.PhysicalName);
            f.Contents.Iter(bytes => File.WriteAllBytes(physical, bytes));
            var inSlot = Path.Combine(slot.SlotDir, f.LogicalName);
            switch (f.Kind)
            {
                case FakeInputKind.Copy:
                    File.Copy(physical, inSlot, overwrite: true);
                    break;
                case FakeInputKind.LinkFile:
                    File.WriteAllText(inSlot, $"<soft_link>../../projects/{SecurityElement.Escape(task.ProjectDirName)}/{SecurityElement.Escape(f.PhysicalName)}</soft_link>\n");
                    break;
                default:
                    File.CreateSymbolicLink(inSlot, $"../../projects/{task.ProjectDirName}/{f.PhysicalName}");
                    break;
            }
        }

        slot.WriteInitData();
        slot.ResetSharedMemory();
        return slot;
    }

    /// <summary>What the client does before each start: a new init_data.xml (with the CPU time it recorded).</summary>
    public void Restart(double wuCpuTime)
    {
        Task = Task with { WuCpuTime = wuCpuTime };
        WriteInitData();
        ResetSharedMemory();
    }

    /// <summary>Creates (or zeroes) <c>boinc_mmap_file</c>: 8192 zero bytes.</summary>
    public void ResetSharedMemory() =>
        File.WriteAllBytes(Path.Combine(SlotDir, SharedMemory.FileName), new byte[SharedMemory.Size]);

    public string InitDataXml()
    {
        var t = Task;
        var b = new StringBuilder();
        void Line(string tag, string value) => b.Append('<').Append(tag).Append('>').Append(value).Append("</").Append(tag).Append(">\n");
        static string F(double v) => v.ToString("F6", CultureInfo.InvariantCulture);
        b.Append("<app_init_data>\n<major_version>7</major_version>\n<minor_version>20</minor_version>\n<release>5</release>\n");
        Line("app_name", SecurityElement.Escape(t.AppName));
        Line("master_url", SecurityElement.Escape(t.ProjectUrl));
        Line("project_dir", SecurityElement.Escape(ProjectDir));
        Line("boinc_dir", SecurityElement.Escape(DataDir));
        Line("wu_name", SecurityElement.Escape(t.WuName));
        Line("result_name", SecurityElement.Escape(t.ResultName));
        Line("shm_key", "-1");
        Line("slot", t.Slot.ToString(CultureInfo.InvariantCulture));
        t.ClientPid.Iter(p => Line("client_pid", p.ToString(CultureInfo.InvariantCulture)));
        Line("wu_cpu_time", F(t.WuCpuTime));
        Line("starting_elapsed_time", F(t.WuCpuTime));
        Line("checkpoint_period", F(t.CheckpointPeriod));
        Line("fraction_done_start", F(0));
        Line("fraction_done_end", F(1));
        Line("ncpus", F(t.Ncpus));
        Line("rsc_memory_bound", F(t.MemoryBoundBytes));
        Line("rsc_disk_bound", F(1e9));
        b.Append("<host_info>\n");
        Line("domain_name", "fakehost");
        Line("p_ncpus", "2");
        Line("os_name", "Linux Debian");
        t.Docker.Iter(d =>
        {
            Line("docker_version", SecurityElement.Escape(d.Version));
            Line("docker_type", d.Type.ToString(CultureInfo.InvariantCulture));
        });
        b.Append("</host_info>\n</app_init_data>\n");
        return b.ToString();
    }

    private void WriteInitData() => File.WriteAllText(Path.Combine(SlotDir, "init_data.xml"), InitDataXml());
}
