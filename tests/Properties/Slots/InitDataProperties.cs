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
}
