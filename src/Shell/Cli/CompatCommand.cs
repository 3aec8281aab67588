using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Compat;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Shell.Jobs;
using Boinc.Persist.Shell.Slots;
using LanguageExt;

namespace Boinc.Persist.Shell.Cli;

/// <summary>
/// <c>boinc-persist check --compat DIR</c>: reads an existing docker_wrapper app's job.toml (optional) and
/// Dockerfile, plain files or a slot's link files, hands them to <see cref="Compat"/> and prints the report.
/// Exit 1 when something blocks the app from running unchanged (or a file cannot be read), else 0.
/// </summary>
public static class CompatCommand
{
    public static int Run(string dir, string configName, string dockerfileName, bool json, TextWriter stdout, TextWriter stderr)
    {
        var full = Path.GetFullPath(dir);
        if (!Directory.Exists(full))
        {
            stderr.WriteLine($"boinc-persist check --compat: {full}: no such directory");
            return Program.Errors;
        }

        var config = ReadFile(full, configName);
        var dockerfile = ReadFile(full, dockerfileName);
        var readErrors = config.Errors.Then(dockerfile.Errors);
        if (dockerfile.Value.Exists(t => t.IsNone))
            readErrors = readErrors.Add(Diagnostic.Error(DiagnosticCodes.DirectoryDockerfileMissing, Location.InFile(dockerfileName),
                $"{dockerfileName} is missing from {full}: docker_wrapper builds the image from it"));

        var report = Compat.Analyze(new CompatInput(
            configName, config.Value.Bind(t => t), dockerfileName, dockerfile.Value.Bind(t => t)));
        report = report with { Findings = readErrors.Then(report.Findings) };
        if (json) stdout.WriteLine(Json(full, report));
        else Text(stdout, full, report);
        return report.Blocks || Diagnostics.HasErrors(readErrors) ? Program.Errors : Program.Ok;
    }

    public static void Text(TextWriter w, string dir, CompatReport r)
    {
        w.WriteLine($"Compatibility with docker_wrapper: {dir}");
        w.WriteLine($"  {r.ConfigName}: {(r.HasJobFile ? "present" : "absent (docker_wrapper's defaults)")}; {r.DockerfileName}");
        w.WriteLine($"  link files: {ReportWriter.LinkFilesText(r.LinkFiles)}");
        var blocks = r.Items.Count(i => i.Kind == CompatKind.Blocks);
        var differs = r.Items.Count(i => i.Kind == CompatKind.Differs);
        var may = r.Items.Count(i => i.Kind == CompatKind.MayDiffer);
        w.WriteLine($"  {blocks} blocking, {differs} different, {may} different if the app relies on it");
        var n = 0;
        foreach (var i in r.Items.OrderBy(i => i.Kind))
        {
            w.WriteLine();
            w.WriteLine($"{++n,2}. {i.Topic} [{KindText(i.Kind)}]{i.Where.Match(l => "  " + l, () => "")}");
            w.WriteLine($"    docker_wrapper: {i.DockerWrapper}");
            w.WriteLine($"    boinc-persist:  {i.BoincPersist}");
            switch (i.Restore)
            {
                case Restore.Settings s:
                    foreach (var (line, k) in Compat.Display(s.Lines).Select((l, k) => (l, k)))
                        w.WriteLine($"    {(k == 0 ? "restore:" : "        ")}        {line}");
                    break;
                case Restore.Closest c:
                    w.WriteLine($"    nearest:        {c.Template}");
                    w.WriteLine($"                    ({c.Why})");
                    break;
                case Restore.Cannot c:
                    w.WriteLine($"    cannot restore: {c.Why}");
                    break;
            }
        }

        if (!r.Findings.IsEmpty)
        {
            w.WriteLine();
            w.WriteLine("What check says about these files");
            foreach (var d in r.Findings.OrderBy(d => d.IsError ? 0 : 1)) w.WriteLine($"  {d}");
        }

        r.Suggested.Iter(s =>
        {
            w.WriteLine();
            w.WriteLine($"{r.ConfigName} with every setting above that restores docker_wrapper's behaviour (options boinc-persist refuses left out):");
            foreach (var line in s.TrimEnd('\n').Split('\n')) w.WriteLine("    " + line);
        });
    }

    public static string Json(string dir, CompatReport r)
    {
        using var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteString("directory", dir);
            j.WriteString("linkFiles", InputsConfig.Name(r.LinkFiles));
            j.WriteBoolean("blocks", r.Blocks);
            j.WriteStartArray("differences");
            foreach (var i in r.Items)
            {
                j.WriteStartObject();
                j.WriteString("topic", i.Topic);
                j.WriteString("kind", KindText(i.Kind));
                i.Where.Iter(l => j.WriteString("where", l.ToString()));
                j.WriteString("dockerWrapper", i.DockerWrapper);
                j.WriteString("boincPersist", i.BoincPersist);
                switch (i.Restore)
                {
                    case Restore.Settings s:
                        j.WriteStartArray("restore");
                        foreach (var l in Compat.Display(s.Lines)) j.WriteStringValue(l);
                        j.WriteEndArray();
                        break;
                    case Restore.Closest c:
                        j.WriteString("nearest", c.Template);
                        j.WriteString("why", c.Why);
                        break;
                    case Restore.Cannot c:
                        j.WriteString("cannotRestore", c.Why);
                        break;
                }

                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartArray("findings");
            foreach (var d in r.Findings) j.WriteStringValue(d.ToString());
            j.WriteEndArray();
            r.Suggested.Iter(s => j.WriteString("suggestedJobToml", s));
            j.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static string KindText(CompatKind k) => k switch
    {
        CompatKind.Blocks => "blocks",
        CompatKind.Differs => "differs",
        _ => "may differ",
    };

    /// <summary>
    /// A file of the app: a plain file, or (in a slot, which has init_data.xml) a link file or symlink into the
    /// project directory, checked as the wrapper checks it. Some(None) when absent.
    /// </summary>
    private static Checked<Option<string>> ReadFile(string dir, string name)
    {
        var path = Path.Combine(dir, name);
        if (!File.Exists(path) && !new FileInfo(path).Attributes.HasFlag(FileAttributes.ReparsePoint))
            return Checked<Option<string>>.Ok(Option<string>.None);
        var host = Checked<string>.Ok(path);
        if (File.Exists(Path.Combine(dir, InitDataReader.FileName)))
        {
            var ctx = InitDataReader.Read(dir);
            var listing = SlotReader.Read(dir);
            host = ctx.Bind(c => listing.Bind(l => LinkFiles.ResolveHostPath(l, name, c)))
                .Map(p => Path.GetFullPath(p, dir));
        }

        return host.Bind(p =>
        {
            try
            {
                var info = new FileInfo(p);
                if (!info.Exists)
                    return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileMissing, Location.InFile(name), $"{name} points to {p}, which does not exist"));
                if (info.Length > JobDirectory.MaxConfigBytes)
                    return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileTooLarge, Location.InFile(name),
                        $"{name} is {info.Length} bytes; a job file larger than {JobDirectory.MaxConfigBytes} bytes is refused"));
                var text = new UTF8Encoding(false, true).GetString(File.ReadAllBytes(p));
                return Checked<Option<string>>.Ok(Option<string>.Some(text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text));
            }
            catch (DecoderFallbackException)
            {
                return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileNotText, Location.InFile(name), $"{name} is not UTF-8 text"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Checked<Option<string>>.Fail(Diagnostic.Error(DiagnosticCodes.DirectoryFileUnreadable, Location.InFile(name), $"cannot read {name}: {e.Message}"));
            }
        });
    }
}
