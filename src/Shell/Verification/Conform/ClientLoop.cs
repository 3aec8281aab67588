using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;
using Boinc.Persist.Core.Verification.Conform;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Verification.Fakes;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Conform;

/// <summary>
/// The client's side of one running task, on a thread of its own: every second it offers the next control
/// request, sends a heartbeat (unless <see cref="Heartbeats"/> is off) and reads a status, which it records
/// with the workload's checkpointed step on disk at that moment.
/// </summary>
public sealed class ClientLoop : IDisposable
{
    private readonly FakeClient client;
    private readonly Func<int> diskStep;
    private readonly ConcurrentQueue<ControlMessage> requests = new();
    private readonly Stopwatch clock;
    private readonly Thread thread;
    private readonly object gate = new();
    private volatile bool stop;
    private Seq<StatusSample> samples = Seq<StatusSample>.Empty;

    private ClientLoop(FakeClient client, Func<int> diskStep, Stopwatch clock)
    {
        this.client = client;
        this.diskStep = diskStep;
        this.clock = clock;
        thread = new Thread(Loop) { IsBackground = true, Name = "conform-client" };
    }

    /// <summary>Whether heartbeats are sent (off: the lost-client scenario).</summary>
    public volatile bool Heartbeats = true;

    /// <summary>When the last heartbeat was written, on the scenario's clock.</summary>
    public double LastHeartbeatSeconds { get; private set; }

    public static Fin<ClientLoop> Start(string slotDir, double wuCpuTime, Func<int> diskStep, Stopwatch clock) =>
        FakeClient.Attach(slotDir, wuCpuTime).Map(c =>
        {
            var loop = new ClientLoop(c, diskStep, clock);
            loop.thread.Start();
            return loop;
        });

    public void Request(ControlMessage message) => requests.Enqueue(message);

    public Seq<StatusSample> Samples
    {
        get
        {
            lock (gate)
                return samples;
        }
    }

    /// <summary>The current CPU time of the newest status (0 before any).</summary>
    public double LatestCpu => Samples.LastOrNone().Map(s => s.CurrentCpu).IfNone(0);

    public ClientRecord Record
    {
        get
        {
            lock (gate)
                return client.Record;
        }
    }

    /// <summary>When the newest control request was put on the channel, on the scenario's clock (None before any).</summary>
    public Option<double> LastRequestSeconds { get; private set; }

    // Requests are offered every 100 ms (a queued one goes out as soon as the channel is empty); heartbeat and
    // status once a second, as the client does.
    private void Loop()
    {
        for (var tick = 0L; !stop; tick++)
        {
            lock (gate)
            {
                while (requests.TryDequeue(out var m))
                    client.Request(m);
                if (client.OfferNextRequest())
                    LastRequestSeconds = clock.Elapsed.TotalSeconds;
                if (tick % 10 == 0)
                {
                    if (Heartbeats && client.SendHeartbeat(new Heartbeat(Option<double>.Some(1e8), Option<double>.Some(5e8), false)))
                        LastHeartbeatSeconds = clock.Elapsed.TotalSeconds;
                    client.ReadStatus().Iter(r =>
                        samples = samples.Add(new StatusSample(clock.Elapsed.TotalSeconds, r.CurrentCpuTime, r.CheckpointCpuTime, r.FractionDone, diskStep())));
                }
            }

            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        if (stop)
            return;
        stop = true;
        if (thread.IsAlive)
            thread.Join(5000);
        client.Dispose();
    }
}
