using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Host;
using Xunit;

namespace Boinc.Persist.Properties.Host;

/// <summary>
/// The wrapper's loop thread and its relay thread (Shell/Host/LoopPump.cs, issue 17 item 1): what the loop awaits resumes on the thread
/// that pumps, what other threads post runs there in order, the periodic look runs there until stopped, and
/// nothing posted is lost once the pump has ended. No test here bounds a duration: each waits for the event it
/// needs (with a generous limit only so that a broken pump fails instead of hanging the run).
/// </summary>
public class LoopPumpTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public void Awaits_resume_on_the_pumping_thread_and_the_result_comes_back()
    {
        var pumping = Environment.CurrentManagedThreadId;
        var seen = new ConcurrentQueue<int>();

        var result = RunOnFreshThread(() => LoopPump.Run(async () =>
        {
            var me = Environment.CurrentManagedThreadId;
            seen.Enqueue(me);
            await Task.Yield();
            seen.Enqueue(Environment.CurrentManagedThreadId);
            await Task.Run(() => Thread.Sleep(1)); // completes on the pool
            seen.Enqueue(Environment.CurrentManagedThreadId);
            await Task.Delay(1); // completes on the timer
            seen.Enqueue(Environment.CurrentManagedThreadId);
            return me * 10;
        }), out var thread);

        Assert.Equal(4, seen.Count);
        Assert.All(seen, id => Assert.Equal(thread, id));
        Assert.NotEqual(pumping, thread);
        Assert.Equal(thread * 10, result);
    }

    [Fact]
    public void What_other_threads_post_runs_on_the_pump_in_the_order_posted()
    {
        var order = new ConcurrentQueue<(int Value, int Thread)>();

        var ran = RunOnFreshThread(() => LoopPump.Run(async () =>
        {
            var context = SynchronizationContext.Current!;
            var all = new TaskCompletionSource();
            await Task.Run(() =>
            {
                for (var i = 0; i < 100; i++)
                {
                    var value = i;
                    context.Post(_ =>
                    {
                        order.Enqueue((value, Environment.CurrentManagedThreadId));
                        if (value == 99)
                            all.SetResult();
                    }, null);
                }
            });
            await all.Task.WaitAsync(Patience);
            return 0;
        }), out var thread);

        Assert.Equal(0, ran);
        Assert.Equal(Enumerable.Range(0, 100), order.Select(o => o.Value));
        Assert.All(order, o => Assert.Equal(thread, o.Thread));
    }

    [Fact]
    public void The_periodic_callback_runs_on_the_pump_until_stopped()
    {
        var calls = new ConcurrentQueue<int>();
        var callsAfterStop = -1;

        RunOnFreshThread(() => LoopPump.Run(async () =>
        {
            var pump = LoopPump.OfThisThread!;
            var third = new TaskCompletionSource();
            pump.StartPeriodic(TimeSpan.FromMilliseconds(1), () =>
            {
                calls.Enqueue(Environment.CurrentManagedThreadId);
                if (calls.Count == 3)
                    third.TrySetResult();
                return TimeSpan.FromMilliseconds(1);
            });
            await third.Task.WaitAsync(Patience);
            pump.StopPeriodic();
            callsAfterStop = calls.Count;
            // Other work still runs on the pump after the stop; the callback does not.
            for (var i = 0; i < 20; i++)
                await Task.Delay(2);
            return 0;
        }), out var thread);

        Assert.True(calls.Count >= 3);
        Assert.Equal(callsAfterStop, calls.Count);
        Assert.All(calls, id => Assert.Equal(thread, id));
    }

    [Fact]
    public void A_periodic_callback_that_returns_a_negative_time_is_not_called_again()
    {
        var calls = 0;
        RunOnFreshThread(() => LoopPump.Run(async () =>
        {
            var pump = LoopPump.OfThisThread!;
            var called = new TaskCompletionSource();
            pump.StartPeriodic(TimeSpan.Zero, () =>
            {
                Interlocked.Increment(ref calls);
                called.TrySetResult();
                return Timeout.InfiniteTimeSpan;
            });
            await called.Task.WaitAsync(Patience);
            // Let the pump wait and wake a number of times: a negative time read as "at once" would call it again.
            for (var i = 0; i < 20; i++)
                await Task.Delay(2);
            return 0;
        }), out _);

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_callback_that_throws_ends_the_pump_with_its_exception_and_later_posts_still_run()
    {
        SynchronizationContext? context = null;
        var e = Record.Exception(() => RunOnFreshThread(() => LoopPump.Run(async () =>
        {
            context = SynchronizationContext.Current;
            LoopPump.OfThisThread!.StartPeriodic(TimeSpan.Zero, () => throw new InvalidOperationException("the look failed"));
            await new TaskCompletionSource().Task; // the body never ends by itself
            return 0;
        }), out _));
        Assert.Equal("the look failed", Assert.IsType<InvalidOperationException>(e).Message);

        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        context!.Post(_ => ran.SetResult(true), null);
        Assert.True(await ran.Task.WaitAsync(Patience)); // the post went into a queue nobody reads, if this times out
    }

    [Fact]
    public void The_periodic_callback_can_only_be_driven_from_the_pumping_thread()
    {
        var e = Record.Exception(() => RunOnFreshThread(() => LoopPump.Run(async () =>
        {
            var pump = LoopPump.OfThisThread!;
            await Task.Run(() => pump.StartPeriodic(TimeSpan.Zero, () => TimeSpan.FromSeconds(1)));
            return 0;
        }), out _));

        Assert.IsType<InvalidOperationException>(e);
    }

    [Fact]
    public async Task A_thread_of_its_own_returns_at_once_and_keeps_the_bodys_awaits()
    {
        var caller = Environment.CurrentManagedThreadId;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new ConcurrentQueue<int>();

        var task = LoopPump.OnThreadOfItsOwn("test relay", async () =>
        {
            seen.Enqueue(Environment.CurrentManagedThreadId);
            await gate.Task; // completed by the test's thread
            seen.Enqueue(Environment.CurrentManagedThreadId);
            await Task.Run(() => { }); // completes on the pool
            seen.Enqueue(Environment.CurrentManagedThreadId);
            return Thread.CurrentThread.Name;
        });
        Assert.False(task.IsCompleted); // the body waits for the gate: the call did not wait for the body
        gate.SetResult();
        var name = await task.WaitAsync(Patience);

        Assert.Equal("test relay", name);
        Assert.Equal(3, seen.Count);
        Assert.Single(seen.Distinct());
        Assert.NotEqual(caller, seen.First());
    }

    [Fact]
    public async Task A_post_after_the_pump_ended_runs_on_the_pool_rather_than_never()
    {
        SynchronizationContext? context = null;
        RunOnFreshThread(() => LoopPump.Run(() =>
        {
            context = SynchronizationContext.Current;
            return Task.FromResult(0);
        }), out _);
        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        context!.Post(_ => ran.SetResult(Thread.CurrentThread.IsThreadPoolThread), null);

        Assert.True(await ran.Task.WaitAsync(Patience)); // the late post never ran, if this times out
    }

    [Fact]
    public void A_failure_of_the_body_reaches_the_caller_and_the_previous_context_comes_back()
    {
        SynchronizationContext? after = new();
        var e = Record.Exception(() => RunOnFreshThread(() =>
        {
            try
            {
                return LoopPump.Run<int>(async () =>
                {
                    await Task.Yield();
                    throw new InvalidOperationException("the body failed");
                });
            }
            finally
            {
                after = SynchronizationContext.Current;
            }
        }, out _));

        Assert.Equal("the body failed", Assert.IsType<InvalidOperationException>(e).Message);
        Assert.Null(after);
    }

    /// <summary>Runs <paramref name="body"/> on a new thread (no context of its own), as the wrapper's main thread runs the pump.</summary>
    private static T RunOnFreshThread<T>(Func<T> body, out int threadId)
    {
        T result = default!;
        Exception? failed = null;
        var id = 0;
        var thread = new Thread(() =>
        {
            id = Environment.CurrentManagedThreadId;
            try
            {
                result = body();
            }
            catch (Exception e)
            {
                failed = e;
            }
        });
        thread.Start();
        Assert.True(thread.Join(Patience), "the pump did not end");
        threadId = id;
        if (failed is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failed).Throw();
        return result;
    }
}
