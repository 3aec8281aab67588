using LanguageExt;

namespace Boinc.Persist.Core.Verification.Conform;

/// <summary>
/// How one start of the wrapper ended, seen from the outside as the client sees it. <see cref="ExitCode"/> None:
/// it did not exit within the scenario's bound (it was killed). Files are None when absent.
/// </summary>
public sealed record StartFacts(Option<int> ExitCode, Option<int> FinishStatus, Option<string> TemporaryExit, string StderrTail)
{
    public string Describe() =>
        $"exit {ExitCode.Match(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture), () => "none (hung, killed)")}, " +
        $"boinc_finish_called {FinishStatus.Match(f => f.ToString(System.Globalization.CultureInfo.InvariantCulture), () => "absent")}" +
        TemporaryExit.Match(t => $", boinc_temporary_exit '{t}'", () => "");

    public string WithTail() => $"{Describe()}; stderr.txt: {Tail}";

    public string Tail => SuiteVerdict.OneLine(StderrTail.Length > 300 ? StderrTail[^300..] : StderrTail, 300);
}

/// <summary>What the workload itself recorded in WORKDIR: the step each start resumed from, its answer.</summary>
public sealed record WorkFacts(Seq<int> ResumePoints, Option<string> Answer, string ExpectedAnswer, Seq<string> Complaints)
{
    public bool AnswerRight => Answer.Exists(a => a == ExpectedAnswer);

    public string Describe() =>
        $"resumed from [{string.Join(",", ResumePoints)}], answer {Answer.IfNone("(none)")} (expected {ExpectedAnswer})" +
        (Complaints.IsEmpty ? "" : $", workload said: {string.Join("; ", Complaints)}");
}

/// <summary>One status message the client read, with the workload's checkpointed step on disk at that moment.</summary>
public sealed record StatusSample(double Seconds, double CurrentCpu, double CheckpointCpu, Option<double> FractionDone, int DiskStep);

/// <summary>What the suspend scenario measured.</summary>
public sealed record SuspendFacts(
    Option<double> SecondsToStop,
    double CpuAtStop,
    double CpuBeforeResume,
    int StepsWhileSuspended,
    StartFacts Final,
    WorkFacts Work);

/// <summary>What the layout probe job wrote to probe.txt (key=value lines).</summary>
public sealed record ProbeFacts(Map<string, string> Values, StartFacts Run)
{
    public Option<string> Get(string key) => Values.Find(key);
}

/// <summary>A container a fault acted on: its state before, and why acting on it failed (None: it was done).</summary>
public sealed record FaultTarget(string Name, string StateBefore, Option<string> Failure);
