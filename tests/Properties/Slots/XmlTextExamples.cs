using System.Linq;
using System.Text;
using Boinc.Persist.Core.Slots;
using LanguageExt;
using Xunit;
using Xunit.Sdk;

namespace Boinc.Persist.Properties.Slots;

public class XmlTextExamples
{
    private static XmlNode.Element Read(string xml) =>
        XmlText.Parse(xml).Match(root => root, e => throw new XunitException($"refused: {e}"));

    private static XmlError Refused(string xml) =>
        XmlText.Parse(xml).Match(root => throw new XunitException($"accepted: <{root.Name}>"), e => e);

    [Fact]
    public void Every_construct_the_reader_takes_in_one_document()
    {
        var root = Read(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone='no'?>\r\n" +
            "<!-- a comment --><?pi some data?>\n" +
            "<app_init_data a=\"1\" b = '&amp;&#65;'>\n" +
            "  <x>one &lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#x1F600; two</x>\r\n" +
            "  <y><![CDATA[<raw> & ]]]]><!-- gone --><?p?>\r\rz</y>\n" +
            "  <empty/><empty2 c='x'\n/>\n" +
            "</app_init_data >\n" +
            "<!-- after -->\n");
        Assert.Equal("app_init_data", root.Name);
        Assert.Equal(3, root.Line);
        var c = root.Children;
        Assert.Equal(new[] { "x", "y", "empty", "empty2" }, c.Map(e => e.Name).ToArray());
        Assert.Equal(new[] { 4, 5, 8, 8 }, c.Map(e => e.Line).ToArray());
        Assert.Equal("one <>&\"' AB\U0001F600 two", c[0].Value);
        Assert.Equal("<raw> & ]]\n\nz", c[1].Value);
        Assert.Equal("", c[2].Value);
    }

    [Fact]
    public void White_space_alone_between_markup_is_dropped_as_XDocument_drops_it()
    {
        Assert.Equal("ab", Read("<r>a<x/> &#32;\r\n\t<y/>b</r>").Value);
        Assert.Equal(" a b ", Read("<r> a<x/>\tb </r>").Value.Replace('\t', ' '));
        Assert.Equal(" ", Read("<r><![CDATA[ ]]></r>").Value);
    }

