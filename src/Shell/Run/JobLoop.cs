using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Protocol;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>What reaches the loop from outside: a command, BOINC's control channel to read, the 1-second tick.</summary>
public abstract record LoopInput
{
    private LoopInput() { }

    public sealed record Cmd(Command Command) : LoopInput;

    /// <summary>A control message is waiting in the client's channel.</summary>
    public sealed record Poll : LoopInput;

    /// <summary>Once a second: the client's liveness, the CPU counter, a status message.</summary>
    public sealed record Tick : LoopInput;
}

/// <summary>
/// The small loop that ties the decider and the interpreter: it asks <see cref="JobLifecycle"/> for effects,
/// has the <see cref="Interpreter"/> run them, and feeds their outcomes back as commands before anything from
/// outside (BOINC, signals, the watcher, the timers), until an effect ends the run. One thread of control: the
/// feeds only <see cref="Post"/>.
/// </summary>
public sealed class JobLoop : IDisposable
{
    private readonly RunContext context;
    private readonly RunPorts ports;
    private readonly WrapperLog log;
    private readonly Channel<LoopInput> inbox = Channel.CreateUnbounded<LoopInput>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<Command> pending = new();
    private readonly Interpreter interpreter;
    private readonly IEffectRunner runner;
    private readonly Seq<Effect> beginning;
    private readonly CancellationToken stopping;
    private bool clientLostSeen;
    private readonly object settleGate = new();
    private long posted;
    private long consumed;
    private bool waiting;
    private bool ended;
    private long settledAt;
    private TaskCompletionSource? settled;

    /// <summary>How long the end-of-container CPU read may take after the engine reported the exit.</summary>
    private static readonly TimeSpan ExitCpuPatience = TimeSpan.FromSeconds(5);

    /// <param name="around">Optional decorator of the interpreter (a simulation's crash injection); the interpreter itself by default.</param>
    public JobLoop(RunContext context, RunPorts ports, WrapperLog log, TimeProvider time, CancellationToken stopping,
        Func<IEffectRunner, IEffectRunner>? around = null)
    {
        this.context = context;
        this.ports = ports;
        this.log = log;
        this.stopping = stopping;
        interpreter = new Interpreter(context, ports, log, time, c => Post(new LoopInput.Cmd(c)), stopping);
        runner = around is null ? interpreter : around(interpreter);
        var begin = JobLifecycle.Begin(context.Facts);
        State = begin.State;
        beginning = begin.Effects;
    }

    /// <summary>The decider's state (for tests and the simulation: what the wrapper believes now).</summary>
    public LifecycleState State { get; private set; }

    /// <summary>Thread-safe: how feeds, timers and the container follower reach the loop.</summary>
    public void Post(LoopInput input)
    {
        lock (settleGate)
            posted++;
        inbox.Writer.TryWrite(input);
    }

    /// <summary>The run has ended (its last effect ran, or it failed).</summary>
    public bool Ended
    {
        get
        {
            lock (settleGate)
                return ended;
        }
    }

    /// <summary>How many inputs were posted so far (a simulation waits for a post it knows is coming).</summary>
    public long Posted
    {
        get
        {
            lock (settleGate)
                return posted;
        }
    }

    /// <summary>
    /// Completes once the loop has taken every input posted so far (at least <paramref name="atLeast"/> of them),
    /// acted on it and is waiting for the next one, or once the run has ended. A deterministic simulation's idle
    /// detection: nothing is left to do until the world moves (or simulated time advances).
    /// </summary>
    public Task Settled(long atLeast = 0)
    {
        lock (settleGate)
        {
            if (ended || (waiting && consumed == posted && posted >= atLeast))
                return Task.CompletedTask;
            settledAt = atLeast;
            settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return settled.Task;
        }
    }

    public void Post(Command command) => Post(new LoopInput.Cmd(command));

    /// <summary>Runs the task from its (re)start to its last effect; the process exit status.</summary>
    public async Task<int> Run(CancellationToken ct)
    {
        try
        {
            return await RunInputs(ct);
        }
        finally
        {
            lock (settleGate)
            {
                ended = true;
                settled?.TrySetResult();
            }
        }
    }

