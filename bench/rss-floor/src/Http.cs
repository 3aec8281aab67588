#if F_HTTP
using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Tasks;

namespace Floor;

internal sealed record EngineVersionDto(
    [property: JsonPropertyName("Version")] string? Version,
    [property: JsonPropertyName("ApiVersion")] string? ApiVersion,
    [property: JsonPropertyName("Os")] string? Os,
    [property: JsonPropertyName("Arch")] string? Arch,
    [property: JsonPropertyName("KernelVersion")] string? KernelVersion);

internal sealed record ContainerDto(
    [property: JsonPropertyName("Id")] string? Id,
    [property: JsonPropertyName("Names")] List<string>? Names,
    [property: JsonPropertyName("Image")] string? Image,
    [property: JsonPropertyName("State")] string? State,
    [property: JsonPropertyName("Status")] string? Status,
    [property: JsonPropertyName("Labels")] Dictionary<string, string>? Labels);

[JsonSerializable(typeof(EngineVersionDto))]
[JsonSerializable(typeof(List<ContainerDto>))]
internal sealed partial class EngineJson : JsonSerializerContext;

internal static class HttpWork
{
    public static async Task<string> Run(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (ctx, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            UseProxy = false,
        };
        using var client = new HttpClient(handler) { BaseAddress = new Uri("http://localhost/") };
        await using var s = await client.GetStreamAsync("version").ConfigureAwait(false);
        var v = await JsonSerializer.DeserializeAsync(s, EngineJson.Default.EngineVersionDto).ConfigureAwait(false);
        await using var s2 = await client.GetStreamAsync("containers/json?all=1").ConfigureAwait(false);
        var list = await JsonSerializer.DeserializeAsync(s2, EngineJson.Default.ListContainerDto).ConfigureAwait(false);
        return $"{v?.Version}/{v?.ApiVersion}/{list?.Count}";
    }
}
#endif
