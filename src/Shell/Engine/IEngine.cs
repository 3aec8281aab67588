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

/// <summary>A container as listed by the engine; <see cref="Mounts"/> are the host paths it mounts.</summary>
public sealed record ListedContainer(string Id, string Name, string State, string Image, IReadOnlyDictionary<string, string> Labels)
{
    public Seq<string> Mounts { get; init; } = Seq<string>.Empty;

    /// <summary>The id of the image it was created from, without <c>sha256:</c> ("" when the engine did not say).</summary>
    public string ImageId { get; init; } = "";

    /// <summary>
    /// Whether it was created from the image with id <paramref name="imageId"/> (with or without <c>sha256:</c>)
    /// or one of the names in <paramref name="names"/>, both sides short (<see cref="EngineDifferences.ShortImageName"/>:
    /// Podman lists <c>localhost/x:t</c> where Docker lists <c>x:t</c>). By id or by name, as the engine lists it
    /// (Podman 4.3's ancestor filter was seen to miss created containers, so users are matched here, not by the engine).
    /// </summary>
    public bool Uses(string imageId, Seq<string> names) =>
        (ImageId.Length > 0 && ImageId == Core.Naming.BareImageId(imageId))
        || (Image.Length > 0 && names.Exists(n => EngineDifferences.ShortImageName(n) == EngineDifferences.ShortImageName(Image)));
}

/// <summary>One of our images as listed by the engine.</summary>
public sealed record ListedImage(string Id, Seq<string> Tags, IReadOnlyDictionary<string, string> Labels);

/// <summary>An image ready to run: its id, and whether this call built it.</summary>
public sealed record EnsuredImage(string Id, bool Built);

/// <summary>An image with our owner label as the engine lists it, with its size.</summary>
public sealed record StoredImage(string Id, Seq<string> Tags, long SizeBytes, IReadOnlyDictionary<string, string> Labels);

// The engine, split by what its callers need. Every call takes a cancellation token and runs under a time limit
// (the adapter's default unless a call takes its own); errors come back as EngineError values, never as
// exceptions. Containers are addressed by name or id. DockerEngine (Docker's API, also served by Podman) is the
// one adapter and implements them all; each caller asks for the narrowest it needs:
//   IEngineInfo      the wrapper's start (JobRunner), doctor: which engine answers and what differs on this host
//   IContainers      the wrapper loop (through IJobEngine, src/Shell/Run/Ports.cs), the CPU meter, gc's removals
//   IImages          the wrapper loop: its image, built or reused, removed at the task's end
//   IInventory       the collectors (gc, imagegc) and the oracle's watch (EngineWatch): what exists, and image removal
//   IContainerLogs   the wrapper loop's log relay

/// <summary>Which engine answers and what differs on this host.</summary>
public interface IEngineInfo
{
    EngineEndpoint Endpoint { get; }

    Task<Either<EngineError, EngineVersion>> Version(CancellationToken ct);

    /// <summary>Which product serves the API and what differs on this host (Podman, rootless, pause, SELinux).</summary>
    Task<Either<EngineError, EngineTraits>> Traits(CancellationToken ct);
}

/// <summary>One container's life: create, start, pause, stop, wait, remove; its CPU time and published port.</summary>
public interface IContainers
{
    /// <summary>Our container by name: <see cref="Observation.Absent"/> when there is none.</summary>
    Task<Either<EngineError, Observation>> Inspect(string name, CancellationToken ct);

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

    /// <summary>Waits (engine wait API) until the container exits, up to <paramref name="limit"/>; its exit code.</summary>
    Task<Either<EngineError, int>> WaitForExit(string name, TimeSpan limit, CancellationToken ct);

    /// <summary>The container's cumulative CPU time in nanoseconds (engine stats, one shot).</summary>
    Task<Either<EngineError, long>> CpuNanos(string name, CancellationToken ct);

    /// <summary>The loopback host port bound to <paramref name="containerPort"/>/tcp; None when there is none (yet).</summary>
    Task<Either<EngineError, Option<int>>> LoopbackPort(string name, int containerPort, CancellationToken ct);
}

/// <summary>The job's image: built or reused under the host-wide protocol (<see cref="ImageUse"/>), removed when unused.</summary>
public interface IImages
{
    /// <summary>
    /// The image tagged <see cref="ImagePlan.Tag"/>: reused if present, else built from
    /// <paramref name="dockerfile"/> with an empty context under a host-wide lock, output to <paramref name="log"/>.
    /// </summary>
    Task<Either<EngineError, EnsuredImage>> EnsureImage(ImagePlan image, string dockerfile, TextWriter log, CancellationToken ct);

    /// <summary>Whether the engine has the image <paramref name="tag"/> locally.</summary>
    Task<Either<EngineError, bool>> HasImage(string tag, CancellationToken ct);

    /// <summary>Removes the image unless a container (any) uses it; returns whether it was removed.</summary>
    Task<Either<EngineError, bool>> RemoveImageIfUnused(string tag, CancellationToken ct);
}

/// <summary>What exists on the engine, by label, and the removal of images found there (the collectors' view).</summary>
public interface IInventory
{
    /// <summary>Containers carrying a label (key, or key=value).</summary>
    Task<Either<EngineError, Seq<ListedContainer>>> ListContainers(string label, CancellationToken ct);

    /// <summary>Every container, ours or not, in any state.</summary>
    Task<Either<EngineError, Seq<ListedContainer>>> AllContainers(CancellationToken ct);

    /// <summary>Every container (ours or not, any state) created from <paramref name="image"/> (tag or id).</summary>
    Task<Either<EngineError, Seq<ListedContainer>>> ContainersUsing(string image, CancellationToken ct);

    /// <summary>Images carrying a label (key, or key=value).</summary>
    Task<Either<EngineError, Seq<ListedImage>>> ListImages(string label, CancellationToken ct);

    /// <summary>Images carrying <c>label</c> (key=value), with sizes.</summary>
    Task<Either<EngineError, Seq<StoredImage>>> StoredImages(string label, CancellationToken ct);

    /// <summary>Deletes the image without force (the engine refuses while any container uses it); false if it refused or it was gone.</summary>
    Task<Either<EngineError, bool>> DeleteImage(string id, CancellationToken ct);
}

/// <summary>A container's output as it happens.</summary>
public interface IContainerLogs
{
    /// <summary>
    /// Streams the container's stdout and stderr into <paramref name="sink"/> as they happen, each line prefixed,
    /// until the container stops or <paramref name="ct"/> is cancelled (cancellation is a normal end). With
    /// <paramref name="since"/>, only output from that moment on (re-attaching to a running container).
    /// </summary>
    Task<Either<EngineError, Unit>> StreamLogs(string name, string prefix, TextWriter sink, CancellationToken ct, DateTimeOffset? since = null,
        Action<string>? notice = null);
}

/// <summary>The whole engine as one adapter implements it; callers take the narrow port they need (above).</summary>
public interface IEngine : IEngineInfo, IContainers, IImages, IInventory, IContainerLogs, IDisposable
{
}
