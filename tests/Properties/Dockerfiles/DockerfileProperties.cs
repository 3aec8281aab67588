using System.Linq;
using Boinc.Persist.Core.Dockerfiles;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Boinc.Persist.Properties.Dockerfiles;

public sealed class DockerfileProperties
{
    private static int[] ErrorLines(string text) =>
        Dockerfile.Analyze("Dockerfile", text).Errors
            .Map(e => e.Where.Line.IfNone(0)).Distinct().OrderBy(l => l).ToArray();

    [Property(MaxTest = 300)]
    public Property Every_context_read_is_reported_at_exactly_the_line_where_it_starts() =>
        Prop.ForAll(Arb.From(Generators.ContextReadingDockerfiles(), Generators.ShrinkCase), c =>
        {
            var actual = ErrorLines(c.Text);
            return actual.SequenceEqual(c.ExpectedErrorLines)
                .Label($"expected errors at [{string.Join(", ", c.ExpectedErrorLines)}], got [{string.Join(", ", actual)}]");
        });

    [Property(MaxTest = 300)]
    public Property A_dockerfile_without_context_reads_has_no_error() =>
        Prop.ForAll(Arb.From(Generators.CleanDockerfiles(), Generators.ShrinkCase), c =>
        {
            var result = Dockerfile.Analyze("Dockerfile", c.Text);
            return result.IsOk.Label(string.Join("\n", result.Errors));
        });

    [Property(MaxTest = 500)]
    public Property Analyze_is_total_on_arbitrary_strings() =>
        Prop.ForAll(Arb.From(Gen.OneOf(ArbMap.Default.GeneratorFor<string>(), Generators.DockerfileJunk())), text =>
        {
            var result = Dockerfile.Analyze("Dockerfile", text ?? "");
            var lineCount = (text ?? "").Split('\n').Length;
            return (result.IsOk == result.Errors.IsEmpty &&
                    result.Findings.ForAll(d => d.Where.Line.ForAll(l => l >= 1 && l <= lineCount)))
                .Label(string.Join("\n", result.Findings));
        });

    [Property(MaxTest = 300)]
    public Property Workdir_joins_relative_paths_onto_the_previous_one_and_normalises() =>
        Prop.ForAll(Arb.From(Generators.WorkdirCases()), c =>
        {
            var result = Dockerfile.Analyze("Dockerfile", c.Text);
            var workdir = result.Value.Map(i => i.Workdir);
            return (workdir == new WorkdirSetting.Resolved(c.ExpectedPath, c.ExpectedLine) && result.Findings.IsEmpty)
                .Label($"got {workdir} {string.Join("\n", result.Findings)}");
        });

    [Property(MaxTest = 200)]
    public Property Workdir_substitutes_env_and_arg_defaults() =>
        Prop.ForAll(
            Arb.From(Gen.Elements("/data", "/srv/job", "rel/dir")),
            Arb.From(Gen.Elements("ENV", "ARG")),
            Arb.From(Gen.Elements("$D/in", "${D}/in", "${D:-/fallback}/in", "\"$D\"/in")),
            (value, kind, use) =>
            {
                var text = $"FROM scratch\nWORKDIR /base\n{kind} D={value}\nWORKDIR {use}\n";
                var expected = (value.StartsWith('/') ? value : "/base/" + value) + "/in";
                var workdir = Dockerfile.Analyze("Dockerfile", text).Value.Map(i => i.Workdir);
                return (workdir == new WorkdirSetting.Resolved(expected, 4)).Label($"{text} => {workdir}");
            });
}