    private async Task<int> RunInputs(CancellationToken ct)
    {
        var exit = await RunEffects(beginning);
        while (exit.IsNone)
        {
            var input = pending.Count > 0 ? new LoopInput.Cmd(pending.Dequeue()) : await Next(ct);
            exit = input switch
            {
                LoopInput.Cmd c => await Decide(c.Command),
                LoopInput.Poll => Poll(),
                LoopInput.Tick => await Tick(ct),
                _ => Option<int>.None,
            };
        }

        return exit.IfNone(0);
    }

    public void Dispose() => interpreter.Dispose();

    /// <summary>The next input from outside; the loop has nothing else to do while it waits.</summary>
    private async ValueTask<LoopInput> Next(CancellationToken ct)
    {
        if (!inbox.Reader.TryRead(out var input))
        {
            lock (settleGate)
            {
                waiting = true;
                if (consumed == posted && posted >= settledAt)
                    settled?.TrySetResult();
            }

            input = await inbox.Reader.ReadAsync(ct);
        }

        lock (settleGate)
        {
            waiting = false;
            consumed++;
        }

        return input;
    }

    private async Task<Option<int>> Decide(Command command)
    {
        if (command is Command.Quit or Command.Abort or Command.Suspend or Command.Resume or Command.ClientLost)
            log.Info($"BOINC: {command.GetType().Name.ToLowerInvariant()}");
        // The CPU after the last 1-second sample counts too: the counter as it stood when the container ended,
        // read before the engine deleted its cgroup, reaches the decider before the end itself (a commit or the
        // final status after the exit then carries it).
        if (command is Command.ContainerEnded)
            foreach (var nanos in await ports.Cpu.AtExit(ExitCpuPatience, stopping))
            {
                var sampled = JobLifecycle.Decide(State, new Command.CpuSampled(nanos));
                State = sampled.State;
                var exit = await RunEffects(sampled.Effects);
                if (exit.IsSome)
                    return exit;
            }

        var decision = JobLifecycle.Decide(State, command);
        State = decision.State;
        return await RunEffects(decision.Effects);
    }

    /// <summary>Runs effects in order; their feedback is queued for the decider. A failure drops the rest of the batch.</summary>
    private async Task<Option<int>> RunEffects(Seq<Effect> effects)
    {
        foreach (var effect in effects)
        {
            var outcome = await runner.Execute(effect);
            if (outcome.Exit.IsSome)
                return outcome.Exit;
            foreach (var c in outcome.Feedback)
                pending.Enqueue(c);
            if (outcome.Failed)
                break;
        }

        return Option<int>.None;
    }

    private Option<int> Poll()
    {
        foreach (var c in ports.Client)
        {
            foreach (var message in c.Poll())
            {
                Command? command = message switch
                {
                    ControlMessage.Suspend => new Command.Suspend(),
                    ControlMessage.Resume => new Command.Resume(),
                    ControlMessage.Quit => new Command.Quit(),
                    ControlMessage.Abort => new Command.Abort(),
                    _ => null,
                };
                if (command is not null)
                    pending.Enqueue(command);
            }
        }

        return Option<int>.None;
    }

    private async Task<Option<int>> Tick(CancellationToken ct)
    {
        if (!clientLostSeen && ports.Client.Exists(c => c.ClientLost))
        {
            clientLostSeen = true;
            log.Warn("the BOINC client is gone (no heartbeat for 30 s, or its process ended)");
            pending.Enqueue(new Command.ClientLost());
            return Option<int>.None;
        }

        // CPU from the container's cgroup counter (no engine call); status otherwise.
        if (State.Phase is Phase.Running or Phase.Quitting)
        {
            var cpu = await ports.Cpu.Sample(context.Name, ct);
            if (cpu.Case is long nanos)
            {
                pending.Enqueue(new Command.CpuSampled(nanos));
                return Option<int>.None;
            }

            log.Debug($"no CPU sample: {cpu.LeftToSeq().Head()}");
        }

        runner.SendStatus();
        return Option<int>.None;
    }
}
