using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Integration.Engine;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Slots;
using Boinc.Persist.Shell.Verification.Fakes;
using Docker.DotNet.Models;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Protocol;

/// <summary>
/// Inputs without sed, in a REAL container: the job opens its logical names in WORKDIR and gets the right
/// bytes for a copy, a link file and a symlink; it writes its output through a link file into the project
/// directory; BOINC's link files on the host are untouched.
/// </summary>
[Collection(EngineCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InputMountContainerTests(EngineFixture engine)
{
    private const uint SlotOwner = 1000;

    [Theory]
    [InlineData("resolve")]
    [InlineData("as-written")]
    public async Task A_job_reads_copies_link_files_and_symlinks_and_writes_its_output_in_either_link_file_mode(string mode)
    {
        // Given a slot as the client lays it out: a copy, a link file, a symlink, an output link
        using var root = engine.NewTempRoot();
        var result = $"wu{Guid.NewGuid():N}"[..14] + "_0";
        var task = FakeTask.Default(result);
        var slot = FakeSlot.Create(Path.Combine(root.Path, "boinc"), task, new[]
        {
            new FakeInput("copy.txt", "copy_v1.txt", Option<byte[]>.Some(Encoding.ASCII.GetBytes("copied bytes\n")), FakeInputKind.Copy),
            new FakeInput("in.txt", "in_v2.txt", Option<byte[]>.Some(Encoding.ASCII.GetBytes("linked bytes\n")), FakeInputKind.LinkFile),
            new FakeInput("sym.dat", "sym_v3.dat", Option<byte[]>.Some(Encoding.ASCII.GetBytes("symlinked bytes\n")), FakeInputKind.Symlink),
            new FakeInput("out.txt", result + "_0", Option<byte[]>.None, FakeInputKind.LinkFile),
        }.ToSeq());
        Chown(slot.SlotDir);
        var linkText = await File.ReadAllTextAsync(Path.Combine(slot.SlotDir, "in.txt"));

        // And the plan, with the link facts the shell gathers, and the outputs it creates
        var ctx = InitDataReader.Read(slot.SlotDir).Value.IfNone(() => throw new InvalidOperationException("init_data.xml"));
        var listing = SlotReader.Read(slot.SlotDir).Value.IfNone(() => throw new InvalidOperationException("listing"));
        var links = InputMounts.Links(listing, ctx, WrapperFiles.Default);
        Assert.True(links.Findings.IsEmpty, string.Join("; ", links.Findings));
        var linkSeq = links.Value.IfNone(Seq<SlotLink>.Empty);
        var existing = new LanguageExt.HashSet<string>(linkSeq.Map(l => l.PhysicalName).Filter(p => File.Exists(Path.Combine(slot.ProjectDir, p))));
        var job = JobConfigReader.Parse("job.toml", $"[inputs]\nlink_files = \"{mode}\"\n").Value.IfNone(() => throw new InvalidOperationException("job.toml"));
        var input = new PlanInput(
            job,
            new DockerfileFacts("Dockerfile", "FROM boinc-persist/busybox:1\nWORKDIR /app\n", Option<(string, int)>.Some(("/app", 2)), Option<string>.None),
            new TaskIdentity(ctx.ProjectDirName, ctx.WuName, ctx.ResultName, ctx.Slot, 1, 256.0 * 1024 * 1024),
            new HostFacts(slot.SlotDir, slot.ProjectDir, SlotOwner, SlotOwner),
            Seq<string>.Empty) { Links = new LinkFacts(linkSeq, existing) };
        var planned = Planner.Make(input);
        Assert.True(planned.Errors.IsEmpty, string.Join("; ", planned.Errors.Map(e => e.Message)));
        var plan = planned.Value.IfNone(() => throw new InvalidOperationException("plan"));
        foreach (var output in InputMounts.OutputsToCreate(plan))
        {
            using (new FileStream(output, FileMode.OpenOrCreate, FileAccess.Write)) { }
            Chown(output);
        }

        // When the job reads by logical names and writes its output
        // (resolve: by logical name; as-written: the link file as written, the project file where its relative path lands)
        var projects = $"/projects/{ctx.ProjectDirName}";
        var exit = await Run(plan, mode == "resolve"
            ? "cat /app/copy.txt > /app/r_copy; cat /app/in.txt > /app/r_in; cat /app/sym.dat > /app/r_sym; " +
              "echo 'the result' > /app/out.txt; if echo x > /app/in.txt; then echo wrote > /app/r_ro; else echo refused > /app/r_ro; fi; exit 0"
            : $"cat /app/copy.txt > /app/r_copy; cat /app/in.txt > /app/r_link; cat {projects}/in_v2.txt > /app/r_in; cat /app/sym.dat > /app/r_sym; " +
              $"echo 'the result' > {projects}/{result}_0; if echo x > {projects}/in_v2.txt; then echo wrote > /app/r_ro; else echo refused > /app/r_ro; fi; exit 0");

        // Then
        Assert.Equal(0, exit);
        string Slot(string name) => File.ReadAllText(Path.Combine(slot.SlotDir, name));
        Assert.Equal("copied bytes\n", Slot("r_copy"));
        Assert.Equal("linked bytes\n", Slot("r_in"));
        Assert.Equal("symlinked bytes\n", Slot("r_sym"));
        Assert.Equal("refused\n", Slot("r_ro"));
        Assert.Equal("the result\n", File.ReadAllText(Path.Combine(slot.ProjectDir, result + "_0")));
        Assert.Equal(linkText, Slot("in.txt"));
        if (mode != "resolve") Assert.Equal(linkText, Slot("r_link"));
        Assert.StartsWith("<soft_link>", Slot("out.txt"));
        Assert.Equal("linked bytes\n", File.ReadAllText(Path.Combine(slot.ProjectDir, "in_v2.txt")));
    }

    private async Task<long> Run(Plan plan, string script)
    {
        var parameters = Boinc.Persist.TestSupport.CreateBodies.Parameters(plan.Container, engine.BaseImage);
        parameters.Labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in engine.TestLabels) parameters.Labels[key] = value;
        parameters.Cmd = ["/bin/sh", "-c", script];
        string? id = null;
        try
        {
            var created = await engine.Call((docker, ct) => docker.Containers.CreateContainerAsync(parameters, ct));
            id = created.ID;
            await engine.Call((docker, ct) => docker.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct));
            var waited = await engine.Call((docker, ct) => docker.Containers.WaitContainerAsync(id, ct), TimeSpan.FromSeconds(30));
            return waited.StatusCode;
        }
        finally
        {
            if (id is not null)
                await engine.Call((docker, ct) => docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, ct));
        }
    }

    private static void Chown(string path)
    {
        if (ChownNative(path, SlotOwner, SlotOwner) != 0)
            throw new IOException($"chown {path} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}); the tests run as root");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int ChownNative(string path, uint owner, uint group);
}
