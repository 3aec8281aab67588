using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using Boinc.Persist.Core.Slots;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// Reads the facts for <see cref="EngineEndpoint.Decide"/> from this process and host: the environment, the
/// user, whether <c>podman</c> is on PATH, and a connect (with a short timeout) to every candidate socket.
/// </summary>
public static class EngineProbe
{
    public static readonly TimeSpan ConnectLimit = TimeSpan.FromSeconds(2);

    public static EngineFacts Read(ContainerEngine preference)
    {
        var isRoot = Environment.UserName == "root" || GetUid() == 0;
        var xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        var privateSocket = PodmanService.PrivateSocketPath(isRoot, xdg, GetUid());
        var candidates = EngineEndpoint.Candidates(preference, isRoot, xdg, privateSocket);
        var states = candidates.ToDictionary(c => c.Path, c => Probe(c.Path));
        return new EngineFacts(
            Environment.GetEnvironmentVariable("DOCKER_HOST"),
            preference,
            isRoot,
            xdg,
            privateSocket,
            states,
            PodmanService.Executable() is not null);
    }

    /// <summary>Whether something accepts a connection on the unix socket at <paramref name="path"/>.</summary>
    public static SocketState Probe(string path)
    {
        if (!File.Exists(path))
            return SocketState.Missing;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            var connect = socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
            if (!connect.Wait(ConnectLimit))
                return SocketState.Refused;
            return SocketState.Answers;
        }
        catch (AggregateException e) when (e.InnerException is SocketException s)
        {
            return Classify(s);
        }
        catch (SocketException s)
        {
            return Classify(s);
        }
    }

    private static SocketState Classify(SocketException s) =>
        s.SocketErrorCode == SocketError.AccessDenied ? SocketState.Denied : SocketState.Refused;

    private static uint GetUid() => PodmanService.Uid();
}
