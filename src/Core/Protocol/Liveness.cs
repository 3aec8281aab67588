using System;
using LanguageExt;

namespace Boinc.Persist.Core.Protocol;

/// <summary>Whether the BOINC client is still there.</summary>
public enum ClientState
{
    Alive,

    /// <summary>No heartbeat for <see cref="Liveness.HeartbeatTimeout"/>, or the client's process is gone.</summary>
    Lost,
}

/// <summary>
/// The liveness rule of the BOINC API (<c>boinc_api.cpp</c>, HEARTBEAT_GIVEUP_SECS = 30): the client is lost
/// when no heartbeat arrived for 30 s (counting from the wrapper's start when none came yet), or when
/// init_data.xml named the client's pid and that process no longer exists. Times are values: the shell
/// reads the clock and <c>kill(pid, 0)</c>.
/// </summary>
public static class Liveness
{
    public static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(30);

    /// <param name="lastHeartbeat">When the last heartbeat arrived, or when the wrapper started if none did.</param>
    /// <param name="now">The current time (same clock).</param>
    /// <param name="clientPidAlive">None when init_data.xml gave no pid; else whether kill(pid, 0) found it.</param>
    public static ClientState Judge(DateTimeOffset lastHeartbeat, DateTimeOffset now, Option<bool> clientPidAlive) =>
        clientPidAlive.IfNone(true) && now - lastHeartbeat <= HeartbeatTimeout ? ClientState.Alive : ClientState.Lost;
}
