using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Docker.DotNet;
using Docker.DotNet.Models;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

public sealed partial class DockerEngine
{
    /// <summary>
    /// Relays the container's output into <paramref name="sink"/> as prefixed lines until the container ends or
    /// <paramref name="ct"/> is cancelled. An engine's follow stream can end when the container exits before it has
    /// sent everything the container wrote (Podman 4.3 does, with a job that prints megabytes and exits at once):
    /// when the stream ends by itself and the container is no longer running, the rest is read from the engine's
    /// stored log (a second, non-following read, whose first bytes of each stream, already relayed, are skipped).
    /// </summary>
    public async Task<Either<EngineError, Unit>> StreamLogs(string name, string prefix, TextWriter sink, CancellationToken ct, DateTimeOffset? since = null)
    {
        var lines = new LineSplitter(prefix, sink);
        var relayed = new long[2];
        var followed = await Relay(name, follow: true, since, lines, sink, relayed, skip: null, ct).ConfigureAwait(false);
        if (followed.IsLeft || ct.IsCancellationRequested)
        {
            lines.Flush();
            await sink.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return followed;
        }

        // The stream ended by itself: the container stopped (or the engine went away, which the caller hears of
        // from its wait). Whatever the engine stored beyond what it streamed is relayed now.
        var state = await Inspect(name, ct).ConfigureAwait(false);
        var caughtUp = state.Case is Observation.Exited or Observation.Dead
            ? await Relay(name, follow: false, since, lines, sink, new long[2], skip: relayed, ct).ConfigureAwait(false)
            : Unit.Default;
        lines.Flush();
        await sink.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return caughtUp;
    }

    /// <summary>One read of the container's log. <paramref name="relayed"/> counts the bytes of stdout and stderr
    /// read; with <paramref name="skip"/>, the first that many bytes of each stream are not relayed again.</summary>
    private async Task<Either<EngineError, Unit>> Relay(
        string name, bool follow, DateTimeOffset? since, LineSplitter lines, TextWriter sink, long[] relayed, long[]? skip, CancellationToken ct)
    {
        var opened = await Call("logs " + name, ct, t => client.Containers.GetContainerLogsAsync(
            name,
            new ContainerLogsParameters
            {
                ShowStdout = true,
                ShowStderr = true,
                Follow = follow,
                Timestamps = false,
                // Re-attached: only what is new, so stderr.txt does not get the old output twice.
                Since = since is { } at ? UnixSeconds(at) : null,
            },
            t)).ConfigureAwait(false);
        if (opened.Case is not MultiplexedStream stream)
            return opened.Map(_ => Unit.Default);

        using (stream)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, ct).ConfigureAwait(false);
                    if (read.EOF)
                        return Unit.Default;
                    var err = read.Target == MultiplexedStream.TargetStream.StandardError;
                    var which = err ? 1 : 0;
                    var from = 0;
                    if (skip is not null)
                        from = (int)Math.Clamp(skip[which] - relayed[which], 0, read.Count);
                    relayed[which] += read.Count;
                    if (from == read.Count)
                        continue;
                    lines.Add(err, buffer.AsSpan(from, read.Count - from));
                    await sink.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The wrapper stops following: a normal end.
                return Unit.Default;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return EngineCalls.Classify("logs " + name, e);
            }
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
