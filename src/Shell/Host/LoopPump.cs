using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace Boinc.Persist.Shell.Host;

/// <summary>
/// The thread a running wrapper's loop lives on: a single-threaded <see cref="SynchronizationContext"/> pumped by the
/// thread that calls <see cref="Run{T}"/> (the process's main thread), with one periodic callback of its own (BOINC's
/// control channel and the 1-second tick, Run/Feeds.cs); and the thread of the container's output relay
/// (<see cref="OnThreadOfItsOwn{T}"/>, Engine/DockerEngine.Logs.cs).
/// <para>
/// Why (issue 17, item 1: under 0.1 % of a core while a job runs): with the loop on the thread pool, every input
/// woke a sleeping thread to post it (the tick thread), then a pool worker to run it, which woke a second worker to
/// look for more work, and kept the pool's gate thread waking twice a second. Each wake-up of a sleeping thread
/// costs tens of microseconds of CPU here, and wake-ups were nearly all of a running wrapper's CPU. Here the loop's
/// awaits resume on this one thread, and the periodic look at the control channel is this thread's own timed wait:
/// a second of a quiet job is two wake-ups of one thread.
/// </para>
/// <para>
/// Engine and file I/O that awaits with <c>ConfigureAwait(false)</c> still completes on the pool and comes back here
/// for the loop's next step. What is posted after <see cref="Run{T}"/> has returned goes to the thread pool, so
/// no continuation is ever dropped.
/// </para>
/// </summary>
public sealed class LoopPump : SynchronizationContext
{
    private readonly object gate = new();
    private readonly Queue<(SendOrPostCallback Callback, object? State)> queue = new();
    private readonly int thread = Environment.CurrentManagedThreadId;
    private Func<TimeSpan>? periodic;
    private long periodicDue = long.MaxValue;
    private bool done;
    private bool pumping;

    private LoopPump() { }

    /// <summary>The pump of the calling thread, if it is one's.</summary>
    public static LoopPump? OfThisThread => SynchronizationContext.Current as LoopPump;

    /// <summary>Runs <paramref name="body"/> with this thread as its loop until the task it returns completes.</summary>
    public static T Run<T>(Func<Task<T>> body)
    {
        var previous = SynchronizationContext.Current;
        var pump = new LoopPump();
        SetSynchronizationContext(pump);
        try
        {
            Task<T> task;
            try
            {
                task = body();
            }
            catch
            {
                pump.Finish();
                throw;
            }

            task.ContinueWith(static (_, p) => ((LoopPump)p!).Finish(), pump, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            try
            {
                pump.Pump();
            }
            finally
            {
                // A callback that threw ends the pump (and Run, with its exception): what is posted after that goes
                // to the pool, where the body's remaining continuations still run, instead of into a queue nobody
                // reads.
                pump.Finish();
            }

            return task.GetAwaiter().GetResult();
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a new background thread that pumps its awaits (<see cref="Run{T}"/>) and
    /// returns at once; the task completes with the body's. For work whose I/O blocks its thread on purpose (the
    /// output relay's reads of the engine's log stream): the caller never blocks, and every await of the body
    /// that does not opt out with <c>ConfigureAwait(false)</c> resumes on that thread, not on the pool.
    /// </summary>
    public static Task<T> OnThreadOfItsOwn<T>(string name, Func<Task<T>> body)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(Run(body));
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }) { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// Calls <paramref name="callback"/> on this thread after <paramref name="first"/>, then again after whatever it
    /// returns each time, until <see cref="StopPeriodic"/> or until it returns a negative time (such as
    /// <see cref="Timeout.InfiniteTimeSpan"/>); one periodic callback at a time. On the pump's thread only.
    /// </summary>
    public void StartPeriodic(TimeSpan first, Func<TimeSpan> callback)
    {
        OnPumpThread();
        lock (gate)
        {
            periodic = callback;
            periodicDue = Stopwatch.GetTimestamp() + Ticks(first);
        }
    }

    /// <summary>Ends the periodic callback: once this returns it is not called again. On the pump's thread only.</summary>
    public void StopPeriodic()
    {
        OnPumpThread();
        lock (gate)
        {
            periodic = null;
            periodicDue = long.MaxValue;
        }
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        lock (gate)
        {
            if (!done)
            {
                queue.Enqueue((d, state));
                if (pumping)
                    Monitor.Pulse(gate);
                return;
            }
        }

        // The loop has ended: what still arrives runs on the pool rather than never.
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.d(s.state), (d, state), preferLocal: false);
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (Environment.CurrentManagedThreadId == thread)
        {
            d(state);
            return;
        }

        using var ran = new ManualResetEventSlim();
        Exception? failed = null;
        Post(_ =>
        {
            try
            {
                d(state);
            }
            catch (Exception e)
            {
                failed = e;
            }
            finally
            {
                ran.Set();
            }
        }, null);
        ran.Wait();
        if (failed is not null)
            throw new InvalidOperationException("a callback sent to the wrapper's loop thread failed", failed);
    }

    public override SynchronizationContext CreateCopy() => this;

    private void Finish()
    {
        lock (gate)
        {
            done = true;
            Monitor.Pulse(gate);
        }
    }

    private void Pump()
    {
        while (true)
        {
            (SendOrPostCallback Callback, object? State) next = default;
            Func<TimeSpan>? due = null;
            lock (gate)
            {
                while (true)
                {
                    if (queue.Count > 0)
                    {
                        next = queue.Dequeue();
                        break;
                    }

                    if (done)
                        return;
                    var now = Stopwatch.GetTimestamp();
                    if (periodic is not null && now >= periodicDue)
                    {
                        due = periodic;
                        break;
                    }

                    pumping = true;
                    if (periodic is null)
                        Monitor.Wait(gate);
                    else
                        Monitor.Wait(gate, Wait(periodicDue - now));
                    pumping = false;
                }
            }

            if (due is null)
            {
                next.Callback!(next.State);
                continue;
            }

            var again = due();
            lock (gate)
            {
                // The callback may have stopped itself (or started another); a negative time stops it too (it must not
                // become a wait of zero, which would call it again at once, for ever).
                if (ReferenceEquals(periodic, due))
                {
                    if (again < TimeSpan.Zero)
                    {
                        periodic = null;
                        periodicDue = long.MaxValue;
                    }
                    else
                    {
                        periodicDue = Stopwatch.GetTimestamp() + Ticks(again);
                    }
                }
            }
        }
    }

    private void OnPumpThread()
    {
        if (Environment.CurrentManagedThreadId != thread)
            throw new InvalidOperationException("the wrapper's loop pump is driven from its own thread only");
    }

    private static long Ticks(TimeSpan t) => (long)(Math.Max(0, t.TotalSeconds) * Stopwatch.Frequency);

    /// <summary>Whole milliseconds, rounded up: a wait of less than one would return at once and spin until due.</summary>
    private static int Wait(long ticks) =>
        (int)Math.Clamp(Math.Ceiling(ticks * 1000.0 / Stopwatch.Frequency), 1, int.MaxValue);
}
