using Boinc.Persist.Properties.Diagnostics;
using System.Linq;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Dockerfiles;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Dockerfiles;

public sealed class DockerfileExamples
{
    private static Checked<DockerfileInfo> Analyze(string text) => Dockerfile.Analyze("Dockerfile", text);

    private static DockerfileInfo Info(string text)
    {
        var result = Analyze(text);
        return result.Value.IfNone(() => throw new Xunit.Sdk.XunitException(string.Join("\n", result.Findings)));
    }

    private static int[] ErrorLines(string text) =>
        Analyze(text).Errors.Map(e => e.Where.Line.IfNone(0)).Distinct().OrderBy(l => l).ToArray();

    [Fact]
    public void Boincs_sample_dockerfile_passes_with_its_workdir_and_shell_form_cmd()
    {
        var info = Info("FROM debian\nWORKDIR /app\nCMD ./main.sh\n");

        Assert.Equal(new WorkdirSetting.Resolved("/app", 2), info.Workdir);
        Assert.Equal(Option<string>.Some("/app"), info.WorkdirPath);
        Assert.Equal(new Located<ImageCommand>(new ImageCommand.Shell("./main.sh"), 3), info.Cmd);
        Assert.True(info.Entrypoint.IsNone);
        Assert.Equal(new[] { "debian" }, info.BaseImages.ToArray());
        Assert.True(Analyze("FROM debian\nWORKDIR /app\nCMD ./main.sh\n").Findings.IsEmpty);
    }

