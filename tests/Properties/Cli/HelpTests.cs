using System.IO;
using System.Linq;
using Boinc.Persist.Shell;
using Xunit;

namespace Boinc.Persist.Properties.Cli;

/// <summary>
/// Every command of the binary answers <c>--help</c> (and <c>help NAME</c>) with its own usage, exit 0, and
/// without doing its work (<c>run --help</c> must not start a job, <c>gc --help</c> must not need an engine);
/// the top-level <c>--help</c> lists every command with its one line. The commands are the table the binary
/// dispatches on (<see cref="Program.Commands"/>), so a command added to it is covered here.
/// </summary>
public sealed class HelpTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = Program.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in Program.Commands) data.Add(c.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_command_answers_help_with_its_own_usage_and_does_nothing_else(string name)
    {
        foreach (var flag in new[] { "--help", "-h" })
        {
            var (code, stdout, stderr) = Run(name, flag);
            Assert.Equal(Program.Ok, code);
            Assert.Equal("", stderr);
            Assert.StartsWith($"boinc-persist {name}", stdout.TrimStart());
        }

        var viaHelp = Run("help", name);
        Assert.Equal(Program.Ok, viaHelp.Code);
        Assert.Equal(Run(name, "--help").Out, viaHelp.Out);
    }

    [Fact]
    public void The_top_level_help_lists_every_command_with_its_one_line()
    {
        var (code, stdout, stderr) = Run("--help");
        Assert.Equal(Program.Ok, code);
        Assert.Equal("", stderr);
        var lines = stdout.Split('\n');
        foreach (var c in Program.Commands)
        {
            Assert.False(string.IsNullOrWhiteSpace(c.Summary), c.Name);
            Assert.DoesNotContain('\n', c.Summary);
            Assert.Contains(lines, l => l.TrimStart().StartsWith(c.Name + " ") && l.TrimEnd().EndsWith(c.Summary));
        }

        Assert.Equal(stdout, Run("help").Out);
        Assert.Equal(Program.Commands.Count, Program.Commands.Select(c => c.Name).Distinct().Count());
    }

    [Fact]
    public void Help_for_an_unknown_command_is_a_usage_error_that_names_it()
    {
        var (code, stdout, stderr) = Run("help", "frobnicate");
        Assert.Equal(Program.Usage, code);
        Assert.Equal("", stdout);
        Assert.Contains("'frobnicate'", stderr);
    }
}
