using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Boinc.Persist.Bench;

/// <summary>
/// The baseline: the same image and workload run straight through the Engine API (Docker.DotNet, the library
/// the wrapper uses), with nothing of ours in between: create with the slot-like directory bind-mounted at
/// WORKDIR, start, wait, remove (Total: create until removed).
/// </summary>
public sealed class BareEngine(DockerClient docker, string label)
{
    /// <summary>
    /// One bare run of <c>job.sh quick</c> in <paramref name="dir"/>: seconds from the create call until the job's
    /// first instruction ran (<c>started</c>), and from its last (<c>ended</c>) until the engine's wait returned.
    /// </summary>
    public async Task<(double Launch, double EndNoticed, double Total)> Run(string image, string dir, CancellationToken ct)
    {
        File.WriteAllText(Path.Combine(dir, "job.sh"), BenchSlot.JobScript.Replace("\r", ""));
        foreach (var f in new[] { "started", "ended" })
            File.Delete(Path.Combine(dir, f));
        var name = "boinc-persist-bench-bare-" + Guid.NewGuid().ToString("N")[..10];
        var t0 = DateTime.UtcNow;
        var created = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = name,
            Image = image,
            Cmd = new List<string> { "/bin/sh", "/app/job.sh" },
            Env = new List<string> { "ARGS=quick" },
            WorkingDir = "/app",
            Labels = new Dictionary<string, string> { [label] = "true" },
            HostConfig = new HostConfig { Binds = new List<string> { dir + ":/app" }, NetworkMode = "none" },
        }, ct);
        double launch, endNoticed;
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), ct);
            await docker.Containers.WaitContainerAsync(created.ID, ct);
            var waited = DateTime.UtcNow;
            launch = (File.GetLastWriteTimeUtc(Path.Combine(dir, "started")) - t0).TotalSeconds;
            endNoticed = (waited - File.GetLastWriteTimeUtc(Path.Combine(dir, "ended"))).TotalSeconds;
        }
        finally
        {
            await docker.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, ct);
        }

        return (launch, endNoticed, (DateTime.UtcNow - t0).TotalSeconds);
    }

}
