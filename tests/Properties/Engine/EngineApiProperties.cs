using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Engine;

/// <summary>
/// The wrapper's own engine client (issue 17: it replaced Docker.DotNet): the parts that do not need an engine.
/// The integration tests run every call against Docker and Podman.
/// </summary>
public class EngineApiProperties
{
    /// <summary>Any multiplexed log, delivered in any cut (the socket decides where reads end), read with any
    /// buffer, gives each stream's bytes back in order.</summary>
    [Property(MaxTest = 200)]
    public Property A_multiplexed_log_reads_back_stream_by_stream_whatever_the_cuts() =>
        Prop.ForAll(
            Arb.From(Generators.LogPiecesGen()),
            Arb.From(Gen.Choose(1, 9000)),
            Arb.From(Gen.Choose(1, 20_000)),
            (pieces, cut, bufferSize) =>
            {
                var wire = Multiplexed(pieces);
                var (stdout, stderr) = ReadAll(new Trickle(wire, cut), multiplexed: true, bufferSize);
                return (stdout.SequenceEqual(pieces.Filter(p => !p.Stderr).Bind(p => p.Bytes.ToSeq()))
                        && stderr.SequenceEqual(pieces.Filter(p => p.Stderr).Bind(p => p.Bytes.ToSeq())))
                    .Label($"{pieces.Count} pieces, {wire.Length} bytes, cut {cut}, buffer {bufferSize}");
            });

    [Fact]
    public void A_terminals_raw_stream_is_all_stdout()
    {
        var bytes = Enumerable.Range(0, 40_000).Select(i => (byte)i).ToArray();

        var (stdout, stderr) = ReadAll(new Trickle(bytes, 777), multiplexed: false, 4096);

        Assert.Equal(bytes, stdout);
        Assert.Empty(stderr);
    }

    [Theory]
    [InlineData(3)] // inside a header
    [InlineData(8 + 5)] // inside a piece
    public void A_log_stream_cut_short_is_an_error_not_a_clean_end(int keep)
    {
        var wire = Multiplexed(LanguageExt.Prelude.Seq1((false, new byte[100])));

        var e = Assert.Throws<IOException>(() => ReadAll(new Trickle(wire[..keep], 4), multiplexed: true, 64));
        Assert.Contains("ended inside", e.Message);
    }

    [Fact]
    public void An_engine_error_carries_the_engines_message_and_is_classified_by_status()
    {
        const string body = """{"message":"No such container: boinc_x_1"}""";

        var notFound = EngineCalls.Classify("inspect boinc_x_1", new EngineApiException(HttpStatusCode.NotFound, body));
        var conflict = EngineCalls.Classify("pause x", new EngineApiException(HttpStatusCode.Conflict, """{"message":"Container x is already paused"}"""));
        var failed = EngineCalls.Classify("build x", new EngineApiException(HttpStatusCode.InternalServerError, "plain text\n"));

        Assert.Equal("No such container: boinc_x_1", Assert.IsType<EngineError.NotFound>(notFound).Message);
        Assert.Equal("Container x is already paused", Assert.IsType<EngineError.Conflict>(conflict).Message);
        Assert.Equal("500 plain text", Assert.IsType<EngineError.Failed>(failed).Message);
    }

    [Fact]
    public async Task An_endpoint_the_client_cannot_speak_is_an_engine_error_naming_it()
    {
        var api = new EngineApi(new Uri("ssh://user@host"));

        var r = await EngineCalls.Run("version", EnginePolicy.Default, TimeSpan.FromSeconds(10), CancellationToken.None,
            t => api.Json("GET", "/version", t));

        var e = Assert.IsType<EngineError.Failed>(r.Match(_ => null!, e => e));
        Assert.Contains("ssh://user@host", e.Message);
    }

    [Property(MaxTest = 300)]
    public Property A_name_in_a_path_can_neither_add_a_query_nor_leave_its_segment_kind() =>
        Prop.ForAll(Arb.From(ArbMap.Default.GeneratorFor<string>().Where(s => s is not null && !s.Any(char.IsSurrogate))), name =>
        {
            var segment = EngineApi.Segment(name);
            return (segment.All(c => char.IsAsciiLetterOrDigit(c) || "-._~/:@%".Contains(c))
                    && Uri.UnescapeDataString(segment) == name)
                .Label(segment);
        });

    [Fact]
    public void Image_names_keep_their_slash_and_tag_in_a_path()
    {
        Assert.Equal("boinc-persist/busybox:1", EngineApi.Segment("boinc-persist/busybox:1"));
        Assert.Equal("a%3Fb%23c%20d", EngineApi.Segment("a?b#c d"));
    }

    [Fact]
    public void Build_progress_lines_give_output_and_errors_and_keep_what_is_not_a_message()
    {
        Assert.Equal(("Step 1/2 : FROM base\n", ""), DockerEngine.BuildMessage("""{"stream":"Step 1/2 : FROM base\n"}"""));
        Assert.Equal(("", "exit status 1"), DockerEngine.BuildMessage("""{"errorDetail":{"message":"exit status 1"},"error":"other words"}"""));
        Assert.Equal(("", "only error"), DockerEngine.BuildMessage("""{"error":"only error"}"""));
        Assert.Equal(("not json\n", ""), DockerEngine.BuildMessage("not json"));
    }

    private static byte[] Multiplexed(Seq<(bool Stderr, byte[] Bytes)> pieces)
    {
        var wire = new MemoryStream();
        foreach (var (stderr, bytes) in pieces)
        {
            var header = new byte[8];
            header[0] = (byte)(stderr ? 2 : 1);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)bytes.Length);
            wire.Write(header);
            wire.Write(bytes);
        }

        return wire.ToArray();
    }

    private static (List<byte> Stdout, List<byte> Stderr) ReadAll(Stream body, bool multiplexed, int bufferSize)
    {
        var frames = new LogFrames(body, multiplexed);
        var buffer = new byte[bufferSize];
        var (stdout, stderr) = (new List<byte>(), new List<byte>());
        while (true)
        {
            var (n, err) = frames.Read(buffer, CancellationToken.None).GetAwaiter().GetResult();
            if (n == 0)
                return (stdout, stderr);
            (err ? stderr : stdout).AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }
}