    [Theory]
    [InlineData("", 1, "no root element")]
    [InlineData("\n\n", 3, "no root element")]
    [InlineData("text\n<a/>", 1, "before the root")]
    [InlineData("\uFEFF<a/>", 1, "before the root")]
    [InlineData("<a/>\n\ntext", 3, "may follow the root")]
    [InlineData("<a/>\n<b/>", 2, "a second element")]
    [InlineData("<a>\n<b>\n</c>\n</a>", 3, "</c> does not close <b> opened on line 2")]
    [InlineData("<a>\n<b>\n", 3, "ends inside <b> opened on line 2")]
    [InlineData("<a>\r\r\n\n<b></c></a>", 4, "does not close")]
    [InlineData("<a>\n&foo;</a>", 2, "&foo; is not one of XML's five entities")]
    [InlineData("<a>\n&LT;</a>", 2, "not one of XML's five")]
    [InlineData("<a>\n&amp</a>", 2, "ending with ';'")]
    [InlineData("<a>\n& amp;</a>", 2, "ending with ';'")]
    [InlineData("<a>\n&#0;</a>", 2, "not allow")]
    [InlineData("<a>\n&#1;</a>", 2, "not allow")]
    [InlineData("<a>\n&#xD800;</a>", 2, "not allow")]
    [InlineData("<a>\n&#xFFFE;</a>", 2, "not allow")]
    [InlineData("<a>\n&#x110000;</a>", 2, "not allow")]
    [InlineData("<a>\n&#99999999999999999999;</a>", 2, "not allow")]
    [InlineData("<a>\n&#X41;</a>", 2, "&#digits;")]
    [InlineData("<a>\n&#65 ;</a>", 2, "&#digits;")]
    [InlineData("<a>\n&#x;</a>", 2, "&#digits;")]
    [InlineData("<a>\n\u0001</a>", 2, "U+0001")]
    [InlineData("<a>\n\u0000</a>", 2, "U+0000")]
    [InlineData("<a>\n\uFFFF</a>", 2, "U+FFFF")]
    [InlineData("<a><!--\n\u0001--></a>", 2, "U+0001")]
    [InlineData("<a><![CDATA[\n\u0008]]></a>", 2, "U+0008")]
    [InlineData("<a x='\n\u0002'/>", 2, "U+0002")]
    [InlineData("<a>\n]]></a>", 2, "']]>'")]
    [InlineData("<a><!--\n-- --></a>", 2, "'--' inside a comment")]
    [InlineData("<a><!-- x ---></a>", 1, "'--' inside a comment")]
    [InlineData("<a><!-- x </a>", 1, "ends inside a comment")]
    [InlineData("<a><![CDATA[ x </a>", 1, "ends inside a CDATA section")]
    [InlineData("<a><?p x </a>", 1, "ends inside a processing instruction")]
    [InlineData("<a x='1'\n x='2'/>", 2, "'x' appears twice")]
    [InlineData("<a\nx=1/>", 2, "must be quoted")]
    [InlineData("<a x='1'y='2'/>", 1, "expected whitespace")]
    [InlineData("<a x/>", 1, "expected '='")]
    [InlineData("<a x='<'/>", 1, "'<' inside an attribute value")]
    [InlineData("<a x='&bad;'/>", 1, "&bad;")]
    [InlineData("<a x='1/>", 1, "ends inside an attribute value")]
    [InlineData("<a / >", 1, "expected a name")]
    [InlineData("< a/>", 1, "expected a name")]
    [InlineData("<a></ a>", 1, "does not close")]
    [InlineData("<a>\n<!ELEMENT x></a>", 2, "neither a comment nor a CDATA section")]
    [InlineData("<![CDATA[x]]><a/>", 1, "before the root")]
    [InlineData("<a>\n<\u00e9/></a>", 2, "ASCII")]
    [InlineData("<a\u00e9/>", 1, "ASCII")]
    [InlineData(" <?xml version=\"1.0\"?><a/>", 1, "only at the very start")]
    [InlineData("<a>\n<?xml version=\"1.0\"?></a>", 2, "only at the very start")]
    [InlineData("<a>\n<?XmL x?></a>", 2, "reserved")]
    [InlineData("<a><?p:q x?></a>", 1, "cannot contain ':'")]
    [InlineData("<a><?p x\u0001?></a>", 1, "U+0001")]
    [InlineData("<a><?px\u0001?></a>", 1, "expected whitespace or '?>'")]
    [InlineData("<?xml?><a/>", 1, "a space before 'version'")]
    [InlineData("<?xml version=\"1.1\"?><a/>", 1, "not 1.0")]
    [InlineData("<?xml version=\"1.0\"encoding=\"UTF-8\"?><a/>", 1, "ends with '?>'")]
    [InlineData("<?xml version=\"1.0\" encoding=\"1x\"?><a/>", 1, "not an encoding name")]
    [InlineData("<?xml version=\"1.0\" standalone=\"maybe\"?><a/>", 1, "'yes' or 'no'")]
    [InlineData("<?xml version=\"1.0\" standalone=\"yes\" encoding=\"UTF-8\"?><a/>", 1, "ends with '?>'")]
    [InlineData("<?xml\nencoding=\"UTF-8\"?><a/>", 2, "must start with version")]
    public void Each_kind_of_malformed_text_is_refused_with_its_line(string xml, int line, string reason)
    {
        var e = Assert.IsType<XmlError.Malformed>(Refused(xml));
        Assert.Equal(line, e.Line);
        Assert.Contains(reason, e.Reason);
    }

    [Fact]
    public void A_lone_surrogate_is_refused_with_its_line()
    {
        // Built here, not in [InlineData]: the test runner passes attribute strings through UTF-8, which replaces lone surrogates.
        foreach (var (xml, code) in new[] { ("<a>\n\uD800x</a>", "U+D800"), ("<a>\n\uDC00</a>", "U+DC00"), ("<a>\n\uD800", "U+D800") })
        {
            var e = Assert.IsType<XmlError.Malformed>(Refused(xml));
            Assert.Equal(2, e.Line);
            Assert.Contains(code, e.Reason);
        }
        Assert.Equal("\uD83D\uDE00", Read("<a>\uD83D\uDE00</a>").Value);
    }

    [Theory]
    [InlineData("<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"y\">]>\n<a>&x;</a>", 2)]
    [InlineData("<a>\n<!-- <!DOCTYPE --></a>", 2)]
    [InlineData("<a>\r\n<![CDATA[<!DOCTYPE]]></a>", 2)]
    [InlineData("<a>\n</b><!DOCTYPE", 2)]
    public void A_DOCTYPE_anywhere_is_refused_before_anything_else(string xml, int line)
    {
        var e = Assert.IsType<XmlError.Doctype>(Refused(xml));
        Assert.Equal(line, e.Line);
    }

    [Theory]
    [InlineData("<a xmlns='u'/>", 1, "a", true)]
    [InlineData("<a xmlns=''/>", 1, "a", true)]
    [InlineData("<p:a xmlns:p='u'/>", 1, "p:a", true)]
    [InlineData("<p:a/>", 1, "p:a", true)]
    [InlineData("<a xmlns:p='u'/>", 1, "a", true)]
    [InlineData("<a>\n<b>\n<p:c xmlns:p='u'/><d xmlns='v'/></b></a>", 3, "p:c", false)]
    [InlineData("<a>\n<b xml:space='preserve'> </b></a>", 2, "b", false)]
    public void Namespaces_are_refused_naming_the_first_element_that_uses_one(string xml, int line, string element, bool onRoot)
    {
        Assert.Equal(new XmlError.UsesNamespace(line, element, onRoot), Refused(xml));
    }

