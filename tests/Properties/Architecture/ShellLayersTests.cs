using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace Boinc.Persist.Properties.Architecture;

/// <summary>
/// The Shell's folders form layers, not loops, and the engine has one adapter: a folder refers to another by a
/// <c>using</c>, a qualified name (<c>Boinc.Persist.Shell.Gc.X</c>) or a partly qualified one (<c>Gc.X</c>),
/// doc references included, and no chain of such references leads back to where it started; Docker.DotNet is
/// referenced only under <c>src/Shell/Engine/</c>. docs/ARCHITECTURE.md's import table is this graph.
/// </summary>
public sealed class ShellLayersTests
{
    private static readonly string Shell = Path.Combine(RepoRoot.Path, "src", "Shell");

    private static string[] Folders() =>
        Directory.GetDirectories(Shell).Select(Path.GetFileName).OfType<string>()
            .Where(d => d is not ("bin" or "obj")).ToArray();

    private static IEnumerable<(string Folder, string File)> Sources() =>
        Directory.EnumerateFiles(Shell, "*.cs", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Shell, p).Replace('\\', '/'))
            .Where(p => p.Contains('/') && !p.StartsWith("obj/") && !p.StartsWith("bin/"))
            .Select(p => (p[..p.IndexOf('/')], p));

    /// <summary>Folder → the folders it refers to, each with one file and line that shows it.</summary>
    public static Dictionary<string, Dictionary<string, string>> Graph()
    {
        var folders = Folders();
        var reference = new Regex(
            @"Boinc\.Persist\.Shell\.(?<f>\w+)|(?<![.\w])(?<f>" + string.Join("|", folders) + @")\.(?!Persist\b)[A-Z]");
        var graph = folders.ToDictionary(f => f, _ => new Dictionary<string, string>());
        foreach (var (folder, file) in Sources())
        {
            var lines = File.ReadAllLines(Path.Combine(Shell, file));
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match m in reference.Matches(lines[i]))
                {
                    var to = m.Groups["f"].Value;
                    if (to != folder && folders.Contains(to))
                        graph[folder].TryAdd(to, $"{file}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        return graph;
    }

    [Fact]
    public void No_chain_of_references_between_Shell_folders_leads_back_to_its_start()
    {
        var graph = Graph();
        Assert.Contains("Engine", graph["Run"].Keys); // the scan sees references at all

        var loops = new List<string>();
        foreach (var start in graph.Keys)
        {
            // Depth-first from start; a path that reaches start again is a loop (reported once per start).
            var stack = new Stack<List<string>>();
            stack.Push(new List<string> { start });
            var seen = new HashSet<string>();
            while (stack.Count > 0 && loops.Count < 20)
            {
                var path = stack.Pop();
                foreach (var next in graph[path[^1]].Keys)
                {
                    if (next == start)
                    {
                        var steps = path.Zip(path.Skip(1).Append(start), (a, b) => $"  {a} -> {b}  ({graph[a][b]})");
                        loops.Add(string.Join(" -> ", path.Append(start)) + "\n" + string.Join("\n", steps));
                        stack.Clear();
                        break;
                    }

                    if (seen.Add(next))
                        stack.Push(path.Append(next).ToList());
                }
            }
        }

        Assert.True(loops.Count == 0, "import loops between Shell folders:\n" + string.Join("\n", loops.Distinct()));
    }

    [Fact]
    public void The_engine_is_spoken_to_only_by_the_engine_adapter_with_neither_Docker_DotNet_nor_HttpClient()
    {
        // Issue 17: the wrapper's own engine client (Engine/EngineApi.cs, Engine/EngineHttp.cs) replaced
        // Docker.DotNet and HttpClient; the tests alone still use Docker.DotNet, to look at containers from outside.
        var referenced = typeof(Boinc.Persist.Shell.Program).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.DoesNotContain(referenced, a => a.StartsWith("Docker.DotNet", StringComparison.Ordinal) || a == "System.Net.Http");
        var users = Sources()
            .Where(s => File.ReadAllText(Path.Combine(Shell, s.File)).Contains("using System.Net.Sockets;", StringComparison.Ordinal))
            .ToArray();
        Assert.Contains(users, u => u.File == "Engine/EngineApi.cs");
        var outside = users.Where(u => u.Folder != "Engine").Select(u => u.File).ToArray();
        Assert.True(outside.Length == 0, "sockets outside src/Shell/Engine/: " + string.Join(", ", outside));
    }

    [Fact]
    public void Init_data_xml_is_read_once_per_command_and_by_the_job_directory_for_run_check_and_plan()
    {
        // run, check and plan read it in JobDirectory.Load (the run's engine preference comes from there);
        // doctor (the engine preference alone) and compat (an app directory) each read it once on their own.
        var read = new Regex(@"InitDataReader\s*\.\s*Read\s*\(|SlotContexts\s*\.\s*Parse\s*\(");
        var readers = Sources()
            .Where(s => read.IsMatch(File.ReadAllText(Path.Combine(Shell, s.File))))
            .Select(s => s.File)
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(
            new[] { "Cli/CompatCommand.cs", "Doctor/DoctorCommand.cs", "Jobs/JobDirectory.cs", "Slots/InitDataReader.cs" },
            readers);
    }

    [Fact]
    public void The_architecture_docs_import_table_is_the_graph()
    {
        var whole = File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", "ARCHITECTURE.md"));
        const string Header = "| Shell folder | imports (Shell) |";
        Assert.Contains(Header, whole);
        var doc = whole[whole.IndexOf(Header, StringComparison.Ordinal)..];
        doc = doc[..(doc.IndexOf("\n\n", StringComparison.Ordinal) is var end and > 0 ? end : doc.Length)];
        var missing = new List<string>();
        foreach (var (folder, targets) in Graph().Where(g => g.Key != "Verification"))
        {
            var row = Regex.Match(doc, @"^\| `" + folder + @"`[^|]*\| (?<to>[^|]*)\|", RegexOptions.Multiline);
            if (!row.Success)
            {
                missing.Add($"no row for `{folder}`");
                continue;
            }

            var listed = Regex.Matches(row.Groups["to"].Value, @"\w+").Select(m => m.Value).ToHashSet();
            if (targets.Count == 0 ? !listed.Contains("nothing") : !listed.SetEquals(targets.Keys))
                missing.Add($"`{folder}` imports {(targets.Count == 0 ? "nothing" : string.Join(", ", targets.Keys.Order()))}; the table says {row.Groups["to"].Value.Trim()}");
        }

        Assert.True(missing.Count == 0, "docs/ARCHITECTURE.md's Shell import table:\n" + string.Join("\n", missing));
    }
}
