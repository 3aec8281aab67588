using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Integration.Engine;
using Boinc.Persist.Shell.Engine;
using Docker.DotNet.Models;
using LanguageExt;
using Xunit;
using Labels = Boinc.Persist.Core.Planning.Labels;

namespace Boinc.Persist.Integration.Planning;

/// <summary>
/// The planner's confinement, converted by <see cref="ContainerSpecConverter"/>, holds in a REAL container: the
/// engine accepted every setting (inspect shows it) and the kernel enforces it (the job's own view shows it).
/// The image is the local base, not the plan's tag: building is not part of this.
/// </summary>
[Collection(EngineCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ContainerSpecTests(EngineFixture engine)
{
    private const long SlotUid = 1000;
    private const long SlotGid = 1000;
    private const double MemoryBound = 256L * 1024 * 1024;

    private const string Dockerfile = "FROM boinc-persist/busybox:1\nWORKDIR /app\n";

    // Each probe writes one line KEY=ok|failed: <error> into /app/report.txt, so the test reads what the job saw.
    private const string ProbeFunctions =
        "probe() { key=$1; shift; if err=$( ( \"$@\" ) 2>&1 ); then echo \"$key=ok\"; else echo \"$key=failed: $err\"; fi >> /app/report.txt; }\n";

    [Fact]
    public async Task The_default_plan_runs_as_the_slot_owner_with_a_read_only_root_no_network_and_a_read_only_project()
    {
        // Given a slot owned by uid 1000 and a project directory anyone could write (so only a read-only
        // mount can stop the job writing there)
        using var root = engine.NewTempRoot();
        var slot = root.Directory("slot");
        Chown(slot, SlotUid, SlotGid);
        var project = root.Directory("project");
        await File.WriteAllTextAsync(Path.Combine(project, "input.dat"), "project input\n");
        File.SetUnixFileMode(project, (UnixFileMode)0b111_111_111);

        // And the default plan for a job.toml that only asks for the project directory
        var input = Input("project_dir_mount = \"/project\"\n", slot, project);
        var plan = MakePlan(input);
        Assert.Empty(plan.Relaxations);

        // When the converted plan runs a probe script in the base image
        var script = ProbeFunctions +
                     "printf '%s:%s' \"$(id -u)\" \"$(id -g)\" > /app/out.txt\n" +
                     "probe etc sh -c 'echo x > /etc/x'\n" +
                     "probe project sh -c 'echo x > /project/x'\n" +
                     "probe project_read cat /project/input.dat\n" +
                     "probe tmp sh -c 'echo x > /tmp/ok && test \"$(cat /tmp/ok)\" = x'\n" +
                     "echo \"net=$(ls /sys/class/net | tr '\\n' ' ')\" >> /app/report.txt\n" +
                     "grep -E '^(NoNewPrivs|CapEff|CapBnd):' /proc/self/status | tr -d '\\t' | sed 's/:/=/' >> /app/report.txt\n" +
                     "awk '$2 == \"/\" { print \"rootmount=\" $4 } $2 == \"/tmp\" { print \"tmpmount=\" $1 \" \" $4 }' /proc/mounts >> /app/report.txt\n" +
                     "pwd > /app/pwd.txt\n" +
                     "exit 0\n";
        var (inspected, exitCode) = await Run(plan, script);

        // Then the engine holds every confinement setting of the plan
        var host = inspected.HostConfig;
        var config = inspected.Config;
        Assert.NotNull(host);
        Assert.NotNull(config);
        Assert.True(host.ReadonlyRootfs, "HostConfig.ReadonlyRootfs");
        Assert.Equal("none", host.NetworkMode);
        // Podman reports neither NetworkDisabled nor CapDrop=ALL back (it lists the capabilities it dropped):
        // there the probe below (loopback only, CapEff=0) is the proof.
        if (!TestEngine.IsPodman)
            Assert.True(config.NetworkDisabled, "Config.NetworkDisabled");
        AssertAllCapabilitiesDropped(host);
        Assert.True(host.CapAdd is null || host.CapAdd.Count == 0, $"CapAdd: {string.Join(",", host.CapAdd ?? new List<string>())}");
        Assert.Contains(host.SecurityOpt ?? new List<string>(), o => o is "no-new-privileges:true" or "no-new-privileges");
        Assert.Equal(Limits.DefaultPids, host.PidsLimit);
        Assert.Equal((long)MemoryBound, host.Memory);
        Assert.Equal((long)MemoryBound, host.MemorySwap);
        Assert.Equal(1_000_000_000L, host.NanoCPUs);
        Assert.Equal(RestartPolicyKind.No, host.RestartPolicy?.Name);
        Assert.Equal("1000:1000", config.User);
        Assert.Equal("/app", config.WorkingDir);
        Assert.Equal(plan.Container.Name, inspected.Name.TrimStart('/'));

        var mounts = (inspected.Mounts ?? new List<MountPoint>()).OrderBy(m => m.Destination, StringComparer.Ordinal).ToList();
        Assert.Collection(
            mounts,
            m => AssertBind(m, slot, "/app", writable: true),
            m => AssertBind(m, project, "/project", writable: false));
        Assert.NotNull(host.Tmpfs);
        // Podman adds its own tmpfs at /run and /var/tmp on a read-only root (read_only_tmpfs; charged to the
        // container's memory limit): ours must be there either way.
        var tmpfs = host.Tmpfs.Keys.Where(k => !TestEngine.IsPodman || k is not ("/run" or "/var/tmp"));
        Assert.Equal(new[] { "/app/.boinc-persist", "/tmp" }, tmpfs.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Contains($"size={Limits.DefaultTmpBytes}", host.Tmpfs["/tmp"]);

        var labels = config.Labels;
        Assert.Equal(Labels.OwnerValue, labels[Labels.Owner]);
        Assert.Equal(input.Task.ProjectDirName, labels[Labels.Project]);
        Assert.Equal(input.Task.WuName, labels[Labels.Workunit]);
        Assert.Equal(input.Task.ResultName, labels[Labels.Result]);
        Assert.Equal(slot, labels[Labels.Slot]);
        foreach (var (key, value) in engine.TestLabels) Assert.Equal(value, labels[key]);

        // And the job, inside, saw exactly that confinement
        Assert.Equal(0, exitCode);
        var outFile = Path.Combine(slot, "out.txt");
        Assert.True(File.Exists(outFile), $"expected {outFile}: the job could not write its slot as uid 1000");
        Assert.Equal("1000:1000", await File.ReadAllTextAsync(outFile));
        Assert.Equal("/app", (await File.ReadAllTextAsync(Path.Combine(slot, "pwd.txt"))).Trim());

        var report = await Report(slot);
        Assert.StartsWith("failed:", report["etc"]);
        Assert.Contains("Read-only file system", report["etc"]);
        Assert.StartsWith("failed:", report["project"]);
        Assert.Contains("Read-only file system", report["project"]);
        Assert.False(File.Exists(Path.Combine(project, "x")), "the job wrote into the project directory");
        Assert.Equal("ok", report["project_read"]);
        Assert.Equal("ok", report["tmp"]);
        Assert.Equal("lo", report["net"].Trim());
        Assert.Equal("1", report["NoNewPrivs"]);
        Assert.Equal("0000000000000000", report["CapEff"]);
        Assert.Equal("0000000000000000", report["CapBnd"]);
        Assert.StartsWith("ro,", report["rootmount"]);
        Assert.StartsWith("tmpfs rw,", report["tmpmount"]);
        Assert.Contains("nosuid", report["tmpmount"]);
        Assert.Contains("nodev", report["tmpmount"]);
    }

    [Fact]
    public async Task A_relaxed_root_file_system_is_writable_and_an_extra_read_only_mount_shows_the_slots_file()
    {
        // Given a slot with a data directory, which the job will see at /data read-only
        using var root = engine.NewTempRoot();
        var slot = root.Directory("slot");
        var data = root.Directory("slot/data");
        await File.WriteAllTextAsync(Path.Combine(data, "table.csv"), "a,b\n1,2\n");
        // The job runs as root (uid 0 owns /etc in the image, so only the file system can stop it there) but
        // with no capabilities, so it needs plain permissions to write the slot and the data directory.
        Chown(slot, SlotUid, SlotGid);
        File.SetUnixFileMode(slot, (UnixFileMode)0b111_111_111);
        File.SetUnixFileMode(data, (UnixFileMode)0b111_111_111);
        var project = root.Directory("project");

        // And a job.toml that relaxes the read-only root and adds the mount
        var input = Input(
            "mount = [\"data:/data:ro\"]\n\n[confinement]\nread_only_rootfs = false\nuser = \"0:0\"\n", slot, project);
        var plan = MakePlan(input);
        Assert.Equal(
            new[] { "confinement.read_only_rootfs", "confinement.user" },
            plan.Relaxations.Map(r => r.Key).OrderBy(k => k, StringComparer.Ordinal));

        // When the converted plan runs a probe script
        var script = ProbeFunctions +
                     "probe etc sh -c 'echo x > /etc/x && test \"$(cat /etc/x)\" = x'\n" +
                     "probe data_write sh -c 'echo x > /data/x'\n" +
                     "echo \"data_read=$(cat /data/table.csv | tr '\\n' ';')\" >> /app/report.txt\n" +
                     "awk '$2 == \"/\" { print \"rootmount=\" $4 }' /proc/mounts >> /app/report.txt\n" +
                     "exit 0\n";
        var (inspected, exitCode) = await Run(plan, script);

        // Then the engine has a writable root and exactly the slot and the data mount
        var host = inspected.HostConfig;
        var config = inspected.Config;
        Assert.NotNull(host);
        Assert.NotNull(config);
        Assert.False(host.ReadonlyRootfs, "HostConfig.ReadonlyRootfs");
        Assert.Equal("none", host.NetworkMode);
        AssertAllCapabilitiesDropped(host);
        Assert.Equal("0:0", config.User);
        var mounts = (inspected.Mounts ?? new List<MountPoint>()).OrderBy(m => m.Destination, StringComparer.Ordinal).ToList();
        Assert.Collection(
            mounts,
            m => AssertBind(m, slot, "/app", writable: true),
            m => AssertBind(m, data, "/data", writable: false));

        // And inside, /etc took the write, /data refused it but shows the slot's file
        Assert.Equal(0, exitCode);
        var report = await Report(slot);
        Assert.Equal("ok", report["etc"]);
        Assert.StartsWith("rw,", report["rootmount"]);
        Assert.StartsWith("failed:", report["data_write"]);
        Assert.Contains("Read-only file system", report["data_write"]);
        Assert.False(File.Exists(Path.Combine(data, "x")), "the job wrote through the read-only mount");
        Assert.Equal("a,b;1,2;", report["data_read"]);
    }

    private static PlanInput Input(string jobToml, string slot, string project)
    {
        var job = JobConfigReader.Parse("job.toml", jobToml);
        Assert.True(job.IsOk, string.Join("; ", job.Findings.Map(f => f.Message)));
        var result = $"it_{Guid.NewGuid():N}_0";
        return new PlanInput(
            job.Value.IfNone(() => throw new InvalidOperationException("unreachable")),
            new DockerfileFacts("Dockerfile", Dockerfile, Option<(string, int)>.Some(("/app", 2)), Option<string>.None),
            new TaskIdentity("example.org_test", $"wu_{result}", result, 0, 1.0, MemoryBound),
            new HostFacts(slot, project, SlotUid, SlotGid),
            Seq<string>.Empty);
    }

    private static Plan MakePlan(PlanInput input)
    {
        var plan = Planner.Make(input);
        Assert.True(plan.Errors.IsEmpty, string.Join("; ", plan.Errors.Map(f => $"{f.Code} {f.Message}")));
        return plan.Value.IfNone(() => throw new InvalidOperationException("a plan with no errors has a value"));
    }

    /// <summary>Creates, starts and waits for the plan's container running <paramref name="script"/>; always removes it.</summary>
    private async Task<(ContainerInspectResponse Inspected, long ExitCode)> Run(Plan plan, string script)
    {
        // What the product sends: the plan adapted to this engine (Podman's ulimits, log driver...).
        using var adapter = new Boinc.Persist.Shell.Engine.DockerEngine(
            Boinc.Persist.Shell.Engine.EngineEndpoint.FromUri(engine.Endpoint.ToString()));
        var traits = (await adapter.Traits(default)).Match(t => t, e => throw new InvalidOperationException(e.ToString()));
        var (spec, options) = Boinc.Persist.Shell.Engine.EngineDifferences.Adapt(plan.Container, traits);
        var parameters = Boinc.Persist.TestSupport.CreateBodies.Parameters(spec, engine.BaseImage, options);
        parameters.Labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in engine.TestLabels) parameters.Labels[key] = value;
        parameters.Cmd = ["/bin/sh", "-c", script];

        string? id = null;
        try
        {
            var created = await engine.Call((docker, ct) => docker.Containers.CreateContainerAsync(parameters, ct));
            id = created.ID;
            await engine.Call((docker, ct) => docker.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct));
            var waited = await engine.Call(
                (docker, ct) => docker.Containers.WaitContainerAsync(id, ct), TimeSpan.FromSeconds(15));
            var inspected = await engine.Call((docker, ct) => docker.Containers.InspectContainerAsync(id, ct));
            return (inspected, waited.StatusCode);
        }
        finally
        {
            if (id is not null)
            {
                await engine.Call((docker, ct) => docker.Containers.RemoveContainerAsync(
                    id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct));
            }
        }
    }

    private static void AssertAllCapabilitiesDropped(HostConfig host)
    {
        // Podman answers with the default capabilities it dropped (its default set has no SYS_ADMIN to drop).
        if (TestEngine.IsPodman)
        {
            var dropped = (host.CapDrop ?? new List<string>()).Select(c => c.StartsWith("CAP_", StringComparison.Ordinal) ? c : "CAP_" + c).ToList();
            foreach (var cap in new[] { "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETUID", "CAP_SETGID", "CAP_KILL" })
                Assert.Contains(cap, dropped);
        }
        else
            Assert.Equal(new[] { "ALL" }, host.CapDrop);
    }

    private static void AssertBind(MountPoint m, string source, string target, bool writable)
    {
        Assert.Equal("bind", m.Type);
        Assert.Equal(source, m.Source);
        Assert.Equal(target, m.Destination);
        Assert.True(m.RW == writable, $"{target}: RW is {m.RW}, expected {writable}");
    }

    private static async Task<Dictionary<string, string>> Report(string slot)
    {
        var path = Path.Combine(slot, "report.txt");
        Assert.True(File.Exists(path), $"expected the job's report at {path}");
        var lines = await File.ReadAllLinesAsync(path);
        var report = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Where(l => l.Contains('=')))
        {
            var eq = line.IndexOf('=');
            report[line[..eq]] = line[(eq + 1)..];
        }

        return report;
    }

    private static void Chown(string path, long uid, long gid)
    {
        if (Chown(path, (uint)uid, (uint)gid) != 0)
            throw new IOException($"chown {uid}:{gid} {path} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}); the tests run as root");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int Chown(string path, uint owner, uint group);
}
