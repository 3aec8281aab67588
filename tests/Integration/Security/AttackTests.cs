using Boinc.Persist.Core.Diagnostics;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Integration.Engine;
using Boinc.Persist.Integration.Run;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Engine;
using Docker.DotNet;
using Docker.DotNet.Models;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Security;

/// <summary>
/// The attacks of issue 14, each as a job (or a slot a job left) run by the real wrapper on a real engine: each
/// now fails for the job, with a clear message and the job's committed work intact.
/// </summary>
[Collection(ClientCollection.Name)]
public sealed class AttackTests(EngineFixture engine) : IDisposable
{
    private const string Checkpointed = """
        project_dir_mount = "/project"

        [checkpoint]
        files = ["state.txt"]
        done_marker = "checkpoint.done"

        [lifecycle]
        stop_grace = "5s"
        """;

    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(120);

    private readonly TempRoot temp = engine.NewTempRoot();
    private readonly List<JobSlot> slots = new();

    public void Dispose()
    {
        var leaked = JobSlot.RemoveLeftovers(engine, slots);
        temp.Dispose();
        Assert.True(leaked.Count == 0, "the wrapper left containers behind: " + string.Join(", ", leaked));
    }

    private JobSlot NewSlot(string jobToml, string? dockerfile = null, IReadOnlyDictionary<string, string>? projectFiles = null)
    {
        var slot = JobSlot.Create(temp, engine, jobToml, dockerfile, projectFiles: projectFiles);
        slots.Add(slot);
        return slot;
    }

    private string ScriptJob() => $"FROM {engine.BaseImage}\nWORKDIR /app\nCMD [\"/bin/sh\", \"/project/attack.sh\"]\n";

    private static IReadOnlyDictionary<string, string> Script(string body) => new Dictionary<string, string> { ["attack.sh"] = body };

