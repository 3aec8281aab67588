using System.Threading;
using System.Threading.Tasks;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>A container's identity and main process, as the host sees it (pid 0 when it does not run).</summary>
public sealed record ContainerProcess(string Id, int Pid);

/// <summary>
/// What an engine adapter can tell about a container's host process, so its CPU time can be read from the
/// kernel (<see cref="CgroupCpu"/>) instead of asking the engine every second. Optional: an engine that
/// does not implement it gets its CPU time from <see cref="IEngine.CpuNanos"/>.
/// </summary>
public interface IContainerProcess
{
    Task<Either<EngineError, ContainerProcess>> MainProcess(string name, CancellationToken ct);
}
