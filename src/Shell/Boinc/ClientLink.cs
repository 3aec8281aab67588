using System;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Shell.Host;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Shell.Boinc;

/// <summary>
/// The app's end of the conversation with the BOINC client: the shared memory of the slot, the heartbeat
/// clock and the client's pid. Call <see cref="Poll"/> about once a second (the client's own rhythm), send a
/// status after each poll. Not thread-safe: one loop owns it.
/// </summary>
public sealed class ClientLink : IDisposable
{
    private readonly SharedMemory _shm;
    private readonly SlotContext _context;
    private readonly TimeProvider _time;
    private readonly Func<int, bool> _processExists;
    private DateTimeOffset _lastHeartbeat;

    private ClientLink(SharedMemory shm, SlotContext context, TimeProvider time, Func<int, bool> processExists)
    {
        _shm = shm;
        _context = context;
        _time = time;
        _processExists = processExists;
        _lastHeartbeat = time.GetUtcNow();
    }

    /// <summary>The last heartbeat received (None before the first).</summary>
    public Option<Heartbeat> LastHeartbeat { get; private set; }

    /// <summary>When the last heartbeat arrived (the open time until one does).</summary>
    public DateTimeOffset LastHeartbeatAt => _lastHeartbeat;

    /// <summary>
    /// Maps <c>boinc_mmap_file</c> in the slot. Fails when init_data.xml names a System V shared-memory key
    /// (<c>shm_key</c> other than -1): only the mmap file, which every Linux client uses, is supported.
    /// </summary>
    public static Fin<ClientLink> Open(string slotDir, SlotContext context, TimeProvider time) =>
        Open(slotDir, context, time, Libc.ProcessExists);

    /// <summary>As <see cref="Open(string, SlotContext, TimeProvider)"/>, with the pid check given (for tests).</summary>
    public static Fin<ClientLink> Open(string slotDir, SlotContext context, TimeProvider time, Func<int, bool> processExists)
    {
        if (context.ShmKey.Exists(k => k != -1))
            return Error.New($"init_data.xml gives shm_key {context.ShmKey.IfNone(0)}: System V shared memory is not supported, only {SharedMemory.FileName}");
        return SharedMemory.Open(System.IO.Path.Combine(slotDir, SharedMemory.FileName))
            .Map(shm => new ClientLink(shm, context, time, processExists));
    }

    /// <summary>
    /// Reads the heartbeat channel (remembering when one came) and the control channel; returns the control
    /// requests found (usually none, at most one message's worth).
    /// </summary>
    public Seq<ControlMessage> Poll()
    {
        _shm.Receive(Channel.Heartbeat).Iter(text =>
        {
            _lastHeartbeat = _time.GetUtcNow();
            Heartbeat.Parse(text).Iter(Heard);
        });
        return _shm.Receive(Channel.ProcessControlRequest).Match(ControlMessages.Parse, () => Seq<ControlMessage>.Empty);
    }

    /// <summary>
    /// Reads only the heartbeat channel (control requests stay for <see cref="Poll"/>): for a wait that must not
    /// take a quit or an abort away from the loop.
    /// </summary>
    public void RefreshHeartbeat() =>
        _shm.Receive(Channel.Heartbeat).Iter(text =>
        {
            _lastHeartbeat = _time.GetUtcNow();
            Heartbeat.Parse(text).Iter(Heard);
        });

    private void Heard(Heartbeat h)
    {
        LastHeartbeat = h;
        h.SporadicCa.Iter(ca => SporadicCa = ca);
    }

    /// <summary>
    /// The client's last word to a sporadic app: kept until a heartbeat carries another (the client leaves the tag
    /// out for <see cref="Core.Protocol.SporadicCa.None"/>; the BOINC API keeps the last value too). None before any.
    /// </summary>
    public Option<SporadicCa> SporadicCa { get; private set; }

    /// <summary>The last heartbeat said the user suspended network activity.</summary>
    public bool NetworkSuspended => LastHeartbeat.Exists(h => h.NetworkSuspended);

    /// <summary>
    /// Whether a control request waits on its channel: one read of shared memory, safe from any thread (the
    /// loop's <see cref="Poll"/> takes it). Lets a poller stay asleep when there is nothing to do.
    /// </summary>
    public bool ControlPending => _shm.HasMessage(Channel.ProcessControlRequest);

    /// <summary>The client's state now: lost after 30 s without a heartbeat or when its pid has gone.</summary>
    public ClientState State =>
        Liveness.Judge(_lastHeartbeat, _time.GetUtcNow(), _context.ClientPid.Map(_processExists));

    public bool ClientLost => State == ClientState.Lost;

    /// <summary>Sends a status unless the client has not read the previous one yet (then false; try next second).</summary>
    public bool TrySendStatus(AppStatus status) => _shm.Send(Channel.AppStatus, status.Format());

    /// <summary>A graphics_reply message (<see cref="GraphicsReply"/>) unless the client has not read the previous one.</summary>
    public bool TrySendGraphics(string text) => _shm.Send(Channel.GraphicsReply, text);

    public void Dispose() => _shm.Dispose();
}
