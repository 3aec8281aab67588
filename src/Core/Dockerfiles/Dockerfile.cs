using System;
using System.Linq;
using Boinc.Persist.Core.Diagnostics;
using LanguageExt;

namespace Boinc.Persist.Core.Dockerfiles;

/// <summary>
/// Reads a project's Dockerfile the way <c>docker build</c> would, rejects what needs a build context (the
/// job image is built with an empty one) and extracts what planning needs from the final stage.
/// </summary>
public static class Dockerfile
{
    /// <summary>
    /// Total: every string yields a result; problems are diagnostics at <c>fileName:line</c>, the line where the
    /// offending instruction starts.
    /// </summary>
    public static Checked<DockerfileInfo> Analyze(string fileName, string text)
    {
        var lexed = DockerfileLexer.Lex(fileName, text);
        if (lexed.Instructions.IsEmpty)
            return Checked<DockerfileInfo>.Fail(lexed.Findings.Add(DockerfileDiagnostics.Empty(fileName)));
        var start = new Analysis(fileName, lexed.Escape, HashMap<string, Option<string>>.Empty,
            Seq<StageState>.Empty, Option<StageState>.None, lexed.Findings);
        var end = lexed.Instructions.Fold(start, Step);
        return end.Current.Match(
            final =>
            {
                var stages = end.Done.Add(final).Map(s => s.Stage);
                var info = new DockerfileInfo(
                    stages,
                    stages.Filter(s => s.BuildsOn.IsNone).Map(s => s.Base).Distinct(),
                    final.Workdir.Setting,
                    final.User,
                    final.Cmd,
                    final.Entrypoint);
                return Checked<DockerfileInfo>.Of(info, end.Findings.Then(final.Workdir.Notes));
            },
            () => Checked<DockerfileInfo>.Fail(end.MissingFromReported
                ? end.Findings
                : end.Findings.Add(DockerfileDiagnostics.MissingFrom(fileName, lexed.Instructions.Last.Line, lexed.Instructions.Last.Name))));
    }

    private static Analysis Step(Analysis state, Instruction ins)
    {
        if (!Instructions.IsKnown(ins.Keyword))
            return state.Report(DockerfileDiagnostics.UnknownInstruction(state.File, ins.Line, ins.Keyword));
        state = state.Report(ContextRules.Check(state.File, ins).Then(NotJson(state.File, ins)));
        return (ins.Name, state.Current.IsSome) switch
        {
            ("FROM", _) => From(state, ins),
            ("ARG", false) => state with { GlobalArgs = DeclareArgs(state, ins, state.GlobalArgs, state.GlobalArgs) },
            (_, false) => state.MissingFromReported ? state : state.Report(DockerfileDiagnostics.MissingFrom(state.File, ins.Line, ins.Name)),
            _ => state.WithCurrent(s => InStage(state, s, ins)),
        };
    }

    private static StageState InStage(Analysis state, StageState s, Instruction ins) => ins.Name switch
    {
        "ARG" => s with { Args = DeclareArgs(state, ins, s.Args, state.GlobalArgs, s.Lookup) },
        "ENV" => s with { Env = DeclareEnv(state, ins, s) },
        "WORKDIR" => s with { Workdir = Workdirs.Apply(state.File, s.Workdir, ins, state.Escape, s.Lookup, s.Image) },
        "USER" => s with { User = new Located<string>(Substitution.Process(ins.Rest.Trim(), state.Escape, s.Lookup).Text, ins.Line) },
        "CMD" => s with { Cmd = Command(ins), CmdSetHere = true },
        "ENTRYPOINT" => s with { Entrypoint = Command(ins), Cmd = s.CmdSetHere ? s.Cmd : Option<Located<ImageCommand>>.None },
        _ => s,
    };

