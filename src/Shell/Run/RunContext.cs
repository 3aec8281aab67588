using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using LanguageExt;

namespace Boinc.Persist.Shell.Run;

/// <summary>
/// The fixed facts of one wrapper run, read once at start and never changed: the container to run (the plan's
/// spec, its image, the Dockerfile when the image is built here), the task's facts for the decider, and the
/// engine's identity recorded with each generation.
/// </summary>
public sealed record RunContext(
    ContainerSpec Container,
    Option<string> DockerfileText,
    TaskFacts Facts,
    string EngineIdentity)
{
    public string Name => Container.Name;

    public ImagePlan Image => Container.Image;
}
