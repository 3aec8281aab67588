using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace Boinc.Persist.Properties.Architecture;

/// <summary>
/// The rule of issue 14: the slot is touched through <c>Shell/Slots/SlotFiles</c> (openat2, no symlink followed)
/// and nothing else. Enforced on the Shell's source: a path-based file API (<c>File.*</c>, <c>Directory.*</c>,
/// <c>FileInfo</c>, <c>DirectoryInfo</c>, <c>FileSystemInfo</c>, path-taking
/// <c>FileStream</c>/<c>StreamReader</c>/<c>StreamWriter</c> constructors, <c>Libc.Open</c>)
/// may appear only in the files listed below, each with the reason its paths are not slot paths; aliases and
/// <c>using static</c> of those types, which would hide a call from this scan, are forbidden everywhere. A new file
/// that needs one must be added here with its reason, in review.
/// </summary>
public class SlotIoTests
{
    private static readonly Dictionary<string, string> Allowed = new()
    {
        ["Jobs/JobDirectory.cs"] = "the slot directory's own existence, and job files that links resolve into the PROJECT directory",
        ["Host/PolicyFile.cs"] = "the host policy in /etc/boinc-persist",
        ["Engine/JournalFile.cs"] = "/proc/sys/kernel/random/boot_id",
        ["Engine/CgroupCpu.cs"] = "/proc and cgroup files",
        ["Engine/CgroupMemory.cs"] = "/proc and cgroup files",
        ["Engine/CgroupPaths.cs"] = "/proc/PID/cgroup and /proc/self/mountinfo, read once per container start",
        ["Engine/EngineProbe.cs"] = "engine sockets and config",
        ["Engine/HostLock.cs"] = "the host-wide lock directory",
        ["Engine/DockerEngine.Images.cs"] = "the engine's build progress, read from its HTTP answer",
        ["Engine/PodmanHostFacts.cs"] = "/sys and /proc facts",
        ["Engine/PodmanService.cs"] = "the private Podman service's socket and run directory",
        ["Doctor/DoctorCommand.cs"] = "/etc/subuid and /etc/subgid",
        ["Program.cs"] = "the current directory's name",
        ["Checkpoints/CheckpointsCommand.cs"] = "whether the slot directory named on the command line exists",
        ["Verification/BenchCommand.cs"] = "a scratch directory the benchmark creates and plays the app in",
        ["Verification/CommitFloor.cs"] = "the benchmarks' scratch directory: the protocol's file operations alone, as a cost floor, never a slot",
        ["Verification/TortureCommand.cs"] = "a scratch slot where it plays the app",
        ["Verification/CrashExploreCommand.cs"] = "crash-explore's scratch directory, where it plays the app and builds crash states (issue 19)",
        ["Verification/Fakes/FakeClient.cs"] = "plays the BOINC client, which owns the slot",
        ["Verification/Fakes/FakeSlot.cs"] = "plays the BOINC client, which lays out the slot",
        ["Verification/Conform/ConformCommand.cs"] = "the conformance harness plays the client and the project",
        ["Verification/Conform/ScenarioPlays.Faults.cs"] = "the conformance harness plays the client and the project",
        ["Verification/Conform/Trial.cs"] = "the conformance harness plays the client and the project",
        ["Verification/Conform/Workload.cs"] = "the conformance harness plays the client and the project",
        ["Verification/Conform/WrapperUnderTest.cs"] = "the conformance harness plays the client and the project",
        ["Cli/CompatCommand.cs"] = "the docker_wrapper app directory named on the command line, not a slot",
        ["Run/HostBoot.cs"] = "/proc/stat (the host's boot time)",
        ["Run/ProjectOutputs.cs"] = "output files named by link files: project-directory paths from the plan, not slot paths",
        ["Engine/ImageUse.cs"] = "the host-wide image lock and use-record directories (imagegc)",
        ["Gc/ImageLifecycle.cs"] = "the host policy file, and the names of BOINC's slot directories (their journals are read through the accessor)",
        ["Gc/ImageCollector.cs"] = "whether a slot directory named by a label or a use record still exists (its journal is read through the accessor)",
        ["Gc/GarbageCollector.cs"] = "whether the slot directory our own container label names still exists (its journal is read through the accessor)",
    };

    private static readonly Regex PathApi = new(
        @"(?:(?<![.\w])|(?<=System\.IO\.))(File|Directory|FileInfo|DirectoryInfo|FileSystemInfo)\s*\.\s*[A-Z]\w*\s*\(" +
        @"|new\s+(FileInfo|DirectoryInfo)\s*\(" +
        @"|new\s+(FileStream|StreamReader|StreamWriter)\s*\(\s*(?!handle\b|Handle\()" +
        @"|(?<![.\w])Libc\s*\.\s*Open\s*\(",
        RegexOptions.Compiled);

    private static readonly Regex Hiding = new(
        @"using\s+static\s+System\.IO\.(File|Directory)\b|using\s+\w+\s*=\s*System\.IO\.(File|Directory|FileInfo|DirectoryInfo)\b",
        RegexOptions.Compiled);

    private static string ShellDir() => Path.Combine(RepoRoot.Path, "src", "Shell");

    private static IEnumerable<(string File, int Line, string Text)> Hits(Regex regex)
    {
        var shell = ShellDir();
        foreach (var file in Directory.EnumerateFiles(shell, "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal)))
        {
            var rel = Path.GetRelativePath(shell, file).Replace('\\', '/');
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var code = lines[i].TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal)) continue;
                if (regex.IsMatch(lines[i])) yield return (rel, i + 1, lines[i].Trim());
            }
        }
    }

    [Fact]
    public void Path_based_file_apis_appear_only_in_files_whose_paths_are_not_slot_paths()
    {
        var offending = Hits(PathApi).Where(h => !Allowed.ContainsKey(h.File)).Select(h => $"{h.File}:{h.Line}: {h.Text}").ToList();
        Assert.True(offending.Count == 0,
            "slot I/O must go through SlotFiles (or add the file to the allow-list with why its paths are not slot paths):\n" + string.Join("\n", offending));
    }

    [Fact]
    public void The_allow_list_names_only_files_that_still_need_it()
    {
        var using_ = Hits(PathApi).Select(h => h.File).ToHashSet();
        var stale = Allowed.Keys.Where(k => !using_.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "allowed but no longer using path-based file APIs (remove them): " + string.Join(", ", stale));
    }

    [Fact]
    public void No_alias_or_using_static_hides_a_file_api_from_the_scan()
    {
        var hidden = Hits(Hiding).Select(h => $"{h.File}:{h.Line}: {h.Text}").ToList();
        Assert.True(hidden.Count == 0, string.Join("\n", hidden));
    }

    [Fact]
    public void The_scan_finds_a_path_based_call()
    {
        // The rule's own check: these are what it must catch.
        Assert.Matches(PathApi, "var x = File.ReadAllText(Path.Combine(slot, \"a\"));");
        Assert.Matches(PathApi, "using var s = new FileStream(path, FileMode.Open);");
        Assert.Matches(PathApi, "System.IO.Directory.CreateDirectory(d);");
        Assert.DoesNotMatch(PathApi, "new SlotEntryKind.Directory()");
        Assert.DoesNotMatch(PathApi, "Content = new FileStream(handle, FileAccess.Read, 0);");
    }
}