    private string HostDir(string name)
    {
        var dir = Path.Combine(temp.Path, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "host-only"), "HOST-SECRET-77");
        return dir;
    }

    [Fact]
    public async Task The_job_cannot_write_replace_or_remove_its_configuration_or_boincs_files()
    {
        // Given a job that tries, from inside its container, to rewrite job.toml and the Dockerfile, and to
        // remove or replace init_data.xml, stderr.txt and boinc_lockfile
        var slot = NewSlot("project_dir_mount = \"/project\"\n", ScriptJob(), Script("""
            cd /app
            t() { if sh -c "$1" 2>/dev/null; then echo "$2 written"; else echo "$2 refused"; fi; }
            {
            t 'echo network = \"host\" >> job.toml' job.toml
            t 'echo FROM evil > Dockerfile' Dockerfile
            t 'rm -f init_data.xml' init_data.xml
            t 'ln -sf /etc/passwd stderr.txt' stderr.txt
            t 'mv boinc_lockfile lock.moved' boinc_lockfile
            } > outcome.txt
            """));
        var jobToml = File.ReadAllText(slot.SlotFile("job.toml"));

        // When
        using var wrapper = WrapperProcess.Start(slot.SlotDir);
        var code = await wrapper.WaitForExit(JobTimeout);

        // Then every attempt was refused by the kernel (read-only mounts), and the files are as they were
        Assert.True(code == 0, wrapper.StderrTail());
        var outcome = slot.ReadSlotFile("outcome.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, outcome.Length);
        Assert.All(outcome, line => Assert.EndsWith("refused", line));
        Assert.Equal(jobToml, File.ReadAllText(slot.SlotFile("job.toml")));
        Assert.True(File.Exists(slot.SlotFile("init_data.xml")));
        Assert.Null(new FileInfo(slot.SlotFile("stderr.txt")).LinkTarget);
    }

    [Fact]
    public async Task A_changed_job_toml_is_refused_at_the_next_start_naming_the_file_and_the_committed_work_stays()
    {
        // Given a job with committed work, whose wrapper and container are gone (a crash)
        var slot = NewSlot(Checkpointed);
        int committed;
        using (var first = WrapperProcess.Start(slot.SlotDir, "--steps", "60", "--work", "20000", "--ckpt-every", "5"))
        {
            await WaitFor(() => CommittedStep.Of(slot.SlotDir) >= 5, first);
            first.Kill();
            committed = CommittedStep.Of(slot.SlotDir);
        }

        await RemoveContainer(slot);

        // When job.toml has changed meanwhile (here: its link now names another project file)
        slot.WriteProjectFile("evil.toml", Checkpointed + "\n[confinement]\nread_only_rootfs = false\n");
        slot.Link("job.toml", "evil.toml");
        using var second = WrapperProcess.Start(slot.SlotDir, "--steps", "60", "--work", "20000", "--ckpt-every", "5");
        var code = await second.WaitForExit(JobTimeout);

        // Then a compute error naming job.toml, no container, and the committed generation still verifies
        Assert.Equal(1, code);
        var stderr = second.StderrTail();
        Assert.Contains(DiagnosticCodes.PinChanged.Id, stderr);
        Assert.Contains("job.toml changed since the task first started", stderr);
        Assert.Null(await FindContainer(slot));
        Assert.Equal(committed, CommittedStep.Of(slot.SlotDir));
    }

    [Fact]
    public async Task Fraction_done_as_a_link_to_a_host_file_or_a_fifo_neither_leaks_nor_hangs_the_wrapper()
    {
        // Given a job that makes fraction_done a link to a host file, then a FIFO nobody writes
        var host = HostDir("host");
        var slot = NewSlot("project_dir_mount = \"/project\"\n", ScriptJob(), Script($"""
            cd /app
            ln -sf {host}/host-only fraction_done
            sleep 3
            rm -f fraction_done
            mkfifo fraction_done
            sleep 3
            echo finished > outcome.txt
            """));

        // When (verbose: the old wrapper printed fraction_done's first token)
        using var wrapper = WrapperProcess.Start(slot.SlotDir, "--verbose");
        var code = await wrapper.WaitForExit(JobTimeout);

        // Then the job ran to its end, the wrapper finished, and the host file's bytes are nowhere in the log
        Assert.True(code == 0, wrapper.StderrTail());
        Assert.Equal("finished", slot.ReadSlotFile("outcome.txt").Trim());
        Assert.DoesNotContain("HOST-SECRET-77", File.ReadAllText(slot.SlotFile("stderr.txt")));
        Assert.Null(await FindContainer(slot));
    }

    [Fact]
    public async Task A_boinc_lockfile_planted_as_a_link_is_replaced_never_created_through()
    {
        // Given a slot where boinc_lockfile is a link to a host path that does not exist yet
        var host = HostDir("lockhost");
        var target = Path.Combine(host, "created-by-the-wrapper");
        var slot = NewSlot(Checkpointed);
        File.CreateSymbolicLink(slot.SlotFile("boinc_lockfile"), target);

        // When
        using var wrapper = WrapperProcess.Start(slot.SlotDir, "--steps", "10", "--work", "20000", "--ckpt-every", "5");
        var code = await wrapper.WaitForExit(JobTimeout);

        // Then the job ran and nothing was created at the link's target
        Assert.True(code == 0, wrapper.StderrTail());
        Assert.False(File.Exists(target), "the wrapper created the planted link's target");
    }

    [Theory]
    [InlineData("dotdot", nameof(DiagnosticCodes.ConfigMountSourceEscapes))]
    [InlineData("link", nameof(DiagnosticCodes.MountSourceUnusable))]
    [InlineData("state", nameof(DiagnosticCodes.PlanMountRefused))]
    [InlineData("slot", nameof(DiagnosticCodes.PlanMountRefused))]
    public async Task Mount_sources_that_escape_or_overlap_are_refused_before_any_container(string kind, string code)
    {
        // Given a job.toml mount whose source climbs out of the project directory, is a link in the slot to a
        // host directory, is the wrapper's state, or is the slot itself again
        var host = HostDir("mounthost");
        var slot = NewSlot("");
        var source = kind switch
        {
            "dotdot" => $"{slot.ProjectDir}/../../mounthost",
            "link" => "sub/data",
            "state" => ".boinc-persist",
            _ => slot.SlotDir,
        };
        slot.WriteProjectFile("job_1.toml", $"project_dir_mount = \"/project\"\nmount = [\"{source}:/data\"]\n\n[confinement]\nallow_host_mounts = true\n");
        if (kind == "link")
        {
            Directory.CreateDirectory(slot.SlotFile("sub"));
            Directory.CreateSymbolicLink(slot.SlotFile("sub/data"), host);
        }

        // When
        using var wrapper = WrapperProcess.Start(slot.SlotDir);
        var exit = await wrapper.WaitForExit(JobTimeout);

        // Then a compute error that says why, and no container
        Assert.Equal(1, exit);
        var id = ((DiagnosticCode)typeof(DiagnosticCodes).GetField(code)!.GetValue(null)!).Id;
        Assert.True(wrapper.StderrTail().Contains(id, StringComparison.Ordinal), wrapper.StderrTail());
        Assert.Null(await FindContainer(slot));
        Assert.Equal(new[] { "host-only" }, Directory.GetFileSystemEntries(host).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_output_flood_without_newlines_leaves_a_bounded_stderr_with_head_tail_and_a_note()
    {
        // Given a job that prints 2 MB on one line (four times stderr.txt's bound, below one file of the engine's
        // own bounded log, so the head is still there however late the relay attaches, and small enough that the
        // relay has it all within the wrapper's 10 s drain on a loaded machine), then a last line, and exits at once
        var slot = NewSlot("project_dir_mount = \"/project\"\n", ScriptJob(), Script("""
            echo first-line
            yes x | tr -d '\n' | head -c 2000000
            echo
            echo last-line
            """));

        // When
        using var wrapper = WrapperProcess.Start(slot.SlotDir);
        var code = await wrapper.WaitForExit(JobTimeout);

        // Then stderr.txt holds its head and tail only, says what was cut, and no line is longer than the cap
        Assert.True(code == 0, wrapper.StderrTail());
        var text = File.ReadAllText(slot.SlotFile("stderr.txt"));
        Assert.True(text.Length < 2 * (BoundedLogBytes + 64 * 1024), $"stderr.txt is {text.Length} chars");
        Assert.Contains("first-line", text);
        // And the job's last line is there, once (the end of the run drains the relay instead of cancelling it, and
        // what the engine's follow stream did not send is read from its stored log without relaying anything twice)
        Assert.True(Occurrences(text, "[job] last-line") == 1 && Occurrences(text, "[job] first-line") == 1,
            $"last-line {Occurrences(text, "[job] last-line")} time(s), first-line {Occurrences(text, "[job] first-line")}; the end of stderr.txt: " + text[^Math.Min(text.Length, 400)..]);
        Assert.True(text.Contains("bytes of output cut here", StringComparison.Ordinal),
            "no cut note; the wrapper said: " + string.Join(" | ", text.Split('\n').Where(l => l.Contains("boinc-persist:", StringComparison.Ordinal)).TakeLast(8)));
        Assert.True(text.IndexOf("bytes of output cut here", StringComparison.Ordinal) < text.LastIndexOf("[job] xxxxxxxx", StringComparison.Ordinal),
            "the tail of the output follows the note");
        Assert.All(text.Split('\n'), l => Assert.True(l.Length < Shell.Slots.BoundedLogWriter.MaxLineChars + 200, $"a line of {l.Length} chars"));
    }

    private static int Occurrences(string text, string what) =>
        (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;

    private const int BoundedLogBytes = Shell.Slots.BoundedLogWriter.HeadBytes + Shell.Slots.BoundedLogWriter.TailBytes;

    [Fact]
    public async Task Relaxations_need_the_hosts_policy_and_are_logged_when_accepted()
    {
        // Given a job asking for SYS_PTRACE
        var toml = "project_dir_mount = \"/project\"\n\n[confinement]\ncap_add = [\"SYS_PTRACE\"]\n";
        var refused = NewSlot(toml);

        // When no policy accepts it: a compute error naming the capability and the key
        using (var wrapper = WrapperProcess.Start(refused.SlotDir))
        {
            Assert.Equal(1, await wrapper.WaitForExit(JobTimeout));
            var stderr = wrapper.StderrTail();
            Assert.Contains(DiagnosticCodes.PolicyCapabilityRefused.Id, stderr);
            Assert.Contains("SYS_PTRACE", stderr);
            Assert.Contains("confinement.cap_add", stderr);
        }

        Assert.Null(await FindContainer(refused));

        // When the volunteer's policy accepts it: the job runs, and the relaxation is in the log
        var policy = Path.Combine(temp.Path, "policy.toml");
        File.WriteAllText(policy, "[accept]\ncapabilities = [\"SYS_PTRACE\"]\n");
        using var second = engine.NewTempRoot("relaxations-accepted");
        var accepted = JobSlot.Create(second, engine, toml);
        slots.Add(accepted);
        using (var wrapper = WrapperProcess.Start(accepted.SlotDir, new Dictionary<string, string> { ["BOINC_PERSIST_POLICY"] = policy },
                   "--steps", "5", "--work", "2000", "--ckpt-every", "5"))
        {
            var code = await wrapper.WaitForExit(JobTimeout);
            Assert.True(code == 0, wrapper.StderrTail());
            Assert.Contains("relaxation in force: capabilities added back: SYS_PTRACE", File.ReadAllText(accepted.SlotFile("stderr.txt")));
        }
    }

    [Fact]
    public async Task Removing_an_image_by_a_jobs_image_name_spares_images_without_our_owner_label()
    {
        // Given someone's image (no owner label) that a job names in image_name
        var victim = $"bp-test/victim-{Guid.NewGuid().ToString("N")[..8]}:1";
        var (repo, tag) = (victim.Split(':')[0], "1");
        await engine.Call((d, ct) => d.Images.TagImageAsync(engine.BaseImage, new ImageTagParameters { RepositoryName = repo, Tag = tag }, ct));
        using var adapter = new DockerEngine(new EngineEndpoint(engine.Endpoint, "test"));
        try
        {
            // When the wrapper's abort path asks to remove it
            var removed = await adapter.RemoveImageIfUnused(victim, default);

            // Then it is kept
            Assert.True(removed.Match(r => !r, _ => false), $"{removed}");
            var still = await engine.Call((d, ct) => d.Images.InspectImageAsync(victim, ct));
            Assert.NotNull(still);
        }
        finally
        {
            await engine.Call((d, ct) => d.Images.DeleteImageAsync(victim, new ImageDeleteParameters { Force = false }, ct));
        }
    }

    private async Task WaitFor(Func<bool> condition, WrapperProcess wrapper)
    {
        var deadline = DateTime.UtcNow + JobTimeout;
        while (!condition())
        {
            if (wrapper.HasExited)
                throw new InvalidOperationException($"the wrapper exited early; stderr.txt:\n{wrapper.StderrTail()}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"condition not met within {JobTimeout}; stderr.txt:\n{wrapper.StderrTail()}");
            await Task.Delay(100);
        }
    }

    private async Task<ContainerListResponse?> FindContainer(JobSlot slot)
    {
        var all = await engine.Call((docker, ct) => docker.Containers.ListContainersAsync(new ContainersListParameters { All = true }, ct));
        return all.FirstOrDefault(c => c.Names.Any(n => n.TrimStart('/') == slot.ContainerName));
    }

    private async Task RemoveContainer(JobSlot slot)
    {
        try
        {
            await engine.Call((docker, ct) => docker.Containers.RemoveContainerAsync(slot.ContainerName, new ContainerRemoveParameters { Force = true }, ct));
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }
}