    [Fact]
    public void Copying_input_from_the_build_context_fails_at_its_line()
    {
        var result = Analyze("FROM debian\nWORKDIR /app\nCOPY in /app\nCMD ./worker in out\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal(DiagnosticCodes.DockerfileCopyFromContext, error.Code);
        Assert.Equal(Option<int>.Some(3), error.Where.Line);
        Assert.Contains("slot directory", error.Message);
        Assert.Contains("COPY", error.Message);
    }

    private const string MultiStage =
        "# escape=`\n" +                                              // 1
        "# syntax=docker/dockerfile:1\n" +                           // 2
        "ARG GO=1.22\n" +                                            // 3
        "FROM golang:${GO} AS build\n" +                             // 4
        "WORKDIR /src\n" +                                          // 5
        "RUN --mount=type=cache,target=/root/.cache `\n" +           // 6
        "    # a comment inside the continuation\n" +                // 7
        "\n" +                                                       // 8
        "    --mount=type=bind,from=sources,target=/src go build -o /out/worker .\n" + // 9
        "RUN <<EOF\n" +                                              // 10
        "COPY . /app\n" +                                            // 11 (heredoc body, not an instruction)
        "echo built\n" +                                             // 12
        "EOF\n" +                                                    // 13
        "COPY <<-CONF /etc/worker.conf\n" +                          // 14
        "\tthreads=1\n" +                                            // 15
        "\tCONF\n" +                                                 // 16
        "FROM debian:bookworm-slim\n" +                              // 17
        "ENV APP=/app\n" +                                           // 18
        "WORKDIR $APP\n" +                                           // 19
        "WORKDIR data/../run\n" +                                    // 20
        "COPY --from=build --chmod=755 /out/worker /usr/local/bin/worker\n" + // 21
        "USER 1000:1000\n" +                                         // 22
        "ENTRYPOINT [\"/usr/local/bin/worker\"]\n" +                  // 23
        "CMD [\"in\", \"out\"]\n";                                   // 24

    [Fact]
    public void A_realistic_multi_stage_dockerfile_passes_and_describes_its_final_stage()
    {
        var result = Analyze(MultiStage);
        Assert.True(result.Findings.IsEmpty, string.Join("\n", result.Findings));
        var info = Info(MultiStage);

        Assert.Equal(new[] { "golang:1.22", "debian:bookworm-slim" }, info.BaseImages.ToArray());
        Assert.Equal(new Stage(0, "golang:1.22", "build", 4, Option<int>.None), info.Stages[0]);
        Assert.Equal(new WorkdirSetting.Resolved("/app/run", 20), info.Workdir);
        Assert.Equal(new Located<string>("1000:1000", 22), info.User);
        Assert.Equal(new Located<ImageCommand>(new ImageCommand.Exec(new[] { "/usr/local/bin/worker" }.ToSeq()), 23), info.Entrypoint);
        Assert.Equal(new Located<ImageCommand>(new ImageCommand.Exec(new[] { "in", "out" }.ToSeq()), 24), info.Cmd);
    }

    [Fact]
    public void The_multi_stage_dockerfile_fails_where_a_bind_mount_without_from_or_a_context_copy_is_added()
    {
        var text = MultiStage
            .Replace("--mount=type=bind,from=sources,target=/src", "--mount=type=bind,target=/src")
            .Replace("COPY --from=build --chmod=755 /out/worker", "COPY --chmod=755 worker");

        Assert.Equal(new[] { 6, 21 }, ErrorLines(text));
        Assert.Contains(Analyze(text).Errors, e => e.Code == DiagnosticCodes.DockerfileRunBindsContext);
    }

    [Theory]
    [InlineData("FROM a\nADD local.tar.gz /x\n", 2, nameof(DiagnosticCodes.DockerfileAddFromContext))]
    [InlineData("FROM a\nonbuild copy . /app\n", 2, nameof(DiagnosticCodes.DockerfileCopyFromContext))]
    [InlineData("FROM a\nCOPY <<EOF in.txt /x/\nhello\nEOF\n", 2, nameof(DiagnosticCodes.DockerfileCopyFromContext))]
    [InlineData("FROM a\nRUN --mount=target=/src make\n", 2, nameof(DiagnosticCodes.DockerfileRunBindsContext))]
    [InlineData("FROM a\nCOPY [\"a b\", \"/x\"]\n", 2, nameof(DiagnosticCodes.DockerfileCopyFromContext))]
    [InlineData("FROM a\nCOPY --from build /a /b\n", 2, nameof(DiagnosticCodes.DockerfileMalformed))]
    [InlineData("FROM a\nFROBNICATE x\n", 2, nameof(DiagnosticCodes.DockerfileUnknownInstruction))]
    [InlineData("RUN x\nFROM a\n", 1, nameof(DiagnosticCodes.DockerfileMissingFrom))]
    [InlineData("FROM a\nRUN <<EOF\nCOPY . /\n", 2, nameof(DiagnosticCodes.DockerfileUnterminatedHeredoc))]
    [InlineData("# escape=x\nFROM a\n", 1, nameof(DiagnosticCodes.DockerfileBadDirective))]
    public void Each_rule_reports_its_code_at_the_instructions_line(string text, int line, string code)
    {
        var error = Assert.Single(Analyze(text).Errors);
        Assert.Equal(TestCodes.Named(code), error.Code);
        Assert.Equal(Option<int>.Some(line), error.Where.Line);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n# only a comment\n")]
    public void An_empty_dockerfile_is_an_error(string text) =>
        Assert.Contains(Analyze(text).Errors, e => e.Code == DiagnosticCodes.DockerfileEmpty);

    [Fact]
    public void Remote_add_is_a_warning_not_an_error()
    {
        var result = Analyze("FROM a\nADD https://example.org/data.tar /data/\nADD git@github.com:o/r.git /src\n");

        Assert.True(result.IsOk);
        Assert.Equal(2, result.Warnings.Count(w => w.Code == DiagnosticCodes.DockerfileAddRemote));
    }

    [Fact]
    public void A_workdir_with_a_variable_the_dockerfile_does_not_define_asks_for_job_toml()
    {
        var result = Analyze("FROM a\nARG DIR\nWORKDIR ${DIR}/x\n");
        var info = Info("FROM a\nARG DIR\nWORKDIR ${DIR}/x\n");

        Assert.IsType<WorkdirSetting.Unresolved>(info.Workdir);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(DiagnosticCodes.DockerfileWorkdirUnresolved, warning.Code);
        Assert.Contains("job.toml", warning.Message);
    }

    [Fact]
    public void Workdir_user_cmd_and_env_are_inherited_through_an_earlier_stage()
    {
        var info = Info("FROM scratch AS base\nENV D=/srv\nWORKDIR $D\nUSER nobody\nCMD run\nFROM base\nWORKDIR job\nENTRYPOINT [\"sh\"]\n");

        Assert.Equal(new WorkdirSetting.Resolved("/srv/job", 7), info.Workdir);
        Assert.Equal(new Located<string>("nobody", 4), info.User);
        Assert.True(info.Cmd.IsNone); // ENTRYPOINT resets an inherited CMD, as Docker does
        Assert.Equal(new[] { "scratch" }, info.BaseImages.ToArray());
        Assert.Equal(Option<int>.Some(0), info.FinalStage.BuildsOn);
    }

    [Fact]
    public void Junk_that_ends_in_a_lone_escape_or_an_open_json_array_gives_diagnostics()
    {
        Assert.False(Analyze("FROM a\nRUN x \\").Findings.Exists(e => e.IsError));
        var openArray = Analyze("FROM a\nCMD [\"x\"");
        Assert.True(openArray.IsOk);
        Assert.Contains(openArray.Warnings, w => w.Code == DiagnosticCodes.DockerfileNotJson);
        Assert.False(Analyze("\0\u0001\uFFFF<<\n`\\").IsOk);
    }

    [Fact]
    public void Deeply_nested_substitutions_do_not_overflow_the_stack()
    {
        var nested = string.Concat(Enumerable.Repeat("${A:+", 100_000)) + "/x" + new string('}', 100_000);
        var info = Info("FROM scratch\nENV A=y\nWORKDIR " + nested + "\n");

        Assert.IsType<WorkdirSetting.Unresolved>(info.Workdir);
    }
}
