using System;

namespace Boinc.Persist.Integration.Engine;

/// <summary>Which engine the integration tests run against.</summary>
public enum TestEngineKind
{
    Docker,
    Podman,
}

/// <summary>
/// The engine of this test run, from <c>BOINC_PERSIST_TEST_ENGINE</c> (<c>docker</c>, the default, or
/// <c>podman</c>). For Podman it points <c>DOCKER_HOST</c> at the rootful service scripts/podman-up.sh starts
/// (unless DOCKER_HOST is set already) and sets <c>DOCKER_API_VERSION=1.41</c>, the API Podman 4 serves, which
/// Testcontainers 4 refuses otherwise. Both go into this process's environment, so every wrapper a test
/// starts talks to the same engine as the test. Every test runs with the same expectations on both engines.
/// </summary>
public static class TestEngine
{
    public const string Variable = "BOINC_PERSIST_TEST_ENGINE";
    public const string PodmanSocket = "unix:///run/podman/podman.sock";

    static TestEngine()
    {
        var value = (Environment.GetEnvironmentVariable(Variable) ?? "").Trim().ToLowerInvariant();
        Kind = value switch
        {
            "" or "docker" => TestEngineKind.Docker,
            "podman" => TestEngineKind.Podman,
            _ => throw new InvalidOperationException($"{Variable}={value}: expected docker or podman"),
        };
        if (Kind == TestEngineKind.Podman)
        {
            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DOCKER_HOST")))
                Environment.SetEnvironmentVariable("DOCKER_HOST", PodmanSocket);
            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DOCKER_API_VERSION")))
                Environment.SetEnvironmentVariable("DOCKER_API_VERSION", "1.41");
        }
    }

    public static TestEngineKind Kind { get; }

    public static bool IsPodman => Kind == TestEngineKind.Podman;

    /// <summary>Forces the static constructor (the environment) to run before anything reads DOCKER_HOST.</summary>
    public static void Apply() => _ = Kind;
}
