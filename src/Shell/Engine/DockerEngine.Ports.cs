using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>The host port the engine picked for the web graphics port (inspect's NetworkSettings.Ports).</summary>
public sealed partial class DockerEngine
{
    public async Task<Either<EngineError, bool>> HasImage(string tag, CancellationToken ct)
    {
        var r = await Call("inspect image " + tag, ct, t => client.Images.InspectImageAsync(tag, t)).ConfigureAwait(false);
        return r.Match<Either<EngineError, bool>>(_ => true, e => e is EngineError.NotFound ? false : e);
    }

    public Task<Either<EngineError, Option<int>>> LoopbackPort(string name, int containerPort, CancellationToken ct) =>
        Call("inspect " + name, ct, async t =>
        {
            var c = await client.Containers.InspectContainerAsync(name, t).ConfigureAwait(false);
            var key = containerPort.ToString(CultureInfo.InvariantCulture) + "/tcp";
            if (c.NetworkSettings?.Ports is not { } ports || !ports.TryGetValue(key, out var bindings) || bindings is null)
                return Option<int>.None;
            foreach (var b in bindings)
            {
                // The binding asked for 127.0.0.1; an engine that reports 0.0.0.0 or "" would not be loopback-only.
                if (b.HostIP == "127.0.0.1" && int.TryParse(b.HostPort, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0)
                    return Option<int>.Some(port);
            }

            return Option<int>.None;
        });
}
