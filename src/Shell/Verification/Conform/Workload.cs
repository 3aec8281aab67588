using System;
using System.IO;
using System.Reflection;

namespace Boinc.Persist.Shell.Verification.Conform;

/// <summary>
/// The suite's workload (<c>samples/conform/</c>, embedded in the binary so the suite runs anywhere): the
/// Dockerfile, job.toml, the program work.sh and the layout probe probe.sh.
/// </summary>
public static class Workload
{
    public static string Dockerfile => Read("Dockerfile");

    public static string JobToml => Read("job.toml");

    public static string WorkScript => Read("work.sh");

    public static string ProbeScript => Read("probe.sh");

    /// <summary>
    /// The workload's Dockerfile on <paramref name="baseImage"/> with <paramref name="cmd"/> (JSON form) as its
    /// command, labelled with the trial's mark so the suite finds the image whichever wrapper built it.
    /// </summary>
    public static string DockerfileFor(string baseImage, string mark, string? cmd = null, string? extra = null)
    {
        var text = Dockerfile.Replace("FROM boinc-persist/busybox:1", "FROM " + baseImage, StringComparison.Ordinal);
        if (cmd is not null)
            text = text.Replace("CMD [\"/bin/sh\", \"/project/work.sh\"]", "CMD " + cmd, StringComparison.Ordinal);
        if (extra is not null)
            text = text.Replace("WORKDIR /app\n", "WORKDIR /app\n" + extra + "\n", StringComparison.Ordinal);
        return text + $"LABEL {EngineWatch.RunLabel}={mark}\n";
    }

    /// <summary>x after <paramref name="iterations"/> steps of the workload's LCG from x = 1.</summary>
    public static long Answer(long iterations)
    {
        long x = 1;
        for (long i = 0; i < iterations; i++)
            x = (x * 1103515245 + 12345) % 2147483648;
        return x;
    }

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("conform/" + name)
            ?? throw new InvalidOperationException($"the workload file {name} is not embedded in the binary (build error)");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
