using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// One raw GUI RPC over the client's Unix socket (<c>boinc_socket</c> in its data directory, what
/// <c>boinccmd --unix_domain</c> uses): for what boinccmd does not print, such as a task's <c>web_graphics_url</c>.
/// Read-only requests need no authentication.
/// </summary>
public static class GuiRpc
{
    public static async Task<string> Call(string dataDir, string request, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(dataDir, "boinc_socket")), cts.Token);
        var bytes = Encoding.ASCII.GetBytes($"<boinc_gui_rpc_request>\n{request}\n</boinc_gui_rpc_request>\n\u0003");
        await socket.SendAsync(bytes, SocketFlags.None, cts.Token);
        var reply = new StringBuilder();
        var buffer = new byte[65536];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
                break;
            var chunk = Encoding.ASCII.GetString(buffer, 0, n);
            var end = chunk.IndexOf('\u0003');
            reply.Append(end < 0 ? chunk : chunk[..end]);
            if (end >= 0)
                break;
        }

        return reply.ToString();
    }
}
