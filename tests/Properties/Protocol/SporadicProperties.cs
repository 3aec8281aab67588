using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Run;
using Boinc.Persist.Shell.Slots;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.ClientProtocol;

/// <summary>
/// Sporadic apps (issue 16 point 7): docker_wrapper's <c>--sporadic</c> bridge between the client's
/// <c>&lt;sporadic_ca&gt;</c> and WORKDIR/ca, and WORKDIR/ac and <c>&lt;sporadic_ac&gt;</c>. The stories run the
/// shipped <see cref="SporadicClient"/> over a real slot directory (<see cref="SlotFiles"/>) and compare with a
/// model written from BOINC's API.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 200)]
public class SporadicProperties
{
    /// <summary>The model of the app's state as BOINC's API would take a valid file; anything else is none.</summary>
    private static SporadicAc Expected(Option<string> content) =>
        content.Match(
            t =>
            {
                var s = t.Trim(' ', '\t', '\n', '\r');
                return s is "1" ? SporadicAc.DontWantCompute : s is "2" ? SporadicAc.WantCompute : SporadicAc.None;
            },
            () => SporadicAc.None);

    [Property]
    public Property The_bridge_passes_both_states_on_and_warns_once_per_bad_file(SporadicStory story)
    {
        var root = Path.Combine(Path.GetTempPath(), "bp-sporadic-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            using var slot = SlotFiles.Open(root);
            var inner = new RecordingClient();
            var logText = new StringWriter();
            var log = new WrapperLog(logText, TimeProvider.System, verbose: false);
            var kept = Option<SporadicCa>.None;
            var files = new SporadicFiles(slot);
            files.CreateAc();
            var client = new SporadicClient(inner, () => kept, files, log);

            var modelClient = SporadicCa.DontCompute;
            var content = Option<string>.Some("");
            var lastReason = Option<string>.None;
            var property = true.ToProperty();
            var i = 0;
            foreach (var look in story.Looks)
            {
                i++;
                // The client's heartbeat, parsed as the shipped code parses it; kept as ClientLink keeps it.
                var heartbeat = "<heartbeat/><wss>0</wss>" + look.HeartbeatCa.Match(c => $"<sporadic_ca>{c}</sporadic_ca>", () => "");
                Heartbeat.Parse(heartbeat).Bind(h => h.SporadicCa).Iter(c => kept = c);
                look.HeartbeatCa.Filter(c => c is >= 0 and <= 3).Iter(c => modelClient = (SporadicCa)c);

                foreach (var write in look.AcWrite)
                {
                    var path = Path.Combine(root, SporadicText.AcFileName);
                    write.Match(t => File.WriteAllText(path, t, new UTF8Encoding(false)), () => File.Delete(path));
                    content = write;
                }

                var before = logText.ToString().Split('\n').Count(l => l.Contains("warning: sporadic"));
                inner.Sent.Clear();
                client.TrySendStatus(AppStatus.Of(1, 1, 0.5));
                var warnings = logText.ToString().Split('\n').Count(l => l.Contains("warning: sporadic")) - before;

                var sent = inner.Sent.Single();
                var reading = ClientStatusReading.Parse(sent.Format());
                var expected = Expected(content);
                var ca = File.ReadAllText(Path.Combine(root, SporadicText.CaFileName));

                // A bad file is warned about when it first turns bad (or changes its reason), never again while it stays.
                var reason = Reason(content);
                var expectWarning = reason.IsSome && reason != lastReason;
                lastReason = reason;

                property = property
                    .And((ca == SporadicText.FormatCa(modelClient)).Label($"look {i}: ca '{ca.Trim()}' = {(int)modelClient}"))
                    .And((reading.SporadicAc == (expected == SporadicAc.None ? Option<long>.None : Option<long>.Some((int)expected)))
                        .Label($"look {i}: <sporadic_ac> {reading.SporadicAc} for ac {content}"))
                    .And((warnings == (expectWarning ? 1 : 0)).Label($"look {i}: {warnings} warning(s), expected {(expectWarning ? 1 : 0)}"))
                    .And((client.State.Client == modelClient).Label($"look {i}: client state"));
            }

            return property;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The reason the parser gives for a bad file as the wrapper reads it (ASCII bytes); the warning is per reason.</summary>
    private static Option<string> Reason(Option<string> content) =>
        content.Bind(t => SporadicText.ParseAc(Encoding.ASCII.GetString(new UTF8Encoding(false).GetBytes(t)))
            .Match(_ => Option<string>.None, Option<string>.Some));

    [Property]
    public bool The_ac_text_is_taken_only_as_one_digit_0_to_2(HostileText t)
    {
        var trimmed = t.Text.Trim(' ', '\t', '\n', '\r');
        return SporadicText.ParseAc(t.Text).Match(
            Right: a => (trimmed.Length == 0 && a == SporadicAc.None) || trimmed == ((int)a).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Left: why => trimmed is not ("" or "0" or "1" or "2") && why.Length > 0 && !why.Any(char.IsControl));
    }

    [Property]
    public Property Sporadic_ac_in_a_status_reads_back_and_none_adds_nothing(WildStatus w, int raw)
    {
        var plain = AppStatus.Of(w.Current, w.Checkpoint, w.Fraction, w.Wss);
        var ac = (SporadicAc)raw;
        var text = plain.WithSporadic(ac).Format();
        var read = ClientStatusReading.Parse(text);
        var meaningful = ac is SporadicAc.DontWantCompute or SporadicAc.WantCompute;
        return (text.Length < AppStatus.MaxTextLength).Label("fits the channel")
            .And((meaningful ? read.SporadicAc == Option<long>.Some(raw) : read.SporadicAc.IsNone && text == plain.Format())
                .Label($"ac {raw}: read {read.SporadicAc}"))
            .And((read.CurrentCpuTime == ClientStatusReading.Parse(plain.Format()).CurrentCpuTime).Label("the rest unchanged"));
    }

    [Property]
    public bool The_client_state_in_a_heartbeat_reads_back_and_out_of_range_is_ignored(int raw)
    {
        var text = $"<heartbeat/><wss>1.0e+06</wss><max_wss>2.0e+09</max_wss><sporadic_ca>{raw}</sporadic_ca>";
        var parsed = Heartbeat.Parse(text).Bind(h => h.SporadicCa);
        return raw is >= 0 and <= 3 ? parsed == Option<SporadicCa>.Some((SporadicCa)raw) : parsed.IsNone;
    }

    [Fact]
    public void The_fake_clients_heartbeat_carries_the_state_except_none()
    {
        var h = new Heartbeat(Option<double>.None, Option<double>.None, false) { SporadicCa = SporadicCa.Computing };
        Assert.Contains("<sporadic_ca>3</sporadic_ca>", h.Format());
        Assert.Equal(Option<SporadicCa>.Some(SporadicCa.Computing), Heartbeat.Parse(h.Format()).Bind(x => x.SporadicCa));
        Assert.DoesNotContain("sporadic_ca", (h with { SporadicCa = SporadicCa.None }).Format());
    }

    [Property]
    public bool Job_toml_sporadic_round_trips(bool sporadic)
    {
        var config = JobConfig.Default with { Sporadic = sporadic };
        var text = JobConfigWriter.Print(config);
        var back = JobConfigReader.Parse("job.toml", text);
        return back.Value.Exists(f => f.Config.Sporadic == sporadic) && back.Findings.IsEmpty;
    }

    [Fact]
    public void A_symlink_fifo_directory_or_huge_ac_is_refused_without_following_or_waiting()
    {
        var root = Path.Combine(Path.GetTempPath(), "bp-sporadic-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            using var slot = SlotFiles.Open(root);
            var files = new SporadicFiles(slot);
            var ac = Path.Combine(root, SporadicText.AcFileName);
            var secret = Path.Combine(root, "host-secret");
            File.WriteAllText(secret, "2");

            Assert.True(files.ReadAc().IsNone);

            File.CreateSymbolicLink(ac, secret);
            var viaLink = files.ReadAc();
            Assert.Equal("it is a symbolic link; the wrapper reads regular files only", Left(viaLink));
            File.Delete(ac);

            Assert.Equal(0, MkFifo(ac, 0x1b6));
            Assert.Equal("it is a FIFO, socket or device; the wrapper reads regular files only", Left(files.ReadAc()));
            File.Delete(ac);

            Directory.CreateDirectory(ac);
            Assert.Equal("it is a directory", Left(files.ReadAc()));
            Directory.Delete(ac);

            File.WriteAllText(ac, "2" + new string(' ', SporadicText.MaxAcBytes));
            Assert.Contains("larger than", Left(files.ReadAc()));

            File.WriteAllText(ac, " 2\n");
            Assert.Equal(SporadicAc.WantCompute, files.ReadAc().Bind(r => r.ToOption()).IfNone(SporadicAc.None));

            // ca is replaced whole: a symlink planted under its name is replaced, its target untouched.
            var ca = Path.Combine(root, SporadicText.CaFileName);
            File.CreateSymbolicLink(ca, secret);
            files.WriteCa(SporadicText.FormatCa(SporadicCa.Computing));
            Assert.Equal("2", File.ReadAllText(secret));
            Assert.False(new FileInfo(ca).Attributes.HasFlag(FileAttributes.ReparsePoint));
            Assert.Equal("3\n", File.ReadAllText(ca));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Ac_is_created_empty_and_an_existing_one_is_kept()
    {
        var root = Path.Combine(Path.GetTempPath(), "bp-sporadic-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            using var slot = SlotFiles.Open(root);
            var files = new SporadicFiles(slot);
            files.CreateAc();
            var ac = Path.Combine(root, SporadicText.AcFileName);
            Assert.Equal("", File.ReadAllText(ac));
            if (!OperatingSystem.IsWindows())
                Assert.True(File.GetUnixFileMode(ac).HasFlag(UnixFileMode.GroupWrite));
            File.WriteAllText(ac, "2\n");
            files.CreateAc();
            Assert.Equal("2\n", File.ReadAllText(ac));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string Left(Option<Either<string, SporadicAc>> r) =>
        r.Match(e => e.Match(Right: a => $"unexpectedly read {a}", Left: why => why), () => "absent");

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);

    /// <summary>The inner client port: records what would go to shared memory.</summary>
    private sealed class RecordingClient : IBoincClient
    {
        public List<AppStatus> Sent { get; } = new();

        public Seq<ControlMessage> Poll() => Seq<ControlMessage>.Empty;

        public bool ControlPending => false;

        public bool ClientLost => false;

        public bool TrySendStatus(AppStatus status)
        {
            Sent.Add(status);
            return true;
        }
    }
}
