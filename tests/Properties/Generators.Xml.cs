using System.Linq;
using System.Text.Json;
using Boinc.Persist.Core.Slots;
using Boinc.Persist.Properties.Slots;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

/// <summary>A well-formed XML document (no namespaces, ASCII names), built from every construct XML has but DTDs.</summary>
public sealed record WellFormedXml(string Text)
{
    public override string ToString() => $"WellFormedXml({JsonSerializer.Serialize(Text)})";
}

/// <summary>An init_data.xml as the client writes it (<see cref="InitDataWriter"/>), sometimes with project
/// preferences, global preferences and app files it carries too, and the context it was written from.</summary>
public sealed record ClientInitData(SlotContext Context, string Text)
{
    public override string ToString() => $"ClientInitData({JsonSerializer.Serialize(Text)})";
}

/// <summary>A text made from a client-written file or a well-formed document by cuts, insertions of markup
/// fragments and bytes, deletions and copies: the story says which, in order.</summary>
public sealed record MutatedXml(string Story, string Text)
{
    public override string ToString() => $"{Story}\n{JsonSerializer.Serialize(Text)}";
}

public static partial class Generators
{
    /// <summary>Element names: those SlotContexts reads (at the root and in host_info, proxy_info) and others.</summary>
    private static readonly string[] XmlNames =
    {
        "app_init_data", "project_dir", "wu_name", "result_name", "slot", "ncpus", "shm_key", "gpu_type", "host_info",
        "proxy_info", "p_vendor", "os_name", "docker_type", "use_http_proxy", "http_server_port", "coprocs", "a", "B",
        "_x", "x.y-z1", "project_preferences",
    };

    private static Gen<string> XmlSpace => Gen.Elements("", "", " ", "\n", "\r\n", "\r", "\t", "\n    ", " \r\n\t");

    /// <summary>Pieces of character data: plain text, every kind of reference, white space raw and referenced,
    /// line ends of all three kinds, characters .NET trims but XML does not count as white space. No piece ends
    /// with ']', so that no two make the "]]>" text may not hold.</summary>
    private static Gen<string> XmlTextPiece => Gen.Elements(
        "x", "7", "-1", "1.500000", "/var/lib/boinc/projects/p_1", " ", "  ", "\n", "\r\n", "\r", "\t", "&lt;", "&gt;",
        "&amp;", "&quot;", "&apos;", "&#65;", "&#x41;", "&#0065;", "&#32;", "&#x20;", "&#x9;", "&#xD;", "&#10;",
        "&#195;&#169;", "&#x1F600;", "é", "😀", "日本", "]]&gt;", "]a", "]]b", ">", "\"", "'", "\u00a0", "\u0085",
        "\u2028", "\u007f", "\ufffd");

    private static Gen<string> XmlCharData =>
        from n in Gen.Choose(1, 5)
        from pieces in Gen.ArrayOf(XmlTextPiece, n)
        select string.Concat(pieces);

    private static Gen<string> XmlMisc => Gen.Elements(
        "<!-- c -->", "<!---->", "<!-- a - b \r\n -->", "<!--<x>&amp;-->", "<?p?>", "<?pi data \r\n ?>",
        "<?xml-stylesheet href='x'?>");

    private static Gen<string> XmlCData => Gen.Elements(
        "<![CDATA[]]>", "<![CDATA[ ]]>", "<![CDATA[\n]]>", "<![CDATA[<x>&amp;]]]]>", "<![CDATA[a\r\nb\rc]]>", "<![CDATA[7]]>");

    private static Gen<string> XmlAttributes =>
        from names in Gen.SubListOf(new[] { "a", "id", "x-y", "_z", "v.1" })
        from values in Gen.ArrayOf(Gen.Elements("", "1", "a b", "&amp;&lt;&#65;&#x41;", "\t\r\n", ">", "é"), names.Count)
        from quotes in Gen.ArrayOf(Gen.Elements('"', '\''), names.Count)
        from spaces in Gen.ArrayOf(Gen.Elements(" ", "\n", " \t", "\r\n "), names.Count)
        from eqs in Gen.ArrayOf(Gen.Elements("=", " = ", "=\n"), names.Count)
        select string.Concat(names.Select((n, i) => $"{spaces[i]}{n}{eqs[i]}{quotes[i]}{values[i]}{quotes[i]}"));

