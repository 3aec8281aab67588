using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

namespace Boinc.Persist.Integration.Run;

/// <summary>
/// <c>boinc-persist</c> started the way the BOINC client starts a main program: the slot as working
/// directory, stdout to /dev/null, stderr appended to the slot's stderr.txt. The binary is the one built
/// with the tests, or <c>BOINC_PERSIST_BIN</c> (the AOT build in CI).
/// </summary>
public sealed class WrapperProcess : IDisposable
{
    private readonly Process process;

    private WrapperProcess(Process process, string slotDir)
    {
        this.process = process;
        SlotDir = slotDir;
    }

    public string SlotDir { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public static string Binary =>
        Environment.GetEnvironmentVariable("BOINC_PERSIST_BIN") is { Length: > 0 } bin
            ? bin
            : Path.Combine(AppContext.BaseDirectory, "boinc-persist");

    public static WrapperProcess Start(string slotDir, params string[] args) =>
        Start(slotDir, new System.Collections.Generic.Dictionary<string, string>(), args);

    /// <summary>As <see cref="Start(string, string[])"/>, with extra environment (e.g. DOCKER_HOST of a private engine).</summary>
    public static WrapperProcess Start(string slotDir, System.Collections.Generic.IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = slotDir,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" \"$@\" >/dev/null 2>>stderr.txt");
        info.ArgumentList.Add(Binary);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {Binary}");
        return new WrapperProcess(process, slotDir);
    }

    /// <summary>Waits for the exit and returns the exit code; fails with the slot's stderr.txt on timeout.</summary>
    public async Task<int> WaitForExit(TimeSpan timeout)
    {
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(timeout)) != exited)
        {
            Kill();
            throw new TimeoutException($"boinc-persist did not exit within {timeout}; stderr.txt:\n{StderrTail()}");
        }

        return process.ExitCode;
    }

    /// <summary>SIGKILL: what a crash, an OOM kill or `kill -9` does to the wrapper.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(10_000);
        }
    }

    /// <summary>A signal by number (15 = SIGTERM, 2 = SIGINT), as a host shutdown sends it.</summary>
    public void Signal(int signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {process.Id}");
        kill.WaitForExit(5_000);
    }

    public string StderrTail(int chars = 6000)
    {
        var path = Path.Combine(SlotDir, "stderr.txt");
        if (!File.Exists(path))
            return "(no stderr.txt)";
        var text = File.ReadAllText(path);
        return text.Length > chars ? text[^chars..] : text;
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }
}
