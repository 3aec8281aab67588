using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification.Conform;

/// <summary>
/// One start of the wrapper under test, the way the BOINC client starts a main program: the slot as working
/// directory, argv[0] the app's name, stdout to /dev/null, stderr appended to the slot's stderr.txt. A
/// failure to start is not an exception: the process exits 127 and says why in stderr.txt.
/// </summary>
public sealed class WrapperUnderTest : IDisposable
{
    private readonly Process process;
    private readonly Stopwatch clock = Stopwatch.StartNew();

    private WrapperUnderTest(Process process, string slotDir)
    {
        this.process = process;
        SlotDir = slotDir;
    }

    public string SlotDir { get; }

    public bool HasExited => process.HasExited;

    public TimeSpan Elapsed => clock.Elapsed;

    public static WrapperUnderTest Start(Seq<string> command, string slotDir, string appName, IReadOnlyDictionary<string, string> environment)
    {
        // bash's exec -a sets argv[0]; the redirections are the client's (app_start.cpp).
        var info = new ProcessStartInfo("/bin/bash")
        {
            WorkingDirectory = slotDir,
            UseShellExecute = false,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec -a \"$0\" \"$@\" </dev/null >/dev/null 2>>stderr.txt");
        info.ArgumentList.Add(appName);
        foreach (var word in command)
            info.ArgumentList.Add(word);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start /bin/bash");
        process.StandardInput.Close();
        return new WrapperUnderTest(process, slotDir);
    }

    /// <summary>The exit code, or None when it did not exit within <paramref name="limit"/> (it is then killed).</summary>
    public async Task<Option<int>> WaitForExit(TimeSpan limit)
    {
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(limit)).ConfigureAwait(false) == exited)
            return process.ExitCode;
        Kill();
        return Option<int>.None;
    }

    /// <summary>SIGKILL, as a crash or an OOM kill does.</summary>
    public void Kill()
    {
        if (disposed)
            return;
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill: the state we want.
        }
    }

    public static string StderrTail(string slotDir, int chars = 2000)
    {
        var path = Path.Combine(slotDir, "stderr.txt");
        if (!File.Exists(path))
            return "(no stderr.txt)";
        var text = File.ReadAllText(path);
        return text.Length > chars ? text[^chars..] : text;
    }

    private bool disposed;

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        Kill();
        process.Dispose();
    }
}
