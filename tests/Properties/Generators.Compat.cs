using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;

namespace Boinc.Persist.Properties;

/// <summary>
/// An existing docker_wrapper app as projects write them: job.toml with docker_wrapper's top-level keys only
/// (or none at all), create_args/build_args mixing options we accept and options we refuse, and a Dockerfile
/// with or without WORKDIR, USER, COPY and ADD.
/// </summary>
public sealed record DockerWrapperApp(string? JobToml, string Dockerfile)
{
    public override string ToString() => $"job.toml:\n{JobToml ?? "(none)"}\nDockerfile:\n{Dockerfile}";
}

public static partial class Generators
{
    private static readonly string[] CreateOptionPool =
    {
        "-e A=1", "--env B=two", "--label x=y", "--shm-size 64m", "--init", "--stop-timeout 20", "--memory 1g",
        "--cpus 2", "--pids-limit 100", "--gpus all", "--ulimit nofile=1024:2048", "--tmpfs /scratch",
        "--network host", "--network bridge", "--net none", "--network mynet", "-v /data:/data", "-v named:/cache",
        "--volume ./rel:/rel", "-p 8080:80", "-p 127.0.0.1:9090:90/udp", "--privileged", "--cap-add SYS_PTRACE",
        "--cap-add ALL", "--cap-drop ALL", "--read-only", "--rm", "--restart always", "--name foo", "-u 1000",
        "-u 1000:1000", "--user nobody", "-w /work", "--security-opt no-new-privileges", "--device /dev/fuse",
        "--ipc host",
    };

    private static readonly string[] BuildOptionPool =
    {
        "--build-arg X=1", "--target final", "--label a=b", "--no-cache", "-t myimg:1", "--network host",
        "-f Other.dockerfile", "--secret id=s",
    };

    public static Arbitrary<DockerWrapperApp> DockerWrapperAppArb() => Arb.From(
        from hasJob in ArbMap.Default.GeneratorFor<bool>()
        from workdir in Gen.Elements<string?>(null, "/app", "/work", "/srv/job")
        from projectMount in Gen.Elements<string?>(null, "/project", "/projects/x")
        from create in Gen.SubListOf(CreateOptionPool).Select(l => l.Take(5).ToList())
        from build in Gen.SubListOf(BuildOptionPool).Select(l => l.Take(3).ToList())
        from mounts in Gen.SubListOf(new[] { "/scratch:/scratch", "cache:/cache", "sub/dir:/data:ro", "/opt/x:/x:rw" })
        from ports in Gen.SubListOf(new[] { "9000:90", "127.0.0.1:9001:91", "0.0.0.0:9002:92/udp" })
        from web in Gen.Elements<int?>(null, 8080)
        from gpu in ArbMap.Default.GeneratorFor<bool>()
        from imageName in Gen.Elements<string?>(null, "myproject/app:1")
        from dfWorkdir in Gen.Elements<string?>(null, "/app", "/work", "/opt/app")
        from user in Gen.Elements<string?>(null, "1000", "app")
        from copy in Gen.Elements<string?>(null, "COPY worker /usr/local/bin/", "ADD data.tar /data/", "COPY --from=busybox:1 /bin/sh /bin/sh2")
        select new DockerWrapperApp(
            hasJob ? JobToml(workdir, projectMount, create, build, mounts, ports, web, gpu, imageName) : null,
            string.Join("\n", new[]
            {
                "FROM debian",
                dfWorkdir is null ? null : $"WORKDIR {dfWorkdir}",
                copy,
                user is null ? null : $"USER {user}",
                "CMD ./main.sh ${ARGS}",
            }.Where(l => l is not null)) + "\n"));

    private static string JobToml(string? workdir, string? projectMount, IList<string> create, IList<string> build,
        IList<string> mounts, IList<string> ports, int? web, bool gpu, string? imageName)
    {
        var lines = new List<string>();
        if (workdir is not null) lines.Add($"workdir = \"{workdir}\"");
        if (projectMount is not null) lines.Add($"project_dir_mount = \"{projectMount}\"");
        if (create.Count > 0) lines.Add($"create_args = \"{string.Join(' ', create)}\"");
        if (build.Count > 0) lines.Add($"build_args = \"{string.Join(' ', build)}\"");
        if (mounts.Count > 0) lines.Add($"mount = [{string.Join(", ", mounts.Select(m => $"\"{m}\""))}]");
        if (ports.Count > 0) lines.Add($"portmap = [{string.Join(", ", ports.Select(p => $"\"{p}\""))}]");
        if (web is not null) lines.Add($"web_graphics_guest_port = {web}");
        if (gpu) lines.Add("use_gpu = true");
        if (imageName is not null) lines.Add($"image_name = \"{imageName}\"");
        return string.Join("\n", lines) + "\n";
    }
}
