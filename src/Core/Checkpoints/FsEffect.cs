using LanguageExt;

namespace Boinc.Persist.Core.Checkpoints;

/// <summary>
/// A file-system effect, produced by Core and run by one of two interpreters: the shell's (the real disk) or
/// the model's (<see cref="Model.ModelFs"/>). Paths are slot-relative. Closed union.
/// </summary>
public abstract record FsEffect
{
    private FsEffect() { }

    /// <summary>Create a directory if it does not exist (its parent must).</summary>
    public sealed record CreateDir(string Path) : FsEffect;

    /// <summary>Create or truncate <paramref name="To"/> with the bytes of <paramref name="From"/> (reflink when the file system can).</summary>
    public sealed record CopyFile(string From, string To) : FsEffect;

    /// <summary>
    /// Create <paramref name="To"/> fresh (whatever non-directory has the name is unlinked first) holding the files'
    /// bytes one after another, hashing each as it is written (a pack's data, <see cref="PackFormat"/>).
    /// </summary>
    public sealed record PackFiles(Seq<string> From, string To) : FsEffect;

    /// <summary>Append this text (UTF-8) to an existing file.</summary>
    public sealed record AppendText(string Path, string Text) : FsEffect;

    /// <summary>Create <paramref name="To"/> fresh holding bytes [Offset, Offset + Length) of <paramref name="From"/> (which must have them).</summary>
    public sealed record CopyRange(string From, long Offset, long Length, string To) : FsEffect;

    /// <summary>Create or truncate a file and write this text (UTF-8) into it.</summary>
    public sealed record WriteFile(string Path, string Text) : FsEffect;

    /// <summary>fsync(2) a file: its data becomes durable (not its name: that needs <see cref="FsyncDir"/>).</summary>
    public sealed record Fsync(string Path) : FsEffect;

    /// <summary>fsync a directory: names created, renamed or removed in it become durable.</summary>
    public sealed record FsyncDir(string Path) : FsEffect;

    /// <summary>rename(2): atomic replace within one file system; never a copy.</summary>
    public sealed record Rename(string From, string To) : FsEffect;

    /// <summary>Remove a file if it exists.</summary>
    public sealed record Delete(string Path) : FsEffect;

    /// <summary>Remove a directory and everything in it, if it exists.</summary>
    public sealed record DeleteTree(string Path) : FsEffect;

    public sealed override string ToString() => this switch
    {
        CreateDir e => $"mkdir {e.Path}",
        CopyFile e => $"copy {e.From} -> {e.To}",
        WriteFile e => $"write {e.Path} ({e.Text.Length} chars)",
        PackFiles e => $"pack {string.Join(", ", e.From)} -> {e.To}",
        AppendText e => $"append {e.Path} ({e.Text.Length} chars)",
        CopyRange e => $"copy {e.From} [{e.Offset}, +{e.Length}) -> {e.To}",
        Fsync e => $"fsync {e.Path}",
        FsyncDir e => $"fsync-dir {e.Path}",
        Rename e => $"rename {e.From} -> {e.To}",
        Delete e => $"delete {e.Path}",
        DeleteTree e => $"delete-tree {e.Path}",
        _ => "?",
    };
}
