using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LanguageExt;

namespace Boinc.Persist.Core.Config;

/// <summary>
/// The whitelist for docker_wrapper's <c>create_args</c> and <c>build_args</c>. docker_wrapper pastes these
/// strings into a shell command line; we parse them into options we can express through the Engine API and
/// refuse the rest, each with the job.toml key to use instead where there is one.
/// </summary>
public static class CreateArgs
{
    /// <summary>A parse result: what was understood, and one message per refused option.</summary>
    public sealed record Parsed<T>(T Value, Seq<string> Errors);

    /// <summary>create_args, with the limit-setting options kept apart so they can be merged into [limits].</summary>
    public sealed record CreateResult(
        CreateOptions Options, Option<long> Memory, Option<double> Cpus, Option<long> Pids, bool GpusAll)
    {
        public static CreateResult Empty { get; } =
            new(CreateOptions.None, Option<long>.None, Option<double>.None, Option<long>.None, false);
    }

    private static readonly System.Collections.Generic.HashSet<string> CreateValued = new()
    {
        "-e", "--env", "-l", "--label", "--ulimit", "--tmpfs", "--shm-size", "-h", "--hostname", "--entrypoint",
        "--stop-timeout", "--stop-signal", "--cpus", "-m", "--memory", "--pids-limit", "--gpus",
        // refused, but they take a value, so the value is not mistaken for an argument
        "--network", "--net", "-v", "--volume", "--mount", "-p", "--publish", "-u", "--user", "-w", "--workdir",
        "--cap-add", "--cap-drop", "--security-opt", "--device", "--pid", "--ipc", "--uts", "--userns", "--name",
        "--env-file", "--restart", "--memory-swap", "--cgroup-parent", "--runtime", "--log-driver", "--log-opt",
        "--volumes-from", "--add-host", "--dns", "--platform", "--cpuset-cpus", "--group-add", "--label-file",
        "--cidfile", "--sysctl",
    };

    private static readonly Dictionary<string, string> CreateRefused = new()
    {
        ["--privileged"] = "it gives the job full control of the volunteer's host",
        ["--network"] = "use [confinement] network in job.toml",
        ["--net"] = "use [confinement] network in job.toml",
        ["-v"] = "use the mount key in job.toml",
        ["--volume"] = "use the mount key in job.toml",
        ["--mount"] = "use the mount key in job.toml",
        ["--volumes-from"] = "use the mount key in job.toml",
        ["-p"] = "use the portmap key in job.toml",
        ["--publish"] = "use the portmap key in job.toml",
        ["-P"] = "use the portmap key in job.toml",
        ["--publish-all"] = "use the portmap key in job.toml",
        ["-u"] = "use [confinement] user in job.toml",
        ["--user"] = "use [confinement] user in job.toml",
        ["-w"] = "use the workdir key in job.toml",
        ["--workdir"] = "use the workdir key in job.toml",
        ["--cap-add"] = "use [confinement] cap_add in job.toml",
        ["--cap-drop"] = "all capabilities are dropped already",
        ["--read-only"] = "the root file system is read-only already; use [confinement] read_only_rootfs to change it",
        ["--security-opt"] = "use [confinement] no_new_privileges in job.toml",
        ["--name"] = "the wrapper names the container after the BOINC task",
        ["--rm"] = "the wrapper removes the container itself, after it has kept what the job wrote",
        ["--restart"] = "the BOINC client decides when a job runs again",
        ["--env-file"] = "it reads a file of the host; use -e KEY=VALUE",
        ["--label-file"] = "it reads a file of the host; use --label KEY=VALUE",
        ["--cidfile"] = "it writes a file of the host",
        ["--memory-swap"] = "swap is limited through [limits] memory",
    };

    private static readonly System.Collections.Generic.HashSet<string> BuildValued = new()
    {
        "--build-arg", "--target", "--label", "--platform",
        "-f", "--file", "-t", "--tag", "--network", "--secret", "--ssh", "--cache-from", "--output", "-o",
        "--add-host", "--iidfile", "--progress",
    };

    private static readonly Dictionary<string, string> BuildRefused = new()
    {
        ["-f"] = "the Dockerfile is given with the wrapper's --dockerfile option",
        ["--file"] = "the Dockerfile is given with the wrapper's --dockerfile option",
        ["-t"] = "the image is tagged by content; use image_name in job.toml to choose a name",
        ["--tag"] = "the image is tagged by content; use image_name in job.toml to choose a name",
        ["--network"] = "builds use the engine's default network",
        ["--secret"] = "it reads files of the host",
        ["--ssh"] = "it exposes the host's SSH agent",
        ["--output"] = "it writes files on the host",
        ["-o"] = "it writes files on the host",
        ["--iidfile"] = "it writes a file of the host",
    };