    private static Gen<string> XmlElement(int depth) =>
        from name in Gen.Elements(XmlNames)
        from attributes in Gen.Frequency((3, Gen.Constant("")), (1, XmlAttributes))
        from empty in Gen.Frequency((1, Gen.Constant(true)), (3, Gen.Constant(false)))
        from content in empty ? Gen.Constant("") : XmlContent(depth)
        from before in Gen.Elements("", "", " ", "\n")
        from after in Gen.Elements("", "", " ", "\r\n")
        select empty ? $"<{name}{attributes}{before}/>" : $"<{name}{attributes}{before}>{content}</{name}{after}>";

    /// <summary>Mixed content: text, CDATA, comments, PIs, white space and, above the leaves, child elements.</summary>
    private static Gen<string> XmlContent(int depth) =>
        from n in Gen.Choose(0, depth == 0 ? 3 : 6)
        from items in Gen.ArrayOf(depth == 0
            ? Gen.Frequency((4, XmlCharData), (1, XmlCData), (1, XmlMisc), (2, XmlSpace))
            : Gen.Frequency((3, XmlCharData), (1, XmlCData), (1, XmlMisc), (2, XmlSpace), (5, XmlElement(depth - 1))), n)
        select string.Concat(items);

    private static Gen<string> XmlProlog =>
        from declaration in Gen.Elements("", "", "<?xml version=\"1.0\"?>", "<?xml version='1.0' encoding=\"UTF-8\" standalone='yes' ?>",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>", "<?xml\tversion = \"1.0\"\r\nstandalone=\"no\"?>")
        from misc in Gen.ArrayOf(Gen.OneOf(XmlMisc, XmlSpace)).Select(a => string.Concat(a.Take(3)))
        select declaration + misc;

    public static Gen<WellFormedXml> WellFormedXmlGen =>
        from prolog in XmlProlog
        from depth in Gen.Choose(0, 4)
        from root in XmlElement(depth)
        from epilog in Gen.ArrayOf(Gen.OneOf(XmlMisc, XmlSpace)).Select(a => string.Concat(a.Take(3)))
        select new WellFormedXml(prolog + root + epilog);

    public static Arbitrary<WellFormedXml> WellFormedXmlArb() => Arb.From(WellFormedXmlGen);

    /// <summary>What the client writes besides the fields SlotContexts reads: project preferences (the project's
    /// own XML, copied verbatim), global preferences, app files.</summary>
    private static Gen<string> ClientExtras =>
        from prefs in Gen.Frequency(
            (1, Gen.Constant("")),
            (1, XmlContent(3).Select(c => $"<project_preferences>\n{c}</project_preferences>\n")))
        from global in Gen.Elements("",
            "<global_preferences>\n   <mod_time>1700000000.000000</mod_time>\n   <run_on_batteries>1</run_on_batteries>\n" +
            "   <day_prefs>\n      <day_of_week>1</day_of_week>\n      <start_hour>0.000000</start_hour>\n   </day_prefs>\n" +
            "</global_preferences>\n")
        from files in Gen.Elements("", "<app_file>docker_wrapper_22_x86_64-pc-linux-gnu</app_file>\n<app_file>job_1.toml</app_file>\n")
        select prefs + global + files;

    public static Gen<ClientInitData> ClientInitDataGen =>
        from context in SlotContextGen
        from extras in ClientExtras
        let text = InitDataWriter.Write(context)
        let at = text.IndexOf("<app_name>", System.StringComparison.Ordinal)
        select new ClientInitData(context, text.Insert(at, extras));

    public static Arbitrary<ClientInitData> ClientInitDataArb() => Arb.From(ClientInitDataGen);