    [Fact]
    public void A_malformed_text_is_malformed_even_when_it_also_uses_a_namespace()
    {
        Assert.IsType<XmlError.Malformed>(Refused("<p:a xmlns:p='u'>\n</a>"));
    }

    [Fact]
    public void Elements_nest_64_deep_and_no_deeper()
    {
        static string Nested(int depth) =>
            string.Concat(Enumerable.Repeat("<e>\n", depth)) + string.Concat(Enumerable.Repeat("</e>", depth));

        Assert.Equal(64, Depth(Read(Nested(XmlText.MaxDepth))));
        var e = Assert.IsType<XmlError.Malformed>(Refused(Nested(XmlText.MaxDepth + 1)));
        Assert.Equal(65, e.Line);
        Assert.Contains("deeper than 64", e.Reason);
        Assert.Equal(65, Assert.IsType<XmlError.Malformed>(Refused("<e>\n".Repeat(64) + "<e/>")).Line);
    }

    private static int Depth(XmlNode.Element e) => 1 + e.Children.Map(Depth).Fold(0, System.Math.Max);

    [Fact]
    public void A_hundred_thousand_nested_elements_are_refused_without_a_deep_stack()
    {
        var e = Assert.IsType<XmlError.Malformed>(Refused("<e>\n".Repeat(100_000) + "</e>".Repeat(100_000)));
        Assert.Equal(65, e.Line);
        Assert.IsType<XmlError.Malformed>(Refused("<e>".Repeat(100_000)));
        Assert.IsType<XmlError.Malformed>(Refused("<a>" + "</e>".Repeat(100_000)));
    }

    [Fact]
    public void Several_megabytes_of_text_references_and_lines_are_read_in_one_pass()
    {
        var lines = 400_000;
        var text = new StringBuilder("<r>\n");
        for (var i = 0; i < lines; i++)
            text.Append("x &amp; &#x41; y\r\n");
        text.Append("<last/></r>");
        Assert.True(text.Length > 7_000_000);
        var root = Read(text.ToString());
        Assert.Equal(lines * "x & A y\n".Length + 1, root.Value.Length);
        Assert.Equal(lines + 2, root.Children.Single().Line);
    }

    [Fact]
    public void Half_a_million_sibling_elements_keep_their_lines()
    {
        var root = Read("<r>\n" + "<x/>\n".Repeat(500_000) + "<y a='1'></y>\n</r>");
        Assert.Equal(500_001, root.Children.Count);
        Assert.Equal(500_002, root.Children.Last.Line);
    }

    [Theory]
    [InlineData("<r><!--{0}--></r>")]
    [InlineData("<r a='{0}'/>")]
    [InlineData("<r><?p {0}?></r>")]
    [InlineData("<r><![CDATA[{0}]]></r>")]
    public void Megabytes_inside_one_comment_attribute_instruction_or_CDATA_are_read(string shape)
    {
        var big = "-abc \n".Repeat(700_000);
        Read(string.Format(System.Globalization.CultureInfo.InvariantCulture, shape, big));
    }

    [Theory]
    [InlineData("<a>&{0};</a>")]
    [InlineData("<a>&#1{0};</a>")]
    [InlineData("<?xml version=\"{0}\n\u0001\"?><a/>")]
    [InlineData("<a{0}>\n</b>")]
    [InlineData("<a{0} x='1' x='2'>")]
    [InlineData("<a><?x:{0}?></a>")]
    [InlineData("<{0} ")]
    public void A_message_quotes_at_most_a_line_of_the_text(string shape)
    {
        var xml = string.Format(System.Globalization.CultureInfo.InvariantCulture, shape, "ab".Repeat(100_000));
        var e = Assert.IsType<XmlError.Malformed>(Refused(xml));
        Assert.InRange(e.Reason.Length, 1, 200);
        Assert.DoesNotContain('\n', e.Reason);
        Assert.DoesNotContain('\u0001', e.Reason);
    }

    [Theory]
    [InlineData("<r ")]
    [InlineData("<r a='")]
    [InlineData("<r><!-- ")]
    [InlineData("<r>&#")]
    [InlineData("<r><![CDATA[")]
    public void Megabytes_of_an_unfinished_construct_are_refused(string start)
    {
        Assert.IsType<XmlError.Malformed>(Refused(start + "1".Repeat(4_000_000)));
    }
}

internal static class TextRepeat
{
    public static string Repeat(this string s, int times) => new StringBuilder(s.Length * times).Insert(0, s, times).ToString();
}
