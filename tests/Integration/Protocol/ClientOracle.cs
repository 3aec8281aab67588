using System;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace Boinc.Persist.Integration.Protocol;

/// <summary>
/// The BOINC client's own parsing code as an oracle: <c>lib/parse.h</c> (parse_double, parse_int) as Debian 12
/// ships it for 7.20.5 in <c>libboinc-app-dev</c> (/usr/include/boinc, installed by scripts/boinc-up.sh), or
/// else from a BOINC source mirror at the tag client_release/7.20/7.20.5, compiled with g++
/// into a tiny program around the lines of <c>ACTIVE_TASK::get_app_status_msg</c> that read a status, and
/// C's own printf for <c>%e</c>. Needs g++ and the headers (or the mirror: BOINC_SOURCE_MIRROR, default
/// /work/.mirror/BOINC+boinc/repo); without them the test fails and says so.
/// </summary>
public sealed class ClientOracle : IDisposable
{
    public const string Tag = "client_release/7.20/7.20.5";
    private const string DefaultMirror = "/work/.mirror/BOINC+boinc/repo";
    private const string DebianHeaders = "/usr/include/boinc";

    private static readonly string[] Headers = { "parse.h", "miofile.h", "mfile.h", "error_numbers.h", "str_util.h" };

    private const string Harness = """
        #include <cmath>
        #include <cstdio>
        #include <cstring>
        #include <string>
        #include <iostream>
        #include <sstream>
        #include "parse.h"
        bool boinc_is_finite(double x) { return std::isfinite(x); }
        int main(int argc, char** argv) {
            std::stringstream ss; ss << std::cin.rdbuf(); std::string all = ss.str();
            size_t start = 0;
            while (start < all.size()) {
                size_t end = all.find('\x01', start);
                if (end == std::string::npos) end = all.size();
                std::string msg = all.substr(start, end - start);
                start = end + 1;
                if (std::string(argv[1]) == "e") { printf("%e\n", strtod(msg.c_str(), 0)); continue; }
                const char* msg_buf = msg.c_str();
                // ACTIVE_TASK::get_app_status_msg (client/app_control.cpp), the reading part:
                double fd = 0, current_cpu_time = 0, checkpoint_cpu_time = 0, wss = 0;
                int other_pid = 0, want_network = 0;
                bool has_fd = false;
                current_cpu_time = checkpoint_cpu_time = 0.0;
                if (parse_double(msg_buf, "<fraction_done>", fd)) { if (fd) has_fd = true; }
                if (parse_double(msg_buf, "<current_cpu_time>", current_cpu_time)) { if (current_cpu_time < 0) current_cpu_time = 0; }
                if (parse_double(msg_buf, "<checkpoint_cpu_time>", checkpoint_cpu_time)) { if (checkpoint_cpu_time < 0) checkpoint_cpu_time = 0; }
                bool has_wss = parse_double(msg_buf, "<wss>", wss);
                bool has_pid = parse_int(msg_buf, "<other_pid>", other_pid);
                bool has_net = parse_int(msg_buf, "<want_network>", want_network);
                printf("%.17g %.17g %d %.17g %d %.17g %d %d %d %d\n", current_cpu_time, checkpoint_cpu_time,
                    has_fd, has_fd ? fd : 0.0, has_wss, has_wss ? wss : 0.0, has_pid, has_pid ? other_pid : 0, has_net, has_net ? want_network : 0);
            }
            return 0;
        }
        """;

    private readonly string _dir;
    private readonly string _exe;

    public ClientOracle()
    {
        _dir = Path.Combine(Path.GetTempPath(), "boinc-persist-oracle-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_dir);
        var mirror = Environment.GetEnvironmentVariable("BOINC_SOURCE_MIRROR") is { Length: > 0 } m ? m : DefaultMirror;
        foreach (var h in Headers)
        {
            var packaged = Path.Combine(DebianHeaders, h);
            if (File.Exists(packaged))
                File.Copy(packaged, Path.Combine(_dir, h));
            else if (Directory.Exists(mirror))
                File.WriteAllText(Path.Combine(_dir, h), Run("git", $"-C {mirror} show {Tag}:lib/{h}", "").Output);
            else
                throw new InvalidOperationException(
                    $"BOINC's {h} is in neither {DebianHeaders} (apt-get install libboinc-app-dev; scripts/boinc-up.sh does) nor a source mirror at {mirror} (BOINC_SOURCE_MIRROR)");
        }

        File.WriteAllText(Path.Combine(_dir, "harness.cpp"), Harness);
        _exe = Path.Combine(_dir, "harness");
        var build = Run("g++", $"-O1 -I{_dir} -o {_exe} {Path.Combine(_dir, "harness.cpp")}", "");
        if (build.Code != 0)
            throw new InvalidOperationException($"g++ failed to build the oracle: {build.Error}");
    }

    /// <summary>One output line per input text, as the client's code reads it.</summary>
    public string[] ReadStatuses(string[] texts) => Lines(Run(_exe, "status", string.Join('\x01', texts)).Output);

    /// <summary>C's <c>printf("%e")</c> of each value (given as round-trip text).</summary>
    public string[] PrintfE(string[] values) => Lines(Run(_exe, "e", string.Join('\x01', values)).Output);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] Lines(string s) => s.TrimEnd('\n').Split('\n');

    private static (int Code, string Output, string Error) Run(string file, string args, string stdin)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {args} did not finish in 120 s");
        }

        if (p.ExitCode != 0 && file != "g++")
            throw new InvalidOperationException($"{file} {args} failed ({p.ExitCode}): {err.Result}");
        return (p.ExitCode, output.Result, err.Result);
    }
}
