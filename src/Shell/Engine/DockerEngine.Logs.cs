using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

public sealed partial class DockerEngine
{
    public async Task<Either<EngineError, Unit>> StreamLogs(string name, string prefix, TextWriter sink, CancellationToken ct, DateTimeOffset? since = null)
    {
        var opened = await Call("logs " + name, ct, t => client.Containers.GetContainerLogsAsync(
            name,
            new ContainerLogsParameters
            {
                ShowStdout = true,
                ShowStderr = true,
                Follow = true,
                Timestamps = false,
                // Re-attached: only what is new, so stderr.txt does not get the old output twice.
                Since = since is { } at ? UnixSeconds(at) : null,
            },
            t)).ConfigureAwait(false);
        if (opened.Case is not MultiplexedStream stream)
            return opened.Map(_ => Unit.Default);

        using (stream)
        {
            var lines = new LineSplitter(prefix, sink);
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, ct).ConfigureAwait(false);
                    if (read.EOF)
                        break;
                    lines.Add(read.Target == MultiplexedStream.TargetStream.StandardError, buffer.AsSpan(0, read.Count));
                    await sink.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The wrapper stops following: a normal end.
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                lines.Flush();
                return EngineCalls.Classify("logs " + name, e);
            }

            lines.Flush();
            await sink.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return Unit.Default;
        }
    }

    /// <summary>Size of one engine log file of a container, and how many the engine keeps (json-file, local).</summary>
    public const string LogMaxSize = "10m";
    public const string LogMaxFiles = "2";

    /// <summary>
    /// The container's log configuration, so the engine's own copy of the job's output (outside the slot, on the
    /// engine's disk) is bounded whatever the job prints: Docker's json-file (its default) with max-size and
    /// max-file; Podman's k8s-file with max-size (it keeps one file and truncates it). The relay to stderr.txt
    /// follows the stream across rotations.
    /// </summary>
    public static LogConfig LogConfigFor(Option<string> driver)
    {
        var type = driver.IfNone("json-file");
        var options = new System.Collections.Generic.Dictionary<string, string>();
        if (type is "json-file" or "local")
        {
            options["max-size"] = LogMaxSize;
            options["max-file"] = LogMaxFiles;
        }
        else if (type == "k8s-file")
        {
            options["max-size"] = LogMaxSize;
        }

        return new LogConfig { Type = type, Config = options };
    }

    private static string UnixSeconds(DateTimeOffset at)
    {
        var ticks = at.ToUniversalTime().Ticks - DateTimeOffset.UnixEpoch.Ticks;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{ticks / TimeSpan.TicksPerSecond}.{ticks % TimeSpan.TicksPerSecond * 100:D9}");
    }

    /// <summary>Turns the two byte streams into whole prefixed lines (a partial line waits for its end).</summary>
    private sealed class LineSplitter(string prefix, TextWriter sink)
    {
        private readonly Decoder outDecoder = Encoding.UTF8.GetDecoder();
        private readonly Decoder errDecoder = Encoding.UTF8.GetDecoder();
        private readonly StringBuilder outLine = new();
        private readonly StringBuilder errLine = new();

        public void Add(bool stderr, ReadOnlySpan<byte> bytes)
        {
            var decoder = stderr ? errDecoder : outDecoder;
            var line = stderr ? errLine : outLine;
            var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
            var n = decoder.GetChars(bytes, chars, flush: false);
            foreach (var c in chars.AsSpan(0, n))
            {
                if (c == '\n')
                {
                    Emit(line);
                }
                else
                {
                    line.Append(c);
                    // A line without an end (200 MB of it) must not grow the wrapper: it is split.
                    if (line.Length >= Host.BoundedLogWriter.MaxLineChars)
                    {
                        line.Append(" …[line split]");
                        Emit(line);
                    }
                }
            }
        }

        public void Flush()
        {
            if (outLine.Length > 0) Emit(outLine);
            if (errLine.Length > 0) Emit(errLine);
        }

        private void Emit(StringBuilder line)
        {
            // One call, so the wrapper's own log lines (another thread, the same synchronized writer) never land
            // between the prefix and the job's line.
            sink.WriteLine(prefix + line.ToString().TrimEnd('\r'));
            line.Clear();
        }
    }
}
