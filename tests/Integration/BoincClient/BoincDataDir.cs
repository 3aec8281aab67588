using System;
using System.IO;
using System.Linq;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// A complete BOINC data directory for one <see cref="BoincJob"/>, written to disk: account file,
/// client_state.xml, cc_config.xml, global_prefs_override.xml, gui_rpc_auth.cfg and projects/&lt;dir&gt;/ with the
/// main program, the app-version files and the inputs. The client creates slots/N itself when it starts the task.
/// </summary>
public sealed class BoincDataDir
{
    private BoincDataDir(string path, BoincJob job)
    {
        Path = path;
        Job = job;
        ProjectDir = System.IO.Path.Combine(path, "projects", BoincXml.ProjectDirName(job.ProjectUrl));
    }

    public string Path { get; }

    public BoincJob Job { get; }

    /// <summary>projects/&lt;dir&gt;/: the physical main program, app-version and input files, and the output file.</summary>
    public string ProjectDir { get; }

    public string ClientStateFile => System.IO.Path.Combine(Path, "client_state.xml");

    /// <summary>Where the output file lives once the app wrote it (through its link file in the slot).</summary>
    public string? OutputFile => Job.Output is { } output ? System.IO.Path.Combine(ProjectDir, output.Name) : null;

    public string SlotDir(int slot) => System.IO.Path.Combine(Path, "slots", slot.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The app's stderr, appended by the client across restarts (removed with the slot after success).</summary>
    public string SlotStderr(int slot) => System.IO.Path.Combine(SlotDir(slot), "stderr.txt");

    /// <summary>Writes the whole directory; <paramref name="path"/> must not exist or be empty.</summary>
    public static BoincDataDir Create(string path, BoincJob job, DateTimeOffset now)
    {
        Validate(job);
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
        {
            throw new InvalidOperationException($"BOINC data directory {path} is not empty.");
        }

        var dir = new BoincDataDir(path, job);
        Directory.CreateDirectory(dir.ProjectDir);
        WriteProjectFile(dir.ProjectDir, job.MainProgram.Name, job.MainProgram.Content, executable: true);
        foreach (var file in job.AppVersionFiles.Concat(job.Inputs))
        {
            WriteProjectFile(dir.ProjectDir, file.Name, file.Content, executable: false);
        }

        File.WriteAllText(System.IO.Path.Combine(path, $"account_{BoincXml.ProjectDirName(job.ProjectUrl)}.xml"), BoincXml.Account(job));
        File.WriteAllText(System.IO.Path.Combine(path, "cc_config.xml"), BoincXml.CcConfig());
        File.WriteAllText(System.IO.Path.Combine(path, "global_prefs_override.xml"), BoincXml.GlobalPrefsOverride());
        File.WriteAllText(System.IO.Path.Combine(path, "gui_rpc_auth.cfg"), BoincXml.GuiRpcPassword + "\n");
        File.WriteAllText(dir.ClientStateFile, BoincXml.ClientState(job, now.ToUnixTimeSeconds(), ClientUnderTest.Version));
        return dir;
    }

    private static void WriteProjectFile(string projectDir, string name, FileContent content, bool executable)
    {
        var target = System.IO.Path.Combine(projectDir, name);
        switch (content)
        {
            case FileContent.Text text:
                File.WriteAllText(target, text.Value);
                break;
            case FileContent.CopyOf copy:
                File.Copy(copy.HostPath, target);
                break;
            case FileContent.SymlinkTo link:
                if (!File.Exists(link.HostPath))
                {
                    throw new FileNotFoundException($"{name}: symlink target {link.HostPath} does not exist.", link.HostPath);
                }

                File.CreateSymbolicLink(target, link.HostPath);
                return; // the target's own mode counts
            default:
                throw new ArgumentOutOfRangeException(nameof(content), content, "unknown file content");
        }

        if (OperatingSystem.IsWindows())
        {
            return; // no BOINC client of ours runs there; the Unix modes below are what the Linux client needs
        }

        File.SetUnixFileMode(target, executable
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
              UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    private static void Validate(BoincJob job)
    {
        if (!Uri.TryCreate(job.ProjectUrl, UriKind.Absolute, out var url) || !url.IsLoopback)
        {
            throw new ArgumentException($"ProjectUrl must be a loopback URL (the client must never reach a server), got '{job.ProjectUrl}'.");
        }

        var names = job.AppVersionFiles.Concat(job.Inputs).Select(f => f.Name)
            .Append(job.MainProgram.Name)
            .Concat(job.Output is { } o ? [o.Name] : Array.Empty<string>())
            .ToList();
        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"file name '{duplicate.Key}' is used twice in the job; project files need unique names.");
        }

        var notPlain = names.FirstOrDefault(n => n.Length == 0 || n.Contains('/') || n is "." or "..");
        if (notPlain is not null)
        {
            throw new ArgumentException($"file name '{notPlain}' is not a plain file name.");
        }

        Unique(job.AppVersionFiles.Select(f => f.OpenName), "app version");
        Unique(job.Inputs.Select(f => f.OpenName).Concat(job.Output is { } output ? [output.OpenName] : Array.Empty<string>()), "workunit/result");
    }

    private static void Unique(System.Collections.Generic.IEnumerable<string> openNames, string where)
    {
        var duplicate = openNames.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"open name '{duplicate.Key}' is used twice in the {where}.");
        }
    }
}