    /// <summary>Fragments a mutation inserts: markup openers and closers, references good and bad, namespaces,
    /// a DOCTYPE, characters XML forbids, line ends.</summary>
    private static readonly string[] XmlFragments =
    {
        "<", ">", "&", "/", "=", "\"", "'", "]]>", "<!--", "-->", "--", "<?", "?>", "<?p x?>", "<?xml version=\"1.0\"?>",
        "<![CDATA[", "<![CDATA[x]]>", "<x>", "</x>", "<x/>", "<x a='1'>", "<x a='1' a='2'/>", "<project_dir>",
        "</project_dir>", "<wu_name>w</wu_name>", "<result_name>", "<slot>9</slot>", "<host_info>", "</host_info>",
        "&amp;", "&lt;", "&#65;", "&#x41;", "&#32;", "&#xD;", "&#0;", "&#xD800;", "&#x110000;", "&#xFFFE;", "&#X41;", "&foo;",
        "&amp", "<!DOCTYPE a>", "<!ENTITY x 'y'>", "<p:x xmlns:p='u'/>", " xmlns='u'", " xmlns:p='u'", "p:", " a='1'",
        " a=1", "\0", "\u0001", "\u001f", "\ufffe", "\uffff", "\ud800", "\udc00", "\ufeff", "\r", "\r\n", "\n", "\t", " ",
        "é", "😀", "\u0085",
    };

    /// <summary>One mutation: applied to a text, the new text and what was done, positions included.</summary>
    private static Gen<System.Func<string, (string Text, string Step)>> XmlMutation =>
        from kind in Gen.Choose(0, 9)
        from seed in Gen.Choose(0, int.MaxValue)
        from length in Gen.Choose(1, 40)
        from fragment in Gen.Elements(XmlFragments)
        select new System.Func<string, (string, string)>(t =>
        {
            var at = seed % (t.Length + 1);
            // Half the insertions go right after a '>', between markup, where a well-formed fragment keeps the
            // text well-formed: the reader must then read it as XDocument does, not merely refuse alike.
            var afterTag = t.IndexOf('>', at) + 1;
            var span = System.Math.Min(length, t.Length - at);
            var shown = JsonSerializer.Serialize(fragment);
            return kind switch
            {
                0 => (t.Substring(0, at), $"cut at {at}"),
                1 => (t.Remove(at, span), $"delete {span} at {at}"),
                2 => (t.Insert(at, t.Substring(at, span)), $"copy {span} at {at}"),
                3 => (t.Remove(at, System.Math.Min(1, span)).Insert(at, fragment), $"replace the character at {at} by {shown}"),
                4 or 5 or 6 => (t.Insert(at, fragment), $"insert {shown} at {at}"),
                _ => (t.Insert(afterTag, fragment), $"insert {shown} at {afterTag}"),
            };
        });

    private static Gen<MutatedXml> Mutated(string origin, Gen<string> source) =>
        from text in source
        from n in Gen.Frequency((4, Gen.Constant(1)), (2, Gen.Constant(2)), (1, Gen.Choose(3, 5)))
        from steps in Gen.ArrayOf(XmlMutation, n)
        select steps.Aggregate(new MutatedXml(origin, text), (m, step) =>
        {
            var (next, what) = step(m.Text);
            return new MutatedXml($"{m.Story} -> {what}", next);
        });

    public static Gen<MutatedXml> MutatedXmlGen =>
        Gen.Frequency(
            (3, Mutated("client file", ClientInitDataGen.Select(c => c.Text))),
            (2, Mutated("well-formed document", WellFormedXmlGen.Select(w => w.Text))),
            (1, Gen.ArrayOf(Gen.OneOf(Gen.Elements(XmlFragments), XmlCharData))
                .Select(a => new MutatedXml("fragments", string.Concat(a)))));

    public static Arbitrary<MutatedXml> MutatedXmlArb() => Arb.From(MutatedXmlGen);
}
