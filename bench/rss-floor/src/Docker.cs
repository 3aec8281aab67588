#if F_DOCKER
using System;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Floor;

internal static class DockerWork
{
    public static async Task<string> Run(string endpoint)
    {
        // Docker.DotNet.Enhanced 4.x has no DockerClientConfiguration.CreateClient(); the builder is its
        // replacement (and what /work/main's DockerEngine uses).
        using var client = new DockerClientBuilder().WithEndpoint(new Uri(endpoint)).Build();
        var v = await client.System.GetVersionAsync().ConfigureAwait(false);
        var list = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true }).ConfigureAwait(false);
        return $"{v.Version}/{v.APIVersion}/{list.Count}";
    }
}
#endif
