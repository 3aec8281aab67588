using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Boinc.Persist.Integration.Engine;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// What a client that detects engines (8.2: <see cref="ClientUnderTest.DetectsEngines"/>) sees of Docker/Podman.
/// The client finds the CLIs on PATH (`podman --version`, then `docker --version`, each followed by
/// `run --rm hello-world`, which must print "Hello"), records the first that works as docker_type/docker_version,
/// and at start-up runs `ps --all` / `images` and `rm -f` / `image rm` on every <c>boinc__*</c> name that is not an
/// active docker task's. So each scenario gets a directory of two CLI shims, first on the client's PATH:
/// <list type="bullet">
/// <item>the engine under test (<see cref="TestEngine.Kind"/>) runs the real CLI against the test's endpoint;</item>
/// <item>the other one exits 127 as if not installed (podman is probed first, and a machine with both would
///   otherwise report Podman during a Docker run);</item>
/// <item><c>ps</c> and <c>images</c> list only names containing the scenario's scope (its workunit name), so the
///   client's clean-up meets exactly this scenario's containers, never those of tests running in parallel on the
///   shared engine. What the client decides for a listed name is unchanged.</item>
/// </list>
/// There is no registry, so `hello-world` is a local stand-in (the base image with CMD echo "Hello ..."),
/// committed once per engine.
/// </summary>
public static class ClientEngineView
{
    public const string HelloWorld = "hello-world:latest";

    private static readonly ConcurrentDictionary<string, Lazy<bool>> HelloWorldReady = new();

    /// <summary>The endpoint the tests' engine answers on (DOCKER_HOST, which TestEngine sets for Podman).</summary>
    public static string TestEndpoint =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    /// <summary>Writes the shims into <paramref name="dir"/>; returns the PATH to give the client.</summary>
    public static string Create(string dir, string endpoint, string scope)
    {
        if (string.IsNullOrWhiteSpace(scope) || scope.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
        {
            throw new ArgumentException($"scope '{scope}' must be a plain name (it goes into a shell script)", nameof(scope));
        }

        Directory.CreateDirectory(dir);
        var (tested, hidden) = TestEngine.Kind == TestEngineKind.Podman ? ("podman", "docker") : ("docker", "podman");
        var real = FindOnPath(tested, dir)
            ?? throw new InvalidOperationException($"the {tested} CLI is not installed; the 8.2 client probes the engine through it");
        var endpointFlag = tested == "podman" ? "--url" : "-H";
        EnsureHelloWorld(real, endpointFlag, endpoint);

        Write(Path.Combine(dir, tested), $$"""
            #!/bin/sh
            # The engine under test as the BOINC client sees it (written by the test harness, ClientEngineView):
            # the real {{tested}} CLI on {{endpoint}}; `ps` and `images` list only names of scope {{scope.ToLowerInvariant()}}.
            case "$1" in
              ps|images)
                out=$({{MainProgram.ShellQuote(real)}} {{endpointFlag}} {{MainProgram.ShellQuote(endpoint)}} "$@" 2>&1); rc=$?
                printf '%s\n' "$out" | grep -e '^CONTAINER' -e '^REPOSITORY' -e {{MainProgram.ShellQuote(scope.ToLowerInvariant())}}
                exit $rc ;;
            esac
            exec {{MainProgram.ShellQuote(real)}} {{endpointFlag}} {{MainProgram.ShellQuote(endpoint)}} "$@"

            """);
        Write(Path.Combine(dir, hidden), $"""
            #!/bin/sh
            # Hidden by the test harness (ClientEngineView): this run tests {tested}.
            echo "{hidden}: not installed for this test (the engine under test is {tested})" >&2
            exit 127

            """);
        return dir + ":" + (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin");
    }

    private static void Write(string path, string text)
    {
        File.WriteAllText(path, text);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the real BOINC client tests run on Linux only");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                   UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    private static string? FindOnPath(string tool, string except) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Where(d => Path.GetFullPath(d) != Path.GetFullPath(except))
        .Select(d => Path.Combine(d, tool))
        .FirstOrDefault(File.Exists);

    /// <summary>
    /// The local stand-in for Docker Hub's hello-world: the base image, committed with a CMD that prints "Hello"
    /// (create + commit + rm, which Docker and Podman both offer; no build, no registry).
    /// </summary>
    private static void EnsureHelloWorld(string cli, string endpointFlag, string endpoint) =>
        _ = HelloWorldReady.GetOrAdd(cli + " " + endpoint, _ => new Lazy<bool>(() =>
        {
            string[] On(params string[] args) => [endpointFlag, endpoint, .. args];
            if (Cli(cli, On("image", "inspect", HelloWorld)).Code == 0)
            {
                return true;
            }

            var baseImage = Environment.GetEnvironmentVariable("BOINC_PERSIST_BASE_IMAGE") is { Length: > 0 } b ? b : EngineFixture.DefaultBaseImage;
            var name = "boinc-persist-hello-world-standin-" + Guid.NewGuid().ToString("N")[..8];
            Require(cli, On("create", "--name", name, baseImage, "true"));
            try
            {
                Require(cli, On("commit", "--change", "CMD [\"echo\", \"Hello from the test harness's local stand-in for hello-world\"]",
                    name, HelloWorld));
            }
            finally
            {
                Cli(cli, On("rm", "-f", name));
            }

            return true;
        })).Value;

    private static void Require(string cli, string[] args)
    {
        var (code, output) = Cli(cli, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"`{cli} {string.Join(' ', args)}` exited {code}: {output}");
        }
    }

    private static (int Code, string Output) Cli(string cli, string[] args)
    {
        var start = new ProcessStartInfo(cli) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {cli}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{cli} {string.Join(' ', args)}` did not finish within 60 s");
        }

        return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
    }
}
