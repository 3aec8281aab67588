using System;
using System.IO;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Boinc;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>
/// A sporadic app (<c>--sporadic</c> or job.toml <c>sporadic = true</c>): the client port with docker_wrapper's
/// sporadic bridge on every status it sends (about once a second, the API's rhythm). Each look writes the
/// client's state (<c>&lt;sporadic_ca&gt;</c> of the heartbeats) to <c>ca</c> when it changed, reads <c>ac</c>,
/// and adds the app's state to the status as <c>&lt;sporadic_ac&gt;</c>. Every decision
/// is <see cref="SporadicBridges.Look"/>'s; this class only reads and writes the files.
/// </summary>
public sealed class SporadicClient(IBoincClient inner, Func<Option<SporadicCa>> clientCa, SporadicFiles files, WrapperLog log) : IBoincClient
{
    private readonly object gate = new();
    private SporadicBridge bridge = SporadicBridge.Start;
    private Option<string> lastWriteProblem;

    /// <summary>The bridge's state after the last look (for tests and the log).</summary>
    public SporadicBridge State
    {
        get
        {
            lock (gate)
                return bridge;
        }
    }

    public Seq<ControlMessage> Poll() => inner.Poll();

    public bool ControlPending => inner.ControlPending;

    public bool ClientLost => inner.ClientLost;

    public bool TrySendStatus(AppStatus status)
    {
        SporadicAc app;
        lock (gate)
            app = Look();
        return inner.TrySendStatus(status.WithSporadic(app));
    }

    public void RefreshHeartbeat() => inner.RefreshHeartbeat();

    public bool NetworkSuspended => inner.NetworkSuspended;

    public bool TrySendGraphics(string text) => inner.TrySendGraphics(text);

    private SporadicAc Look()
    {
        var step = SporadicBridges.Look(bridge, new SporadicLook(clientCa(), files.ReadAc()));
        step.Warning.Iter(log.Warn);
        var next = step.Next;
        foreach (var text in step.WriteCa)
        {
            try
            {
                files.WriteCa(text);
                log.Debug($"sporadic: the client's state {text.Trim()} written to {SporadicText.CaFileName}");
                lastWriteProblem = Option<string>.None;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Written stays unset: the next look tries again; the reason is logged once.
                next = next with { Written = bridge.Written };
                if (lastWriteProblem != Option<string>.Some(e.Message))
                    log.Warn($"sporadic: cannot write {SporadicText.CaFileName}: {e.Message}; trying again each second");
                lastWriteProblem = e.Message;
            }
        }

        if (next.App != bridge.App)
            log.Info($"sporadic: the app's state is now {(int)next.App} ({next.App})");
        if (next.Client != bridge.Client)
            log.Info($"sporadic: the client's state is now {(int)next.Client} ({next.Client})");
        bridge = next;
        return bridge.App;
    }
}
