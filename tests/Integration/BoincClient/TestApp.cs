using System;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// A BOINC app in POSIX sh that speaks just enough of the shared-memory protocol to prove the harness without
/// the wrapper: it reads control messages from boinc_mmap_file (flag byte + text, cleared after reading),
/// reports CPU time, checkpoint CPU time and fraction done on the app_status channel, checkpoints its progress
/// to a file in the slot, exits when the client is gone, and finishes with boinc_finish_called. It appends
/// one line per event to $BOINC_HARNESS_EVENTS: "UNIXTIME PID KIND DETAIL".
/// <para>Its "CPU time" is work time (0.2 s per tick while not suspended), not the shell's real CPU usage.</para>
/// <para>Arguments: --work SECONDS (default 30), --exit-code N (default 0, after writing boinc_finish_called).</para>
/// </summary>
public static class TestApp
{
    public static MainProgram Program => new("shm_test_app_1.00", new FileContent.Text(Script));

    /// <summary>The job of the harness tests: the app, a copied and a linked input, a sticky output.</summary>
    public static BoincJob Job(string commandLine) => new()
    {
        MainProgram = Program,
        CommandLine = commandLine,
        Inputs =
        [
            new JobFile("in_copy.txt", "input_copy", new FileContent.Text("copied input content\n"), Copy: true),
            new JobFile("in_link.txt", "input_link", new FileContent.Text("linked input content\n")),
        ],
    };

    public const string Script = """
        #!/bin/sh
        # BOINC harness test app (see TestApp.cs). Shared memory: boinc_mmap_file, 8 channels of 1024 bytes;
        # byte 0 of a channel is the "message present" flag, the text follows, NUL-terminated.
        set -u
        events=${BOINC_HARNESS_EVENTS:-/dev/null}
        ev() { printf '%s %s %s\n' "$(date +%s.%N)" "$$" "$*" >>"$events"; echo "$*" >&2; }
        work=30; exit_code=0
        while [ $# -gt 0 ]; do
          case $1 in
            --work) work=$2; shift 2 ;;
            --exit-code) exit_code=$2; shift 2 ;;
            *) ev "BADARG $1"; exit 1 ;;
          esac
        done
        mm=boinc_mmap_file
        tag() { sed -n "s:.*<$1>\([^<]*\)</$1>.*:\1:p" init_data.xml | head -n1; }
        client_pid=$(tag client_pid)
        # A <soft_link> link file names its target relative to the slot; a plain file is its own content.
        resolve() { t=$(sed -n 's:.*<soft_link>\(.*\)</soft_link>.*:\1:p' "$1"); [ -n "$t" ] && echo "$t" || echo "$1"; }
        ticks=0; [ -f progress ] && ticks=$(cat progress)
        ev "START cwd=$(pwd) ticks=$ticks wu_cpu_time=$(tag wu_cpu_time) client_pid=$client_pid"
        for f in input_copy input_link; do [ -e "$f" ] && ev "INPUT $f=$(cat "$(resolve "$f")")"; done
        byte() { od -An -tu1 -j"$1" -N1 "$mm" | tr -d ' '; }
        at() { dd of="$mm" bs=1 seek="$1" conv=notrunc 2>/dev/null; }
        flag() { if [ "$2" = 1 ]; then printf '\001'; else printf '\000'; fi | at "$1"; }
        cpu() { echo "$(($1 / 5)).$(($1 % 5 * 2))"; }
        ckpt=0; suspended=0
        status() {  # only when the client consumed the previous one (flag 0); text first, then the flag
          [ "$(byte 5120)" = 0 ] || return 0
          printf '%s\000' "<current_cpu_time>$(cpu $ticks)</current_cpu_time><checkpoint_cpu_time>$(cpu $ckpt)</checkpoint_cpu_time><fraction_done>$1</fraction_done>" | at 5121
          flag 5120 1
        }
        fraction() { printf '0.%03d' $((ticks * 1000 / (work * 5))); }
        while [ "$ticks" -lt $((work * 5)) ]; do
          if ! kill -0 "$client_pid" 2>/dev/null; then ev "CLIENT_GONE"; exit 0; fi
          if [ "$(byte 0)" != 0 ]; then
            msg=$(dd if="$mm" bs=1 skip=1 count=1022 2>/dev/null | tr -d '\000')
            flag 0 0
            case $msg in
              *'<suspend/>'*) suspended=1; ev "SUSPEND" ;;
              *'<resume/>'*) suspended=0; ev "RESUME" ;;
              *'<quit/>'*) status "$(fraction)"; ev "QUIT ticks=$ticks"; exit 0 ;;
              *'<abort/>'*) ev "ABORT ticks=$ticks"; exit 0 ;;
              *) ev "MESSAGE $msg" ;;
            esac
          fi
          if [ $suspended = 0 ]; then
            ticks=$((ticks + 1))
            if [ $((ticks % 5)) = 0 ]; then
              echo "$ticks" >progress.tmp && mv progress.tmp progress
              ckpt=$ticks; ev "CHECKPOINT ticks=$ticks"
            fi
            status "$(fraction)"
          fi
          sleep 0.2
        done
        out=$(resolve output 2>/dev/null || echo output)
        [ -e output ] && echo "result ok ticks=$ticks" >"$out"
        ckpt=$ticks
        while [ "$(byte 5120)" != 0 ] && kill -0 "$client_pid" 2>/dev/null; do sleep 0.1; done
        status 1
        sleep 1.2  # let the client read the final status (boinc_finish sleeps 2 s)
        printf '%s\n' "$exit_code" >boinc_finish_called
        ev "FINISH exit=$exit_code ticks=$ticks"
        exit "$exit_code"

        """;
}

/// <summary>One line of the test app's event log.</summary>
public sealed record AppEvent(double UnixTime, int Pid, string Kind, string Detail)
{
    public static ImmutableList<AppEvent> ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        // A line still being appended has no newline yet: it is read next time, whole.
        var text = File.ReadAllText(path);
        return text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 4))
            .Where(parts => parts.Length >= 3)
            .Select(parts => new AppEvent(
                double.Parse(parts[0], CultureInfo.InvariantCulture),
                int.Parse(parts[1], CultureInfo.InvariantCulture),
                parts[2],
                parts.Length > 3 ? parts[3] : ""))
            .ToImmutableList();
    }

    /// <summary>The value of "key=value" in the detail, or null.</summary>
    public string? Value(string key) =>
        Detail.Split(' ').Select(word => word.Split('=', 2)).FirstOrDefault(kv => kv.Length == 2 && kv[0] == key)?[1];
}
