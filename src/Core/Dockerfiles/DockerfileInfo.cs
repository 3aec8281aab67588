using LanguageExt;

namespace Boinc.Persist.Core.Dockerfiles;

/// <summary>A value together with the 1-based line of the instruction that set it.</summary>
public sealed record Located<T>(T Value, int Line);

/// <summary>
/// One build stage: the <c>FROM</c> target as written (after substituting global <c>ARG</c> defaults), its
/// optional <c>AS</c> alias, the line of its <c>FROM</c>, and the index of the earlier stage it builds on when
/// the target names one. Invariant: <see cref="BuildsOn"/> is smaller than <see cref="Index"/>.
/// </summary>
public sealed record Stage(int Index, string Base, Option<string> Alias, int Line, Option<int> BuildsOn);

/// <summary>What <c>CMD</c> or <c>ENTRYPOINT</c> says: exec form (a JSON array) or shell form (a string run by the image's shell).</summary>
public abstract record ImageCommand
{
    private ImageCommand()
    {
    }

    /// <summary>Exec form, <c>["prog", "arg"]</c>: run directly, no shell, no variable expansion.</summary>
    public sealed record Exec(Seq<string> Arguments) : ImageCommand;

    /// <summary>Shell form, <c>prog arg</c>: run as <c>/bin/sh -c "prog arg"</c> (or the stage's SHELL).</summary>
    public sealed record Shell(string CommandLine) : ImageCommand;
}

/// <summary>The final stage's working directory as far as the Dockerfile alone can tell.</summary>
public abstract record WorkdirSetting
{
    private WorkdirSetting()
    {
    }

    /// <summary>No WORKDIR in the final stage or the stages it builds on: the base image's (Docker's default is <c>/</c>).</summary>
    public sealed record NotSet : WorkdirSetting
    {
        public static readonly NotSet Value = new();
    }

    /// <summary>An absolute, normalised path (no <c>.</c>, <c>..</c>, doubled or trailing slash), from the WORKDIR at <see cref="Line"/>.</summary>
    public sealed record Resolved(string Path, int Line) : WorkdirSetting;

    /// <summary>
    /// The WORKDIR at <see cref="Line"/> uses variables without a literal value in the Dockerfile (build
    /// arguments, the base image's environment): job.toml must give <c>workdir</c>.
    /// </summary>
    public sealed record Unresolved(string Text, int Line, Seq<string> Variables) : WorkdirSetting;
}

/// <summary>
/// What planning needs from a Dockerfile: its stages, the images it pulls (FROM targets that are not earlier
/// stages, <c>scratch</c> included), and the final stage's WORKDIR, USER, CMD and ENTRYPOINT, each with the
/// line that set it (inherited through <c>FROM &lt;earlier stage&gt;</c>). Invariant: at least one stage.
/// </summary>
public sealed record DockerfileInfo(
    Seq<Stage> Stages,
    Seq<string> BaseImages,
    WorkdirSetting Workdir,
    Option<Located<string>> User,
    Option<Located<ImageCommand>> Cmd,
    Option<Located<ImageCommand>> Entrypoint)
{
    public Stage FinalStage => Stages.Last;

    /// <summary>The final stage's WORKDIR when the Dockerfile resolves it.</summary>
    public Option<string> WorkdirPath =>
        Workdir is WorkdirSetting.Resolved r ? Option<string>.Some(r.Path) : Option<string>.None;
}
