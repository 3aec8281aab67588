using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Shell.Host;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

public sealed partial class DockerEngine
{
    /// <summary>
    /// Relays the container's output into <paramref name="sink"/> as prefixed lines until the container ends or
    /// <paramref name="ct"/> is cancelled. An engine's follow stream can end before it has sent everything the
    /// container wrote (Podman 4.3 does, with a job that prints megabytes and exits at once), even while the engine
    /// still reports the container running: so when a stream ends by itself, the log is read again from the same
    /// start, skipping the bytes of each stream already relayed: following again while the container runs, once
    /// more without following when it has stopped, then done.
    /// <para>
    /// A stream that breaks (torn inside a frame, a connection reset, an engine error while the container runs)
    /// is followed again the same way, from where it broke, and said through <paramref name="notice"/>: the job's
    /// output is what a volunteer and the project read in stderr.txt, and a relay that stopped at the first fault
    /// lost the rest of it without a word. After <see cref="MaxBreaksWithoutOutput"/> breaks in a row that relayed
    /// nothing new, the relay gives up, says so, and returns the last error.
    /// </para>
    /// <para>
    /// It returns at once: the relay runs on a thread of its own (<see cref="LoopPump.OnThreadOfItsOwn{T}"/>),
    /// whose reads of the stream block in the kernel (<see cref="EngineApi.SendBlocking"/>), so a line from the job
    /// wakes that one thread, not the runtime's socket thread and two pool workers (issue 17 item 1). The relay's
    /// awaits do not opt out of their context, so the stream's reads stay on that thread. (A retry of the log request
    /// after an unreachable engine runs after <c>EngineCalls</c>' backoff, which resumes on the pool: that attempt's
    /// connect and answer head block a pool thread, for at most the call's limit.)
    /// </para>
    /// </summary>
    public Task<Either<EngineError, Unit>> StreamLogs(string name, string prefix, TextWriter sink, CancellationToken ct, DateTimeOffset? since = null,
        Action<string>? notice = null) =>
        LoopPump.OnThreadOfItsOwn("boinc-persist output relay", () => FollowLogs(name, prefix, sink, ct, since, notice ?? (_ => { })));

    /// <summary>Breaks of the log stream in a row, none of them relaying anything new, after which the relay gives up.</summary>
    public const int MaxBreaksWithoutOutput = 8;

