using System;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Boinc.Persist.Core.Config;
using Xunit;

namespace Boinc.Persist.Properties.Architecture;

/// <summary>
/// The wrapper carries no System.Xml: as Native AOT, System.Private.Xml cost about 3.6 MB of peak RSS (issue 17)
/// for its one use, init_data.xml, which <c>XmlText</c> reads now. Read from the compiled assemblies' metadata, so a
/// reference hidden in a lambda or a generic argument is found too. (The tests may use XDocument, as an oracle.)
/// </summary>
public class NoSystemXmlTests
{
    [Theory]
    [InlineData(typeof(JobConfig))]
    [InlineData(typeof(Boinc.Persist.Shell.Program))]
    public void The_wrapper_references_nothing_of_System_Xml(Type inAssembly)
    {
        using var stream = File.OpenRead(inAssembly.Assembly.Location);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var xml = md.TypeReferences
            .Select(h => md.GetString(md.GetTypeReference(h).Namespace))
            .Concat(md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name)))
            .Where(n => n == "System.Xml" || n.StartsWith("System.Xml.", StringComparison.Ordinal) || n.StartsWith("System.Private.Xml", StringComparison.Ordinal))
            .Distinct()
            .ToList();
        Assert.True(xml.Count == 0, $"{inAssembly.Assembly.GetName().Name} references {string.Join(", ", xml)}");
    }
}
