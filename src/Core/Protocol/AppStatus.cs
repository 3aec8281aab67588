using System;
using System.Text;
using LanguageExt;

namespace Boinc.Persist.Core.Protocol;

/// <summary>
/// One status message for the <c>app_status</c> channel. Invariants (enforced by <see cref="Of"/>): both CPU
/// times are finite and &gt;= 0 and <see cref="CheckpointCpuTime"/> &lt;= <see cref="CurrentCpuTime"/>;
/// <see cref="FractionDone"/> is in [0, 1] (0 means "no news": the client ignores it); optional values are
/// finite and non-negative. NaN, infinities and negatives never reach the client.
/// </summary>
public sealed record AppStatus
{
    /// <summary>Channel capacity: 1024 bytes minus the flag byte, and the text needs its NUL.</summary>
    public const int MaxTextLength = 1022;

    private AppStatus(double current, double checkpoint, double fraction, Option<double> wss, Option<int> otherPid, Option<bool> wantNetwork, Option<double> maxWss)
    {
        MaxWorkingSetBytes = maxWss;
        CurrentCpuTime = current;
        CheckpointCpuTime = checkpoint;
        FractionDone = fraction;
        WorkingSetBytes = wss;
        OtherPid = otherPid;
        WantNetwork = wantNetwork;
    }

    public double CurrentCpuTime { get; }
    public double CheckpointCpuTime { get; }

    /// <summary>
    /// Whether this status reports the same CPU time and checkpoint CPU time as <paramref name="final"/>: the
    /// figures the client credits. The finish need not wait for the client to read <paramref name="final"/>
    /// while an unread status that credits the same is still in the channel (the fraction done and working set
    /// it would add are not credited).
    /// </summary>
    public bool CreditsAs(AppStatus final) =>
        CurrentCpuTime == final.CurrentCpuTime && CheckpointCpuTime == final.CheckpointCpuTime;

    public double FractionDone { get; }
    public Option<double> WorkingSetBytes { get; }

    /// <summary>The largest working set the job has had so far (bytes); never below <see cref="WorkingSetBytes"/>.</summary>
    public Option<double> MaxWorkingSetBytes { get; }
    public Option<int> OtherPid { get; }
    public Option<bool> WantNetwork { get; }

    /// <summary>A sporadic app's state (<c>&lt;sporadic_ac&gt;</c>); sent only when not <see cref="SporadicAc.None"/>, as the API does.</summary>
    public SporadicAc SporadicAc { get; private init; }

    /// <summary>This status with a sporadic app's state (a value outside the enum becomes <see cref="SporadicAc.None"/>).</summary>
    public AppStatus WithSporadic(SporadicAc ac) =>
        new(CurrentCpuTime, CheckpointCpuTime, FractionDone, WorkingSetBytes, OtherPid, WantNetwork, MaxWorkingSetBytes)
        {
            SporadicAc = ac is SporadicAc.DontWantCompute or SporadicAc.WantCompute ? ac : SporadicAc.None,
        };

    /// <summary>
    /// A status with every value made safe to send: non-finite or negative CPU times become 0, the checkpoint
    /// time is capped at the current one, the fraction is clamped to [0, 1] (NaN becomes 0 = no news),
    /// a non-finite or negative working set is left out, a pid &lt;= 0 is left out. The peak working set is
    /// raised to the working set when it is below it, and left out when not finite or negative.
    /// </summary>
    public static AppStatus Of(
        double currentCpuTime,
        double checkpointCpuTime,
        double fractionDone,
        Option<double> workingSetBytes = default,
        Option<int> otherPid = default,
        Option<bool> wantNetwork = default,
        Option<double> maxWorkingSetBytes = default)
    {
        var current = Sane(currentCpuTime);
        var checkpoint = Math.Min(Sane(checkpointCpuTime), current);
        var wss = workingSetBytes.Filter(Bytes).Map(WholeBytes);
        var peak = maxWorkingSetBytes.Filter(Bytes).Map(WholeBytes).Map(m => Math.Max(m, wss.IfNone(0)));
        return new AppStatus(
            current,
            checkpoint,
            Tiny(FractionDoneText.Clamp(fractionDone)),
            wss,
            otherPid.Filter(p => p > 0),
            wantNetwork,
            peak);
    }

