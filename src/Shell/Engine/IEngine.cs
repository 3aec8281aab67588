using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>What the engine says about itself.</summary>
public sealed record EngineVersion(string Version, string ApiVersion, string Os);

/// <summary>One of our containers as listed by the engine.</summary>
public sealed record ListedContainer(string Id, string Name, string State, string Image, IReadOnlyDictionary<string, string> Labels);

/// <summary>One of our images as listed by the engine.</summary>
public sealed record ListedImage(string Id, Seq<string> Tags, IReadOnlyDictionary<string, string> Labels);

/// <summary>An image ready to run: its id, and whether this call built it.</summary>
public sealed record EnsuredImage(string Id, bool Built);

/// <summary>
/// The narrow port the wrapper needs from a container engine. Every call takes a cancellation token and runs
/// under a time limit (the adapter's default unless a call takes its own); errors come back as
/// <see cref="EngineError"/> values, never as exceptions. Containers are addressed by name or id.
/// </summary>
public interface IEngine : IDisposable
{
    EngineEndpoint Endpoint { get; }

    Task<Either<EngineError, EngineVersion>> Version(CancellationToken ct);

    /// <summary>Which product serves the API and what differs on this host (Podman, rootless, pause, SELinux).</summary>
    Task<Either<EngineError, EngineTraits>> Traits(CancellationToken ct);

    /// <summary>Our container by name: <see cref="Observation.Absent"/> when there is none.</summary>
    Task<Either<EngineError, Observation>> Inspect(string name, CancellationToken ct);

    /// <summary>
    /// The image tagged <see cref="ImagePlan.Tag"/>: reused if present, else built from
    /// <paramref name="dockerfile"/> with an empty context under a host-wide lock, output to <paramref name="log"/>.
    /// </summary>
    Task<Either<EngineError, EnsuredImage>> EnsureImage(ImagePlan image, string dockerfile, TextWriter log, CancellationToken ct);

    /// <summary>Creates the container (a no-op when one with that name exists); returns its id.</summary>
    Task<Either<EngineError, string>> Create(ContainerSpec spec, IReadOnlyList<string> command, CancellationToken ct);

    Task<Either<EngineError, Unit>> Start(string name, CancellationToken ct);

    Task<Either<EngineError, Unit>> Pause(string name, CancellationToken ct);

    Task<Either<EngineError, Unit>> Unpause(string name, CancellationToken ct);

    /// <summary>Stop signal, then SIGKILL after <paramref name="grace"/>; the call's limit is grace plus the default.</summary>
    Task<Either<EngineError, Unit>> Stop(string name, TimeSpan grace, CancellationToken ct);

    Task<Either<EngineError, Unit>> Kill(string name, CancellationToken ct);

    /// <summary>Force-removes the container; absent is fine.</summary>
    Task<Either<EngineError, Unit>> Remove(string name, CancellationToken ct);

    /// <summary>Every container (ours or not, any state) created from <paramref name="image"/> (tag or id).</summary>
    Task<Either<EngineError, Seq<ListedContainer>>> ContainersUsing(string image, CancellationToken ct);

    /// <summary>Removes the image unless a container (any) uses it; returns whether it was removed.</summary>
    Task<Either<EngineError, bool>> RemoveImageIfUnused(string tag, CancellationToken ct);

    /// <summary>Waits (engine wait API) until the container exits, up to <paramref name="limit"/>; its exit code.</summary>
    Task<Either<EngineError, int>> WaitForExit(string name, TimeSpan limit, CancellationToken ct);

    /// <summary>The container's cumulative CPU time in nanoseconds (engine stats, one shot).</summary>
    Task<Either<EngineError, long>> CpuNanos(string name, CancellationToken ct);

    /// <summary>
    /// Streams the container's stdout and stderr into <paramref name="sink"/> as they happen, each line prefixed,
    /// until the container stops or <paramref name="ct"/> is cancelled (cancellation is a normal end). With
    /// <paramref name="since"/>, only output from that moment on (re-attaching to a running container).
    /// </summary>
    Task<Either<EngineError, Unit>> StreamLogs(string name, string prefix, TextWriter sink, CancellationToken ct, DateTimeOffset? since = null);

    /// <summary>Containers carrying a label (key, or key=value).</summary>
    Task<Either<EngineError, Seq<ListedContainer>>> ListContainers(string label, CancellationToken ct);

    /// <summary>Images carrying a label (key, or key=value).</summary>
    Task<Either<EngineError, Seq<ListedImage>>> ListImages(string label, CancellationToken ct);
}
