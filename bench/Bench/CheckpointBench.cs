using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Boinc.Persist.Bench;

/// <summary>
/// Item 5: the checkpoint store's whole commit (store format 2: the pack written and hashed, its trailer, its fsync
/// and the store's; retention runs aside afterwards) against a raw write+fsync of the same bytes on the same file
/// system, measured by the binary that ships (<c>boinc-persist __checkpoint-bench --samples</c>, the Native AOT
/// build: the same loop as bench/checkpoint.sh, in compiled code rather than in this JIT driver). Beside both, the
/// floor of store format 1 (the previous store's file operations alone) and the least durable copy (one new file,
/// its fsync and its directory's; without a checksum, with XXH3-128, with SHA-256): see
/// Boinc.Persist.Shell.Verification.CommitFloor.
/// </summary>
public static class CheckpointBench
{
    /// <summary>Every sample the binary printed, by (kind, size, what): seconds for throughput, milliseconds for latency.</summary>
    public sealed record Samples(IReadOnlyDictionary<(string Kind, string Size, string What), List<double>> Values)
    {
        public Sample Get(string kind, string size, string what) =>
            Values.TryGetValue((kind, size, what), out var v) && v.Count > 0 ? Sample.Of(v)
                : throw new InvalidOperationException($"__checkpoint-bench printed no {kind} sample of {what} at {size}");

        /// <summary>MB/s of each throughput sample of <paramref name="what"/> at <paramref name="mb"/> MB.</summary>
        public Sample Rate(long mb, string what) => Sample.Of(Get("throughput", mb.ToString(CultureInfo.InvariantCulture), what).Values.Select(s => mb / s));
    }

    /// <summary>
    /// Runs <paramref name="bin"/>'s checkpoint benchmark in <paramref name="dir"/>: <paramref name="sizes"/> as
    /// (MB, repetitions) and <paramref name="latencyN"/> 1 KB commits; every sample, parsed.
    /// </summary>
    public static Samples Run(string bin, string dir, IEnumerable<(long Mb, int Repeat)> sizes, int latencyN, TimeSpan timeout)
    {
        Directory.CreateDirectory(dir);
        var info = new ProcessStartInfo(bin) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "__checkpoint-bench", "--samples", "--latency", latencyN.ToString(CultureInfo.InvariantCulture), dir }
                     .Concat(sizes.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Mb}:{s.Repeat}"))))
            info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"{bin} did not start");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"{bin} __checkpoint-bench did not finish within {timeout.TotalMinutes:0} min; stderr:\n{stderr.Result}");
        }

        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{bin} __checkpoint-bench exited with {p.ExitCode}; stderr:\n{stderr.Result}");
        var values = new Dictionary<(string, string, string), List<double>>();
        var lineNo = 0;
        foreach (var line in stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            lineNo++;
            var f = line.Split('\t');
            if (f.Length != 4 || !double.TryParse(f[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v > 0))
                throw new FormatException($"{bin} __checkpoint-bench --samples, line {lineNo}: \"{line}\" is not KIND<TAB>SIZE<TAB>WHAT<TAB>VALUE with a positive value");
            var key = (f[0], f[1], f[2]);
            if (!values.TryGetValue(key, out var list)) values[key] = list = new List<double>();
            list.Add(v);
        }

        return new Samples(values);
    }
}