    private static bool Bytes(double b) => double.IsFinite(b) && b >= 0;

    /// <summary>Whole bytes (what a cgroup counts), at most 1e18: <c>%e</c> of it always parses back.</summary>
    private static double WholeBytes(double b) => Math.Min(Math.Floor(b), 1e18);

    /// <summary>
    /// The text exactly as the BOINC API writes it (<c>boinc_api.cpp</c> <c>update_app_progress</c>): both CPU
    /// times always (the client zeroes them before parsing each message), <c>%e</c> numbers in the C locale.
    /// Always shorter than <see cref="MaxTextLength"/>.
    /// </summary>
    public string Format()
    {
        var b = new StringBuilder(256);
        b.Append("<current_cpu_time>").Append(ClientText.FormatE(CurrentCpuTime)).Append("</current_cpu_time>\n");
        b.Append("<checkpoint_cpu_time>").Append(ClientText.FormatE(CheckpointCpuTime)).Append("</checkpoint_cpu_time>\n");
        b.Append("<fraction_done>").Append(ClientText.FormatE(FractionDone)).Append("</fraction_done>\n");
        WorkingSetBytes.Iter(w => b.Append("<wss>").Append(ClientText.FormatE(w)).Append("</wss>\n"));
        MaxWorkingSetBytes.Iter(w => b.Append("<max_wss>").Append(ClientText.FormatE(w)).Append("</max_wss>\n"));
        OtherPid.Iter(p => b.Append("<other_pid>").Append(p).Append("</other_pid>\n"));
        WantNetwork.Iter(n => b.Append("<want_network>").Append(n ? 1 : 0).Append("</want_network>\n"));
        if (SporadicAc != SporadicAc.None)
            b.Append("<sporadic_ac>").Append((int)SporadicAc).Append("</sporadic_ac>\n");
        return b.ToString();
    }

    private static double Tiny(double v) => v < 1e-300 ? 0 : v;

    /// <summary>Finite, non-negative, at most 1e15 s; below 1e-300 it is 0 (the client's strtod would reject a
    /// subnormal with ERANGE and drop the value).</summary>
    private static double Sane(double v) => double.IsFinite(v) && v > 1e-300 ? Math.Min(v, 1e15) : 0;
}

/// <summary>
/// What the client records from one app_status message, read the way <c>ACTIVE_TASK::get_app_status_msg</c>
/// reads it: CPU times reset to 0 first, negative ones become 0, a fraction of 0 is ignored (None; any
/// other value is taken, the client only logs one outside [0, 1]), tags found by substring and numbers by strtod. The fake client uses it.
/// </summary>
public sealed record ClientStatusReading(
    double CurrentCpuTime,
    double CheckpointCpuTime,
    Option<double> FractionDone,
    Option<double> WorkingSetBytes,
    Option<long> OtherPid,
    Option<long> WantNetwork,
    Option<double> MaxWorkingSetBytes = default,
    Option<long> SporadicAc = default)
{
    public static ClientStatusReading Parse(string text)
    {
        var fraction = ClientText.Double(text, "<fraction_done>").Filter(f => f != 0);
        var current = ClientText.Double(text, "<current_cpu_time>").Map(v => v < 0 ? 0 : v).IfNone(0);
        var checkpoint = ClientText.Double(text, "<checkpoint_cpu_time>").Map(v => v < 0 ? 0 : v).IfNone(0);
        return new ClientStatusReading(
            current,
            checkpoint,
            fraction,
            ClientText.Double(text, "<wss>"),
            ClientText.Integer(text, "<other_pid>"),
            ClientText.Integer(text, "<want_network>"),
            ClientText.Double(text, "<max_wss>"),
            ClientText.Integer(text, "<sporadic_ac>"));
    }
}
