using System.Linq;
using Boinc.Persist.Core.Checkpoints;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Checkpoints;

public class ManifestTextProperties
{
    private static Arbitrary<Manifest> Manifests => Arb.From(Generators.ManifestGen());

    [Property(MaxTest = 300)]
    public Property Format_then_parse_gives_the_same_manifest() =>
        Prop.ForAll(Manifests, m =>
        {
            var back = ManifestText.Parse(ManifestText.Format(m));
            return back.Match(b => b.Generations.SequenceEqual(m.Generations), _ => false).Label(back.ToString());
        });

    [Property(MaxTest = 300)]
    public Property Every_torn_prefix_is_rejected() =>
        Prop.ForAll(Manifests, Arb.From(Gen.Choose(0, 100_000)), (m, cut) =>
        {
            var text = ManifestText.Format(m);
            var prefix = text[..(cut % text.Length)];
            return ManifestText.Parse(prefix).IsFail.Label($"accepted a {prefix.Length}-char prefix of {text.Length}");
        });

    [Property(MaxTest = 300)]
    public Property Any_changed_character_is_rejected() =>
        Prop.ForAll(Manifests, Arb.From(Gen.Choose(0, 100_000)), Arb.From(Gen.Elements('0', 'x', '\n', ' ', '\0')), (m, at, c) =>
        {
            var text = ManifestText.Format(m).ToCharArray();
            var i = at % text.Length;
            if (text[i] == c) return true.ToProperty();
            text[i] = c;
            return ManifestText.Parse(new string(text)).IsFail.ToProperty();
        });

    [Theory]
    // What earlier versions wrote (CPU time kept as a double of seconds, printed round-trip), read to the nanosecond.
    [InlineData("1234.5", 1_234_500_000_000L)]
    [InlineData("3.1630000000000003", 3_163_000_000L)]
    [InlineData("1E-09", 1L)]
    [InlineData("0", 0L)]
    // What this version writes: seconds with up to nine decimals, exact.
    [InlineData("12345.678000001", 12_345_678_000_001L)]
    [InlineData("9223372036.854775807", long.MaxValue)]
    public void The_CPU_time_in_the_text_is_seconds_read_as_whole_nanoseconds(string seconds, long nanos)
    {
        var text = WithCpu(seconds);

        var parsed = ManifestText.Parse(text);

        Assert.Equal(nanos, parsed.Match(m => m.Generations.Head().CpuNanos, e => -1));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("NaN")]
    [InlineData("9223372036.854775808")]
    [InlineData("1e300")]
    public void A_CPU_time_no_nanosecond_count_can_hold_is_rejected(string seconds) =>
        Assert.True(ManifestText.Parse(WithCpu(seconds)).IsFail);

    /// <summary>A one-generation manifest whose cpu= field says <paramref name="seconds"/>, with a valid checksum.</summary>
    private static string WithCpu(string seconds)
    {
        var g = new Generation(1, 0, 0, 0.5, "docker", Seq.create(new StoredFile(0, "state.bin", 3, new string('a', 64))));
        var text = ManifestText.Format(new Manifest(Seq.create(g)));
        var body = text[..text.LastIndexOf("checksum ", System.StringComparison.Ordinal)].Replace(" cpu=0 ", $" cpu={seconds} ");
        var sum = System.Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(body)));
        return body + "checksum " + sum + "\n";
    }

    [Fact]
    public void Text_appended_after_the_checksum_is_rejected()
    {
        var text = ManifestText.Format(Manifest.Empty);
        Assert.True(ManifestText.Parse(text).IsSucc);
        Assert.True(ManifestText.Parse(text + "generation 9\n").IsFail);
        Assert.True(ManifestText.Parse("").IsFail);
    }

    [Theory]
    [InlineData("state.bin", "state.bin", true)]
    [InlineData("ckpt/*.dat", "ckpt/a.dat", true)]
    [InlineData("ckpt/*.dat", "ckpt/a.dat.tmp", false)]
    [InlineData("ckpt/*.dat", "ckpt/sub/a.dat", false)]
    [InlineData("**/*.chk", "a/b/c.chk", true)]
    [InlineData("**/*.chk", "c.chk", true)]
    [InlineData("s?.bin", "s1.bin", true)]
    [InlineData("*", ".boinc-persist", true)]
    public void Glob_matching(string pattern, string path, bool expected) => Assert.Equal(expected, Globs.Matches(pattern, path));

    [Fact]
    public void The_wrapper_state_and_restore_temps_never_count_as_checkpoint_files()
    {
        var all = new[] { "*", "**" }.ToSeq();
        Assert.False(Globs.MatchesAny(all, ".boinc-persist"));
        Assert.False(Globs.MatchesAny(all, ".boinc-persist/checkpoints/MANIFEST"));
        Assert.False(Globs.MatchesAny(all, "state.bin" + StoreLayout.RestoreSuffix));
        Assert.True(Globs.MatchesAny(all, "state.bin"));
    }
}
