using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;

namespace Boinc.Persist.Properties;

/// <summary>What a hostile job can leave at a name in its slot.</summary>
public enum PlantedKind
{
    File,
    Directory,
    LinkToSentinelDir,
    LinkToSentinelFile,
    LinkToNewFileInSentinel,
    LinkRelativeEscape,
    LinkToParent,
    LinkToSelfDir,
    Fifo,
}

/// <summary>One planted entry: a slot-relative path and what is there.</summary>
public sealed record Planted(string Path, PlantedKind Kind)
{
    public override string ToString() => $"{Path}:{Kind}";
}

/// <summary>An operation of the slot accessor on (up to) two slot-relative paths.</summary>
public enum AccessorOp
{
    List,
    Kind,
    Read,
    ReadText,
    CreateFresh,
    Fsync,
    FsyncDir,
    CreateDir,
    Rename,
    Delete,
    DeleteTree,
    Copy,
    OpenOrCreate,
    Commit,
    Recover,
}

public sealed record AccessorCall(AccessorOp Op, string A, string B)
{
    public override string ToString() => $"{Op}({A},{B})";
}

/// <summary>A random tree of files, directories, symlinks (into a sentinel directory outside the slot, to its
/// parent, relative escapes) and FIFOs, and random accessor operations on names in and through it.</summary>
public sealed record HostileTree(Seq<Planted> Entries, Seq<AccessorCall> Calls, bool WalkOnly)
{
    public override string ToString() =>
        $"walk={WalkOnly} tree=[{string.Join(", ", Entries)}] calls=[{string.Join(", ", Calls)}]";
}

public static partial class Generators
{
    private static readonly string[] TreeNames = ["a", "b", "data", "ckpt", "x.dat"];

    /// <summary>A slot-relative path of one to three components from a small alphabet, so calls hit planted entries.</summary>
    public static Gen<string> TreePath =>
        Gen.Elements(TreeNames).ArrayOf().Where(a => a.Length is >= 1 and <= 3).Select(a => string.Join("/", a));

    public static Arbitrary<HostileTree> HostileTreeArb()
    {
        var planted =
            from path in TreePath
            from kind in Gen.Elements(System.Enum.GetValues<PlantedKind>())
            select new Planted(path, kind);
        var call =
            from op in Gen.Elements(System.Enum.GetValues<AccessorOp>())
            from a in TreePath
            from b in TreePath
            select new AccessorCall(op, a, b);
        var tree =
            from entries in Gen.Choose(0, 14).SelectMany(n => Gen.ListOf(planted, n))
            from calls in Gen.Choose(1, 20).SelectMany(n => Gen.ListOf(call, n))
            from walk in Gen.Elements(true, false)
            select new HostileTree(entries.ToSeq(), calls.ToSeq(), walk);
        return Arb.From(tree);
    }
}