    private async Task<Either<EngineError, Unit>> FollowLogs(string name, string prefix, TextWriter sink, CancellationToken ct, DateTimeOffset? since,
        Action<string> notice)
    {
        var lines = new LineSplitter(prefix, sink);
        var relayed = new long[2];
        var result = await Relay(name, follow: true, since, lines, sink, relayed, ct);
        var breaks = 0;
        var atLastBreak = -1L;
        while (!ct.IsCancellationRequested)
        {
            if (result.Case is EngineError broke)
            {
                // Progress since the last break resets the count: a stream that breaks now and then on a long job
                // is followed for as long as the job runs.
                var now = relayed[0] + relayed[1];
                breaks = now == atLastBreak ? breaks + 1 : 1;
                atLastBreak = now;
                if (breaks > MaxBreaksWithoutOutput)
                {
                    notice($"the container's output stream broke {breaks} times in a row without new output (last: {broke}); " +
                           $"its further output is not relayed to stderr.txt (the engine keeps it: logs of container {name})");
                    break;
                }
            }

            var state = await Inspect(name, ct);
            if (state.Case is Observation.Exited or Observation.Dead)
            {
                if (result.Case is EngineError before)
                    notice($"the container's output stream broke ({before}); reading the rest of its output now that it has ended");
                result = await Relay(name, follow: false, since, lines, sink, relayed, ct);
                break;
            }

            if (state.Case is not (Observation.Running or Observation.Paused or Observation.Created))
                break; // gone, or the engine does not answer: the caller hears of it from its wait (and of a break here from the result)
            if (result.Case is EngineError again)
                notice($"the container's output stream broke ({again}); following it again from where it broke");
            try
            {
                await Task.Delay(FollowAgainAfter, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            result = await Relay(name, follow: true, since, lines, sink, relayed, ct);
        }

        lines.Flush();
        await sink.FlushAsync(CancellationToken.None);
        return ct.IsCancellationRequested ? Unit.Default : result;
    }

    /// <summary>A stream that ended while the container still runs is opened again after this long.</summary>
    private static readonly TimeSpan FollowAgainAfter = TimeSpan.FromMilliseconds(250);

    /// <summary>One read of the container's log from its start (or <paramref name="since"/>). <paramref name="relayed"/>
    /// counts the bytes of stdout and stderr relayed so far: that many first bytes of each stream are skipped, and
    /// what is relayed is added.</summary>
    private async Task<Either<EngineError, Unit>> Relay(
        string name, bool follow, DateTimeOffset? since, LineSplitter lines, TextWriter sink, long[] relayed, CancellationToken ct)
    {
        var path = EngineApi.Query(
            $"/containers/{EngineApi.Segment(name)}/logs",
            ("stdout", "1"),
            ("stderr", "1"),
            ("follow", follow ? "1" : "0"),
            ("timestamps", "0"),
            // Re-attached: only what is new, so stderr.txt does not get the old output twice.
            ("since", since is { } at ? UnixSeconds(at) : null));
        // A connection whose reads block this thread (EngineApi.SendBlocking): the relay's own thread waits in the
        // kernel for the job's next line, and nothing else wakes for it.
        var opened = await Call("logs " + name, ct, t => api.SendBlocking("GET", path, t));
        if (opened.Case is not EngineResponse response)
            return opened.Map(_ => Unit.Default);

        using (response)
        // A blocking read does not watch the token: closing the connection ends it.
        using (ct.Register(static r => ((EngineResponse)r!).Dispose(), response))
        {
            var buffer = new byte[16 * 1024];
            var seen = new long[2];
            try
            {
                var frames = new LogFrames(response.Body, Multiplexed(response));
                while (true)
                {
                    var (count, err) = await frames.Read(buffer, ct);
                    if (count == 0)
                        return Unit.Default;
                    var which = err ? 1 : 0;
                    var from = (int)Math.Clamp(relayed[which] - seen[which], 0, count);
                    seen[which] += count;
                    if (from == count)
                        continue;
                    relayed[which] += count - from;
                    lines.Add(err, buffer.AsSpan(from, count - from));
                    await sink.FlushAsync(CancellationToken.None);
                }
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                // The wrapper stops following (and closed the connection under a blocked read): a normal end.
                return Unit.Default;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return EngineCalls.Classify("logs " + name, e);
            }
        }
    }

    /// <summary>
    /// Whether the log answer is multiplexed (an 8-byte header before each piece: which stream, how long), as
    /// for every container without a terminal, ours included; the engines name a terminal's raw stream
    /// <c>application/vnd.docker.raw-stream</c>, which is all stdout.
    /// </summary>
    private static bool Multiplexed(EngineResponse response) =>
        response.ContentType != "application/vnd.docker.raw-stream";

    /// <summary>Size of one engine log file of a container, and how many the engine keeps (json-file, local).</summary>
    public const string LogMaxSize = "10m";
    public const string LogMaxFiles = "2";

    /// <summary>
    /// The container's log configuration, so the engine's own copy of the job's output (outside the slot, on the
    /// engine's disk) is bounded whatever the job prints: Docker's json-file (its default) with max-size and
    /// max-file; Podman's k8s-file with max-size (it keeps one file and truncates it). The relay to stderr.txt
    /// follows the stream across rotations.
    /// </summary>
    public static (string Type, Seq<(string Key, string Value)> Options) LogConfigFor(Option<string> driver)
    {
        var type = driver.IfNone("json-file");
        return type switch
        {
            "json-file" or "local" => (type, LanguageExt.Prelude.Seq(("max-size", LogMaxSize), ("max-file", LogMaxFiles))),
            "k8s-file" => (type, LanguageExt.Prelude.Seq1(("max-size", LogMaxSize))),
            _ => (type, Seq<(string, string)>.Empty),
        };
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
                    if (line.Length >= Slots.BoundedLogWriter.MaxLineChars)
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
