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
            using var doc = await InspectJson(name, t).ConfigureAwait(false);
            var c = doc.RootElement;
            var state = c.Get("State");
            return new ContainerProcess(c.Str("Id"), state.Bool("Running") ? (int)state.Long("Pid") : 0);
        });
}