    private static Analysis From(Analysis state, Instruction ins)
    {
        var (_, args) = Words.ExtractFlags(ins.Rest);
        var words = Words.SplitBlank(args);
        var wellFormed = words.Count == 1 || (words.Count == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase));
        if (!wellFormed)
            state = state.Report(DockerfileDiagnostics.Malformed(state.File, ins.Line, "FROM",
                "expects FROM [--platform=<platform>] <image> [AS <name>]"));
        var target = words.IsEmpty
            ? ""
            : Substitution.Process(words.Head, state.Escape, n => state.GlobalArgs.Find(n).Bind(v => v)).Text;
        var alias = words.Count == 3 ? Option<string>.Some(words[2]) : Option<string>.None;
        var earlier = state.Done.Then(state.Current.ToSeq());
        var parent = earlier.Filter(s => s.Stage.Alias.Exists(a => a.Equals(target, StringComparison.OrdinalIgnoreCase))).LastOrNone();
        var stage = new Stage(earlier.Count, target, alias, ins.Line, parent.Map(p => p.Stage.Index));
        var next = parent.Match(
            p => p with { Stage = stage, Args = HashMap<string, Option<string>>.Empty, CmdSetHere = false },
            () => StageState.Fresh(stage));
        return state with { Done = earlier, Current = next };
    }

    /// <summary>CMD/ENTRYPOINT that look like exec form but are not valid JSON run in shell form: say so.</summary>
    private static Seq<Diagnostic> NotJson(string file, Instruction ins) =>
        ins.Name is "CMD" or "ENTRYPOINT" && ins.Rest.TrimStart().StartsWith('[') && Words.JsonStringArray(ins.Rest).IsNone
            ? Seq<Diagnostic>.Empty.Add(DockerfileDiagnostics.NotJson(file, ins.Line, ins.Name))
            : Seq<Diagnostic>.Empty;

    private static Option<Located<ImageCommand>> Command(Instruction ins) =>
        new Located<ImageCommand>(
            Words.JsonStringArray(ins.Rest).Match<ImageCommand>(
                args => new ImageCommand.Exec(args),
                () => new ImageCommand.Shell(ins.Rest.Trim())),
            ins.Line);

    /// <summary>ARG name[=default] ...; without a default a stage ARG takes the global one, if any.</summary>
    private static HashMap<string, Option<string>> DeclareArgs(
        Analysis state, Instruction ins, HashMap<string, Option<string>> args, HashMap<string, Option<string>> global,
        Func<string, Option<string>>? lookup = null) =>
        Words.QuotedWords(ins.Rest, state.Escape).Fold(args, (acc, word) =>
        {
            var eq = word.IndexOf('=');
            if (eq < 0)
                return acc.AddOrUpdate(word, global.Find(word).Bind(v => v));
            var look = lookup ?? (n => acc.Find(n).Bind(v => v));
            var value = Substitution.Process(word[(eq + 1)..], state.Escape, look);
            return acc.AddOrUpdate(word[..eq], value.IsResolved ? Option<string>.Some(value.Text) : Option<string>.None);
        });

    /// <summary>ENV key=value ... or the legacy ENV key value.</summary>
    private static HashMap<string, Option<string>> DeclareEnv(Analysis state, Instruction ins, StageState s)
    {
        var words = Words.QuotedWords(ins.Rest, state.Escape);
        if (words.IsEmpty)
            return s.Env;
        if (!words.Head.Contains('='))
        {
            var (name, value) = Words.SplitKeyword(ins.Rest);
            return s.Env.AddOrUpdate(name, Known(Substitution.Process(value, state.Escape, s.Lookup)));
        }
        return words.Fold(s.Env, (env, word) =>
        {
            var eq = word.IndexOf('=');
            if (eq < 0)
                return env;
            var current = s with { Env = env };
            return env.AddOrUpdate(word[..eq], Known(Substitution.Process(word[(eq + 1)..], state.Escape, current.Lookup)));
        });
    }

    private static Option<string> Known(Substituted value) =>
        value.IsResolved ? Option<string>.Some(value.Text) : Option<string>.None;

    private sealed record Analysis(
        string File,
        char Escape,
        HashMap<string, Option<string>> GlobalArgs,
        Seq<StageState> Done,
        Option<StageState> Current,
        Seq<Diagnostic> Findings)
    {
        public bool MissingFromReported => Findings.Exists(d => d.Code == DiagnosticCodes.DockerfileMissingFrom);

        public Analysis Report(Diagnostic d) => this with { Findings = Findings.Add(d) };

        public Analysis Report(Seq<Diagnostic> ds) => this with { Findings = Findings.Then(ds) };

        public Analysis WithCurrent(Func<StageState, StageState> f) => this with { Current = Current.Map(f) };
    }
}

/// <summary>
/// What one stage has set so far; ENV, WORKDIR, USER, CMD and ENTRYPOINT pass to stages built on it.
/// <see cref="Image"/> is the image at the root of the chain of stages.
/// </summary>
internal sealed record StageState(
    Stage Stage,
    string Image,
    WorkdirState Workdir,
    Option<Located<string>> User,
    Option<Located<ImageCommand>> Cmd,
    Option<Located<ImageCommand>> Entrypoint,
    bool CmdSetHere,
    HashMap<string, Option<string>> Env,
    HashMap<string, Option<string>> Args)
{
    public static StageState Fresh(Stage stage) => new(
        stage, stage.Base, WorkdirState.Initial, Option<Located<string>>.None, Option<Located<ImageCommand>>.None,
        Option<Located<ImageCommand>>.None, false, HashMap<string, Option<string>>.Empty, HashMap<string, Option<string>>.Empty);

    /// <summary>ENV wins over ARG; a name declared in neither may come from the base image, so it is unknown.</summary>
    public Option<string> Lookup(string name) =>
        Env.Find(name).Match(v => v, () => Args.Find(name).Bind(v => v));
}