    public static Parsed<CreateResult> ParseCreate(string text)
    {
        var errors = new List<string>();
        var result = CreateResult.Empty;
        var opts = CreateOptions.None;
        foreach (var o in Options(text, CreateValued, errors))
        {
            var v = o.Value.IfNone("");
            switch (o.Name)
            {
                case "-e" or "--env":
                    KeyValueOf(v, o.Name, errors, requireValue: true).Iter(kv => opts = opts with { Env = opts.Env.Add(kv) });
                    break;
                case "-l" or "--label":
                    KeyValueOf(v, o.Name, errors, requireValue: false).Iter(kv => opts = opts with { Labels = opts.Labels.Add(kv) });
                    break;
                case "--ulimit":
                    UlimitOf(v, errors).Iter(u => opts = opts with { Ulimits = opts.Ulimits.Add(u) });
                    break;
                case "--tmpfs":
                    TmpfsOf(v, errors).Iter(t => opts = opts with { Tmpfs = opts.Tmpfs.Add(t) });
                    break;
                case "--shm-size":
                    SizeOf(v, o.Name, errors).Iter(s => opts = opts with { ShmSizeBytes = s });
                    break;
                case "-h" or "--hostname":
                    if (v.Length is > 0 and <= 63 && v.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
                        opts = opts with { Hostname = v };
                    else errors.Add($"{o.Name} \"{v}\" is not a host name");
                    break;
                case "--entrypoint":
                    opts = opts with { Entrypoint = v };
                    break;
                case "--init":
                    opts = opts with { Init = v is "" or "true" };
                    if (v is not ("" or "true" or "false")) errors.Add($"--init takes true or false, not \"{v}\"");
                    break;
                case "--stop-timeout":
                    if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var st) && st <= 3600)
                        opts = opts with { StopTimeoutSeconds = st };
                    else errors.Add($"--stop-timeout \"{v}\" must be a number of seconds up to 3600");
                    break;
                case "--stop-signal":
                    if (v.Length > 0 && v.All(c => char.IsAsciiLetterOrDigit(c) || c == '+'))
                        opts = opts with { StopSignal = v };
                    else errors.Add($"--stop-signal \"{v}\" is not a signal name or number");
                    break;
                case "--cpus":
                    if (double.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var c) && c > 0 && c <= 4096)
                        result = result with { Cpus = c };
                    else errors.Add($"--cpus \"{v}\" must be a positive number");
                    break;
                case "-m" or "--memory":
                    SizeOf(v, o.Name, errors).Iter(m => result = result with { Memory = m });
                    break;
                case "--pids-limit":
                    if (long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0)
                        result = result with { Pids = p };
                    else errors.Add($"--pids-limit \"{v}\" must be a positive number (an unlimited job is refused)");
                    break;
                case "--gpus":
                    if (v == "all") result = result with { GpusAll = true };
                    else errors.Add($"--gpus \"{v}\" is not supported; use_gpu = true gives the job the GPUs BOINC assigns");
                    break;
                default:
                    errors.Add(CreateRefused.TryGetValue(o.Name, out var why)
                        ? $"{o.Name} is refused: {why}"
                        : $"{o.Name} is not an option the wrapper understands; it cannot be passed to the engine safely");
                    break;
            }
        }

        return new Parsed<CreateResult>(result with { Options = opts }, errors.ToSeq());
    }

    public static Parsed<BuildOptions> ParseBuild(string text)
    {
        var errors = new List<string>();
        var b = BuildOptions.None;
        foreach (var o in Options(text, BuildValued, errors))
        {
            var v = o.Value.IfNone("");
            switch (o.Name)
            {
                case "--build-arg":
                    KeyValueOf(v, o.Name, errors, requireValue: true).Iter(kv => b = b with { BuildArgs = b.BuildArgs.Add(kv) });
                    break;
                case "--label":
                    KeyValueOf(v, o.Name, errors, requireValue: false).Iter(kv => b = b with { Labels = b.Labels.Add(kv) });
                    break;
                case "--target":
                    if (v.Length > 0 && v.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-' or '.'))
                        b = b with { Target = v };
                    else errors.Add($"--target \"{v}\" is not a stage name");
                    break;
                case "--platform":
                    if (v.Length > 0 && v.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '/' or '_' or '-'))
                        b = b with { Platform = v };
                    else errors.Add($"--platform \"{v}\" is not a platform (e.g. linux/amd64)");
                    break;
                case "--no-cache":
                    b = b with { NoCache = true };
                    break;
                case "--pull" or "-q" or "--quiet" or "--rm" or "--force-rm":
                    break; // harmless for a build from local bases with an empty context
                default:
                    errors.Add(BuildRefused.TryGetValue(o.Name, out var why)
                        ? $"{o.Name} is refused: {why}"
                        : $"{o.Name} is not a build option the wrapper understands; it cannot be passed to the engine safely");
                    break;
            }
        }

        return new Parsed<BuildOptions>(b, errors.ToSeq());
    }

    /// <summary>Renders create options back into a create_args string that ParseCreate reads back.</summary>
    public static string FormatCreate(CreateOptions o)
    {
        var words = new List<string>();
        foreach (var e in o.Env) { words.Add("-e"); words.Add($"{e.Key}={e.Value}"); }
        foreach (var l in o.Labels) { words.Add("--label"); words.Add($"{l.Key}={l.Value}"); }
        foreach (var u in o.Ulimits) { words.Add("--ulimit"); words.Add($"{u.Name}={u.Soft}:{u.Hard}"); }
        foreach (var t in o.Tmpfs)
        {
            words.Add("--tmpfs");
            words.Add(t.SizeBytes.Match(s => $"{t.Target}:size={Units.FormatSize(s)}", () => t.Target));
        }

        o.ShmSizeBytes.Iter(s => { words.Add("--shm-size"); words.Add(Units.FormatSize(s)); });
        o.Hostname.Iter(h => { words.Add("--hostname"); words.Add(h); });
        o.Entrypoint.Iter(e => { words.Add("--entrypoint"); words.Add(e); });
        if (o.Init) words.Add("--init");
        o.StopTimeoutSeconds.Iter(s => { words.Add("--stop-timeout"); words.Add(s.ToString(CultureInfo.InvariantCulture)); });
        o.StopSignal.Iter(s => { words.Add("--stop-signal"); words.Add(s); });
        return string.Join(' ', words.Select(ArgLine.Quote));
    }

    public static string FormatBuild(BuildOptions b)
    {
        var words = new List<string>();
        foreach (var a in b.BuildArgs) { words.Add("--build-arg"); words.Add($"{a.Key}={a.Value}"); }
        b.Target.Iter(t => { words.Add("--target"); words.Add(t); });
        foreach (var l in b.Labels) { words.Add("--label"); words.Add($"{l.Key}={l.Value}"); }
        if (b.NoCache) words.Add("--no-cache");
        b.Platform.Iter(p => { words.Add("--platform"); words.Add(p); });
        return string.Join(' ', words.Select(ArgLine.Quote));
    }

    private static Seq<ArgOption> Options(string text, System.Collections.Generic.HashSet<string> valued, List<string> errors) =>
        ArgLine.Split(text)
            .Bind(words => ArgOptions.Group(words, valued.Contains))
            .Match(
                Right: o => o,
                Left: e =>
                {
                    errors.Add(e);
                    return Seq<ArgOption>.Empty;
                });

    private static Option<KeyValue> KeyValueOf(string v, string option, List<string> errors, bool requireValue)
    {
        var eq = v.IndexOf('=');
        var key = eq < 0 ? v : v[..eq];
        if (key.Length == 0 || !(char.IsAsciiLetter(key[0]) || key[0] == '_') ||
            !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
        {
            errors.Add($"{option} \"{v}\" needs a name of letters, digits and _ before '='");
            return Option<KeyValue>.None;
        }

        if (eq < 0 && requireValue)
        {
            errors.Add($"{option} {key} has no value: passing the host's environment into a job is refused; write {key}=VALUE");
            return Option<KeyValue>.None;
        }

        return new KeyValue(key, eq < 0 ? "" : v[(eq + 1)..]);
    }

    private static Option<Ulimit> UlimitOf(string v, List<string> errors)
    {
        var eq = v.IndexOf('=');
        if (eq > 0)
        {
            var name = v[..eq];
            var values = v[(eq + 1)..].Split(':');
            if (name.All(char.IsAsciiLetterOrDigit) && values.Length is 1 or 2 &&
                long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var soft) &&
                long.TryParse(values[^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var hard) &&
                soft >= -1 && hard >= -1 && (hard == -1 || (soft != -1 && soft <= hard)))
                return new Ulimit(name, soft, hard);
        }

        errors.Add($"--ulimit \"{v}\" must be name=soft[:hard] with soft <= hard");
        return Option<Ulimit>.None;
    }

    private static Option<TmpfsSpec> TmpfsOf(string v, List<string> errors)
    {
        var colon = v.IndexOf(':');
        var target = Paths.NormaliseAbsolute(colon < 0 ? v : v[..colon]);
        if (target.IsNone || target == Option<string>.Some("/"))
        {
            errors.Add($"--tmpfs \"{v}\" needs an absolute target path");
            return Option<TmpfsSpec>.None;
        }

        var size = Option<long>.None;
        if (colon >= 0)
        {
            foreach (var opt in v[(colon + 1)..].Split(','))
            {
                if (opt.StartsWith("size=", StringComparison.Ordinal))
                {
                    size = Units.ParseSize(opt[5..]);
                    if (size.IsNone)
                    {
                        errors.Add($"--tmpfs size \"{opt[5..]}\" is not a size");
                        return Option<TmpfsSpec>.None;
                    }
                }
                else if (opt is not ("rw" or "noexec" or "nosuid" or "nodev"))
                {
                    errors.Add($"--tmpfs option \"{opt}\" is not supported (size=, rw, noexec, nosuid, nodev)");
                    return Option<TmpfsSpec>.None;
                }
            }
        }

        return new TmpfsSpec(target.IfNone("/tmp"), size);
    }

    private static Option<long> SizeOf(string v, string option, List<string> errors)
    {
        var s = Units.ParseSize(v).Filter(x => x > 0);
        if (s.IsNone) errors.Add($"{option} \"{v}\" is not a size (e.g. 512m, 2g)");
        return s;
    }
}
