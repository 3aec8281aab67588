using Boinc.Persist.Core.Diagnostics;
using Boinc.Persist.Core.Slots;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Boinc.Persist.Properties.Slots;

[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 300)]
public class InitDataProperties
{
    [Property]
    public Property A_context_written_like_the_client_parses_back_equal(SlotContext c)
    {
        var xml = InitDataWriter.Write(c);
        var parsed = SlotContexts.Parse("init_data.xml", xml);
        return parsed.Value.Exists(p => p == c)
            .Label($"{string.Join("; ", parsed.Findings)}\n{parsed.Value}\n{xml}");
    }

    [Property]
    public Property Cutting_the_file_short_is_an_error_with_a_line_not_an_exception(SlotContext c, PositiveInt cut)
    {
        var xml = InitDataWriter.Write(c);
        var at = cut.Get % (xml.Length - 20);
        var parsed = SlotContexts.Parse("init_data.xml", xml.Substring(0, at));
        return (!parsed.IsOk && parsed.Errors.ForAll(e => e.Where.File == "init_data.xml")).Label(xml.Substring(0, at));
    }

    [Property]
    public Property A_file_the_client_writes_is_read_as_the_XDocument_reader_read_it(ClientInitData file)
    {
        var parsed = SlotContexts.Parse("init_data.xml", file.Text);
        var oracle = XDocumentOracle.ParseInitData("init_data.xml", file.Text);
        return (parsed.Value.Exists(c => c == file.Context) && parsed == oracle)
            .Label($"now: {Show(parsed)}\nXDocument: {Show(oracle)}");
    }

    /// <summary>
    /// Soundness against the reader the wrapper had (XDocument): a text refused as XML may be one XDocument took
    /// (the new reader is stricter: ASCII names, no namespaces, 64 levels), but a text it takes, XDocument took
    /// too, with the same context and the same findings (codes, lines, messages).
    /// </summary>
    [Property(MaxTest = 3000)]
    public Property A_text_taken_as_XML_was_taken_by_XDocument_with_the_same_context_and_findings(MutatedXml text)
    {
        var parsed = SlotContexts.Parse("init_data.xml", text.Text);
        var refusedAsXml = parsed.Errors.Exists(e => e.Code == DiagnosticCodes.InitDataMalformed || e.Code == DiagnosticCodes.InitDataWrongRoot);
        if (refusedAsXml)
            return true.ToProperty().Classify(true, "refused as XML");
        var oracle = XDocumentOracle.ParseInitData("init_data.xml", text.Text);
        return (parsed == oracle)
            .Classify(parsed.IsOk, "a context")
            .Label($"now: {Show(parsed)}\nXDocument: {Show(oracle)}");
    }

    private static string Show(Checked<SlotContext> c) => $"{c.Value}\n  {string.Join("\n  ", c.Findings)}";
}
