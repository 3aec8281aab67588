using Boinc.Persist.Shell.Boinc;
using System;
using System.Collections.Generic;
using System.IO;
using Boinc.Persist.Core.Protocol;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Fakes;

/// <summary>What the fake client has recorded about the task, as the real client's ACTIVE_TASK does.</summary>
public sealed record ClientRecord(double CurrentCpuTime, double CheckpointCpuTime, double FractionDone, int Checkpoints)
{
    public static readonly ClientRecord Empty = new(0, 0, 0, 0);

    /// <summary>
    /// One status message, the way <c>get_app_status_msg</c> + <c>get_msgs</c> take it: both CPU times replaced
    /// (0 when missing), a fraction of 0 ignored, a change of checkpoint CPU time counted as a checkpoint.
    /// </summary>
    public ClientRecord Take(ClientStatusReading s) => new(
        s.CurrentCpuTime,
        s.CheckpointCpuTime,
        s.FractionDone.IfNone(FractionDone),
        s.CheckpointCpuTime != CheckpointCpuTime ? Checkpoints + 1 : Checkpoints);
}

/// <summary>
/// The client's side of one slot's shared memory, driven step by step (no threads, no clock): a test or the
/// <c>conform</c> command calls <see cref="Tick"/> once per simulated second. Control requests queue up and
/// are offered one at a time, only when the channel is empty (the client's <c>MSG_QUEUE</c>); a heartbeat is
/// skipped when the previous one is unread, as the client does.
/// </summary>
public sealed class FakeClient : IDisposable
{
    private readonly Queue<ControlMessage> _pending = new();
    private readonly SharedMemory _shm;

    private FakeClient(string slotDir, SharedMemory shm)
    {
        SlotDir = slotDir;
        _shm = shm;
    }

    public string SlotDir { get; }
    public ClientRecord Record { get; private set; } = ClientRecord.Empty;
    public Seq<string> StatusTexts { get; private set; } = Seq<string>.Empty;
    public int HeartbeatsSent { get; private set; }
    public int HeartbeatsSkipped { get; private set; }
    public int PendingRequests => _pending.Count;

    /// <summary>
    /// Maps the slot's shared memory. <paramref name="wuCpuTime"/> is the CPU time the client handed the task
    /// in init_data.xml: the real client starts the task with both its CPU times at that value
    /// (<c>app_start.cpp</c>), so a first status that repeats it is not a new checkpoint.
    /// </summary>
    public static Fin<FakeClient> Attach(string slotDir, double wuCpuTime = 0) =>
        SharedMemory.Open(Path.Combine(slotDir, SharedMemory.FileName))
            .Map(shm => new FakeClient(slotDir, shm) { Record = new ClientRecord(wuCpuTime, wuCpuTime, 0, 0) });

    /// <summary>Queues a request (suspend, resume, quit, abort...).</summary>
    public void Request(ControlMessage message) => _pending.Enqueue(message);

    /// <summary>One client second: offer the next request, send a heartbeat, read a status.</summary>
    public void Tick(Heartbeat heartbeat)
    {
        OfferNextRequest();
        SendHeartbeat(heartbeat);
        ReadStatus();
    }

    public void Tick() => Tick(new Heartbeat(Option<double>.Some(1e8), Option<double>.Some(5e8), false));

    /// <summary>Puts the oldest queued request on the channel if it is empty; true when one was written.</summary>
    public bool OfferNextRequest()
    {
        if (_pending.Count == 0 || _shm.HasMessage(Channel.ProcessControlRequest))
            return false;
        return _shm.Send(Channel.ProcessControlRequest, ControlMessages.Format(_pending.Dequeue()));
    }

    public bool SendHeartbeat(Heartbeat heartbeat)
    {
        var sent = _shm.Send(Channel.Heartbeat, heartbeat.Format());
        if (sent) HeartbeatsSent++;
        else HeartbeatsSkipped++;
        return sent;
    }

    /// <summary>Reads a status message if one is there and records it.</summary>
    public Option<ClientStatusReading> ReadStatus() =>
        _shm.Receive(Channel.AppStatus).Map(text =>
        {
            StatusTexts = StatusTexts.Add(text);
            var reading = ClientStatusReading.Parse(text);
            Record = Record.Take(reading);
            return reading;
        });

    /// <summary>Whether the app has read the request on the channel yet.</summary>
    public bool RequestUnread => _shm.HasMessage(Channel.ProcessControlRequest);

    /// <summary>The exit status in <c>boinc_finish_called</c>, read as the client reads it; None when absent.</summary>
    public Option<int> FinishStatus() =>
        ReadSmall(BoincExit.FinishFileName).Map(ExitTexts.ClientFinishStatus);

    /// <summary>Delay and reason of <c>boinc_temporary_exit</c> as the client reads them; None when absent or
    /// when the client would ignore it (no reason line).</summary>
    public Option<(int Delay, string Reason)> TemporaryExit() =>
        ReadSmall(BoincExit.TemporaryExitFileName).Bind(t => ExitTexts.ClientReason(t).Map(r => (ExitTexts.ClientDelay(t), r)));

    public void Dispose() => _shm.Dispose();

    private Option<string> ReadSmall(string name)
    {
        var path = Path.Combine(SlotDir, name);
        return File.Exists(path) ? Option<string>.Some(File.ReadAllText(path)) : Option<string>.None;
    }
}
