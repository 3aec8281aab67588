using System.Linq;
using Boinc.Persist.Core.Slots;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Slots;

/// <summary>
/// <see cref="XmlText"/> against <c>XDocument.Parse</c> as the oracle (<see cref="XDocumentOracle"/>): it reads
/// well-formed documents as XDocument does (every element, in order, with its line and value), and it never
/// accepts a text XDocument refuses, nor reads an accepted one differently.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 500)]
public class XmlTextProperties
{
    /// <summary>Every element of what XmlText read, in document order, as the oracle lists them.</summary>
    public static Option<Seq<(string Name, int Line, string Value)>> Elements(string xml) =>
        XmlText.Parse(xml).Match(
            Right: root => Option<Seq<(string, int, string)>>.Some(Flatten(root).ToSeq().Strict()),
            Left: _ => Option<Seq<(string, int, string)>>.None);

    private static System.Collections.Generic.IEnumerable<(string, int, string)> Flatten(XmlNode.Element e) =>
        new[] { (e.Name, e.Line, e.Value) }.Concat(e.Children.SelectMany(Flatten));

    private static string Show(Option<Seq<(string Name, int Line, string Value)>> elements) =>
        elements.Match(
            es => string.Join("\n", es.Map(e => $"  <{e.Name}> line {e.Line}: {System.Text.Json.JsonSerializer.Serialize(e.Value)}")),
            () => "  refused");

    [Property]
    public Property A_well_formed_document_is_read_as_XDocument_reads_it(WellFormedXml doc)
    {
        var read = Elements(doc.Text);
        var oracle = XDocumentOracle.Elements(doc.Text);
        return (oracle.IsSome && read == oracle)
            .Label($"XmlText:\n{Show(read)}\nXDocument:\n{Show(oracle)}");
    }

    [Property(MaxTest = 3000)]
    public Property What_the_reader_accepts_XDocument_accepts_and_reads_the_same(MutatedXml text)
    {
        var read = Elements(text.Text);
        var oracle = XDocumentOracle.Elements(text.Text);
        return (read.IsNone || read == oracle)
            .Classify(read.IsSome, "accepted")
            .Label($"XmlText:\n{Show(read)}\nXDocument:\n{Show(oracle)}");
    }

    [Fact]
    public void The_mutations_leave_both_accepted_and_refused_texts()
    {
        // Guards the property above against a generator that only ever breaks (or never breaks) the text.
        var sample = Generators.MutatedXmlGen.Sample(400).Select(m => Elements(m.Text).IsSome).ToList();
        Assert.Equal(400, sample.Count);
        Assert.InRange(sample.Count(accepted => accepted), 20, 380);
    }
}
