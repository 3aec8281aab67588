using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Boinc.Persist.Core;
using Boinc.Persist.Core.Config;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Architecture;

/// <summary>
/// Our code never asks LanguageExt 4.4.9 to concatenate two Seqs (<c>+</c>, <c>+=</c>, <c>Concat</c>, <c>Append</c>,
/// <c>append</c>): that instantiates <c>SeqConcat&lt;A&gt;</c>, an unbounded generic cycle on which the optimizing Native
/// AOT compiler fails (see Shell.csproj). <see cref="Seqs.Then{T}"/> joins sequences instead. Read from the
/// compiled assemblies' metadata, so a call hidden in a lambda or an iterator is found too.
/// </summary>
public class NoSeqConcatTests
{
    private static readonly (string Type, string Member)[] Forbidden =
    {
        ("LanguageExt.Seq`1", "Concat"), ("LanguageExt.Seq`1", "op_Addition"),
        ("SeqExtensions", "Append"), ("LanguageExt.Seq", "append"), ("LanguageExt.Prelude", "append"),
        ("LanguageExt.Seq", "concat"), ("LanguageExt.Prelude", "concat"),
    };

    /// <summary>Every (declaring type, member name) the assembly at <paramref name="path"/> references.</summary>
    private static System.Collections.Generic.HashSet<(string Type, string Member)> MemberReferences(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();

        string TypeName(EntityHandle h)
        {
            switch (h.Kind)
            {
                case HandleKind.TypeReference:
                    var r = md.GetTypeReference((TypeReferenceHandle)h);
                    var ns = md.GetString(r.Namespace);
                    return (ns.Length == 0 ? "" : ns + ".") + md.GetString(r.Name);
                case HandleKind.TypeDefinition:
                    var d = md.GetTypeDefinition((TypeDefinitionHandle)h);
                    var dns = md.GetString(d.Namespace);
                    return (dns.Length == 0 ? "" : dns + ".") + md.GetString(d.Name);
                case HandleKind.TypeSpecification:
                    // A generic instantiation (Seq`1<Diagnostic>): GENERICINST, CLASS|VALUETYPE, the generic type.
                    var blob = md.GetBlobReader(md.GetTypeSpecification((TypeSpecificationHandle)h).Signature);
                    if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance) return "";
                    blob.ReadByte();
                    return TypeName(blob.ReadTypeHandle());
                default:
                    return "";
            }
        }

        return md.MemberReferences
            .Select(h => md.GetMemberReference(h))
            .Select(m => (TypeName(m.Parent), md.GetString(m.Name)))
            .ToHashSet();
    }

    private static List<string> ForbiddenIn(string path) =>
        MemberReferences(path).Where(Forbidden.Contains).Select(m => $"{m.Type}.{m.Member}").ToList();

    [Fact]
    public void Core_never_concatenates_seqs_with_LanguageExt()
    {
        var bad = ForbiddenIn(typeof(JobConfig).Assembly.Location);
        Assert.True(bad.Count == 0, "Core references " + string.Join(", ", bad) + "; use Seqs.Then");
    }

    [Fact]
    public void Shell_never_concatenates_seqs_with_LanguageExt()
    {
        var bad = ForbiddenIn(typeof(Boinc.Persist.Shell.Program).Assembly.Location);
        Assert.True(bad.Count == 0, "Shell references " + string.Join(", ", bad) + "; use Seqs.Then");
    }

    [Fact]
    public void The_check_sees_a_concatenation_when_there_is_one()
    {
        // LanguageExt's own Seq.append calls Seq<T>.Concat on an instantiated Seq; if the reader missed that, the
        // checks above would pass vacuously.
        var bad = ForbiddenIn(typeof(Seq<int>).Assembly.Location);
        Assert.Contains("LanguageExt.Seq`1.Concat", bad);
    }

    [Property(MaxTest = 300)]
    public Property Then_is_the_first_items_followed_by_the_second(int[] first, int[] second, bool lazyFirst)
    {
        var a = lazyFirst ? first.Select(x => x).ToSeq() : first.ToSeq();
        var joined = a.Then(second.ToSeq());
        return (joined.ToArray().SequenceEqual(first.Concat(second)) && joined.Count == first.Length + second.Length)
            .Label($"{string.Join(",", joined)}");
    }
}
