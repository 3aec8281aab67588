using System.Threading;
using System.Threading.Tasks;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>The container's main process (inspect's State.Pid), for reading its cgroup directly.</summary>
public sealed partial class DockerEngine : IContainerProcess
{
    public Task<Either<EngineError, ContainerProcess>> MainProcess(string name, CancellationToken ct) =>
        Call("inspect " + name, ct, async t =>
        {
            var c = await client.Containers.InspectContainerAsync(name, t).ConfigureAwait(false);
            return new ContainerProcess(c.ID, c.State?.Running == true ? (int)c.State.Pid : 0);
        });
}
