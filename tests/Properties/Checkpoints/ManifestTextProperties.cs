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
