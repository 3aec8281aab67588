using System;
using System.IO;
using System.Text;
using LanguageExt;
using Microsoft.Win32.SafeHandles;

namespace Boinc.Persist.Shell.Engine;

/// <summary>
/// A container's cumulative CPU time read straight from its cgroup: the counter file is opened once and each
/// sample is one <c>pread</c> at offset 0 (the kernel renders the number afresh), so the 1-second status tick
/// costs no engine call. The file vanishes with the container's cgroup (exit, removal): a failed read says so,
/// and the owner locates the counter again.
/// </summary>
public sealed class CgroupCpu : IDisposable
{
    private readonly SafeFileHandle handle;
    private readonly byte[] buffer = new byte[4096];

    private CgroupCpu(CgroupCounter counter, SafeFileHandle handle)
    {
        Counter = counter;
        this.handle = handle;
    }

    public CgroupCounter Counter { get; }

    /// <summary>The counter of the process <paramref name="pid"/> (a container's main process); Left says why not.</summary>
    public static Either<string, CgroupCpu> Open(int pid)
    {
        return CgroupPaths.ReadProc(pid).Bind(t => CgroupPaths.Locate(t.ProcCgroup, t.MountInfo)).Bind(OpenCounter);
    }

    /// <summary>A handle of its own on <paramref name="counter"/> (read once to check it holds a number).</summary>
    public static Either<string, CgroupCpu> OpenCounter(CgroupCounter counter)
    {
        try
        {
            var cpu = new CgroupCpu(counter, File.OpenHandle(counter.Path, FileMode.Open, FileAccess.Read));
            return cpu.Read().Match<Either<string, CgroupCpu>>(
                _ => cpu,
                why =>
                {
                    cpu.Dispose();
                    return why;
                });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot open {counter.Path}: {e.Message}";
        }
    }

    /// <summary>Nanoseconds of CPU the cgroup has used; Left when the file is gone or unreadable.</summary>
    public Either<string, long> Read()
    {
        int n;
        try
        {
            n = RandomAccess.Read(handle, buffer, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{Counter.Path}: {e.Message}";
        }

        var text = Encoding.ASCII.GetString(buffer, 0, n);
        return CgroupPaths.ParseNanos(text, Counter.Version)
            .ToEither(() => $"{Counter.Path} does not hold a CPU counter: {text.Trim()}");
    }

    public void Dispose() => handle.Dispose();
}
