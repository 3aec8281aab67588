using System.Globalization;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>The host port the engine picked for the web graphics port (inspect's NetworkSettings.Ports).</summary>
public sealed partial class DockerEngine
{
    public async Task<Either<EngineError, bool>> HasImage(string tag, CancellationToken ct)
    {
        var r = await ImageId(tag, ct).ConfigureAwait(false);
        return r.Map(id => id.IsSome);
    }

    public Task<Either<EngineError, Option<int>>> LoopbackPort(string name, int containerPort, CancellationToken ct) =>
        Call("inspect " + name, ct, async t =>
        {
            using var doc = await InspectJson(name, t).ConfigureAwait(false);
            var key = containerPort.ToString(CultureInfo.InvariantCulture) + "/tcp";
            foreach (var b in doc.RootElement.Get("NetworkSettings").Get("Ports").Get(key).Items())
            {
                // The binding asked for 127.0.0.1; an engine that reports 0.0.0.0 or "" would not be loopback-only.
                if (b.Str("HostIp") == "127.0.0.1" && int.TryParse(b.Str("HostPort"), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0)
                    return Option<int>.Some(port);
            }

            return Option<int>.None;
        });
}
