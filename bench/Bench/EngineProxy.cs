using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Boinc.Persist.Bench;

/// <summary>
/// A counting proxy on a unix socket in front of the engine's: a wrapper given <c>DOCKER_HOST=unix://PATH</c>
/// talks to the engine through it, and every HTTP request it sends is counted with its time, so the engine
/// calls made during a window are known exactly (not only the wrapper's own total at exit). A request is a
/// client chunk that starts with an HTTP method and a path: HTTP/1.1 clients send one request at a time per
/// connection, and a body never starts that way.
/// </summary>
public sealed class EngineProxy : IDisposable
{
    private static readonly string[] Methods = { "GET /", "POST /", "DELETE /", "HEAD /", "PUT /" };
    private readonly Socket listener;
    private readonly string engineSocket;
    private readonly CancellationTokenSource stop = new();
    private int requests;

    public EngineProxy(string path, string engineSocket)
    {
        Path = path;
        this.engineSocket = engineSocket;
        File.Delete(path);
        listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(64);
        _ = Accept();
    }

    public string Path { get; }

    /// <summary>Requests forwarded so far.</summary>
    public int Requests => Volatile.Read(ref requests);

    private async Task Accept()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptAsync(stop.Token);
                _ = Serve(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }
    }

    private async Task Serve(Socket client)
    {
        using var c = client;
        using var engine = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await engine.ConnectAsync(new UnixDomainSocketEndPoint(engineSocket), stop.Token);
            await Task.WhenAny(Pump(c, engine, count: true), Pump(engine, c, count: false));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // A side closed.
        }
    }

    private async Task Pump(Socket from, Socket to, bool count)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                if (n == 0)
                    break;
                if (count && StartsRequest(buffer, n))
                    Interlocked.Increment(ref requests);
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // A side closed.
        }

        try
        {
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
    }

    private static bool StartsRequest(byte[] buffer, int n)
    {
        foreach (var m in Methods)
        {
            if (n < m.Length)
                continue;
            var match = true;
            for (var i = 0; i < m.Length && match; i++)
                match = buffer[i] == m[i];
            if (match)
                return true;
        }

        return false;
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Dispose();
        File.Delete(Path);
    }
}
