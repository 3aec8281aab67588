using Boinc.Persist.Core.Checkpoints;
using System.Linq;
using LanguageExt;
using LanguageExt.Common;

namespace Boinc.Persist.Core.Verification.Model;

/// <summary>A file-system view: directories, names (path to inode) and inode contents.</summary>
public sealed record FsView(HashSet<string> Dirs, HashMap<string, long> Names, HashMap<long, string> Data)
{
    public static FsView Root { get; } = new(HashSet<string>.Empty.Add("."), HashMap<string, long>.Empty, HashMap<long, string>.Empty);

    public Option<string> Read(string path) => Names.Find(path).Map(i => Data.Find(i).IfNone(""));

    public bool DirExists(string path) => Dirs.Contains(path);

    /// <summary>
    /// What a process can see, as one canonical string: the directories and each name's content (inode numbers
    /// left out, so two views that differ only in how they got there are one). Equal fingerprints, equal recoveries.
    /// </summary>
    public string Fingerprint()
    {
        var b = new System.Text.StringBuilder();
        foreach (var d in Dirs.OrderBy(d => d, System.StringComparer.Ordinal)) b.Append('D').Append(d).Append('\n');
        foreach (var (name, inode) in Names.OrderBy(n => n.Key, System.StringComparer.Ordinal))
        {
            var data = Data.Find(inode).IfNone("");
            b.Append('F').Append(name).Append(' ').Append(data.Length).Append(' ').Append(data).Append('\n');
        }

        return b.ToString();
    }

    /// <summary>Drop names and directories whose parent directory does not exist (unreachable after a crash).</summary>
    public FsView Pruned()
    {
        var dirs = Dirs;
        bool Reachable(string p) { var q = StoreLayout.Parent(p); return q == "." || (dirs.Contains(q) && Reachable(q)); }
        dirs = dirs.Filter(d => d == "." || Reachable(d));
        return this with { Dirs = dirs, Names = Names.Filter((p, _) => Reachable(p)) };
    }
}

/// <summary>An operation not yet durable. Data writes become durable by fsync of the file; the rest by fsync of a directory they touch.</summary>
public abstract record Pending
{
    private Pending() { }

    public sealed record Data(long Inode, string Content) : Pending;
    public sealed record Link(string Path, long Inode) : Pending;
    public sealed record Unlink(string Path) : Pending;
    public sealed record Move(string From, string To, long Inode) : Pending;
    public sealed record Mkdir(string Path) : Pending;
    public sealed record Rmdir(string Path) : Pending;

    public sealed override string ToString() => this switch
    {
        Data d => $"data of inode {d.Inode} ({d.Content.Length} chars)",
        Link l => $"link {l.Path}",
        Unlink u => $"unlink {u.Path}",
        Move m => $"rename {m.From} -> {m.To}",
        Mkdir d => $"mkdir {d.Path}",
        Rmdir d => $"rmdir {d.Path}",
        _ => "?",
    };

    private static string Holed(string content, string before, int at, int length)
    {
        var end = System.Math.Min(content.Length, at + length);
        var b = new System.Text.StringBuilder(content.Length);
        b.Append(content, 0, at);
        for (var i = at; i < end; i++) b.Append(i < before.Length ? before[i] : '\0');
        b.Append(content, end, content.Length - end);
        return b.ToString();
    }

    public bool Touches(string dir) => this switch
    {
        Link l => StoreLayout.Parent(l.Path) == dir,
        Unlink u => StoreLayout.Parent(u.Path) == dir,
        Move m => StoreLayout.Parent(m.From) == dir || StoreLayout.Parent(m.To) == dir,
        Mkdir d => StoreLayout.Parent(d.Path) == dir,
        Rmdir d => StoreLayout.Parent(d.Path) == dir,
        _ => false,
    };

    /// <summary>
    /// Apply to a view; <paramref name="keepChars"/> tears a data write to its first characters, and a hole of
    /// <paramref name="holeLength"/> characters at <paramref name="holeAt"/> keeps there what the inode held before
    /// (in <paramref name="before"/>, the durable state, when given: NUL past its end): the blocks of one write that
    /// did not reach the disk while later ones did.
    /// </summary>
    public FsView ApplyTo(FsView v, int keepChars = int.MaxValue, int holeAt = 0, int holeLength = 0, FsView? before = null) => this switch
    {
        Data d when holeLength > 0 && holeAt < d.Content.Length => v with { Data = v.Data.AddOrUpdate(d.Inode, Holed(d.Content, (before ?? v).Data.Find(d.Inode).IfNone(""), holeAt, holeLength)) },
        Data d => v with { Data = v.Data.AddOrUpdate(d.Inode, d.Content.Length <= keepChars ? d.Content : d.Content[..keepChars]) },
        Link l => v with { Names = v.Names.AddOrUpdate(l.Path, l.Inode) },
        Unlink u => v with { Names = v.Names.Remove(u.Path) },
        Move m => v with { Names = v.Names.Remove(m.From).AddOrUpdate(m.To, m.Inode) },
        Mkdir d => v with { Dirs = v.Dirs.AddOrUpdate(d.Path) },
        Rmdir d => v with { Dirs = v.Dirs.Remove(d.Path) },
        _ => v,
    };
}

/// <summary>
/// The model file system (ALICE/CrashMonkey style). <see cref="Volatile"/> is what processes see;
/// <see cref="Durable"/> is what survives a host crash for sure; <see cref="PendingOps"/> are the operations
/// in between, in issue order. A host crash keeps the durable state plus ANY subset of the pending operations
/// (applied in order), each kept data write possibly torn to a prefix. A process kill or container removal
/// loses nothing the slot holds (the page cache survives). A capacity makes writes fail with ENOSPC.
/// </summary>
public sealed record ModelFs(FsView Volatile, FsView Durable, Seq<Pending> PendingOps, long NextInode, long Capacity)
{
    public const int ENoSpc = 28;
    public const int ENoEnt = 2;
    public const int EExist = 17;

    public static ModelFs Empty(long capacity = long.MaxValue) => new(FsView.Root, FsView.Root, Seq<Pending>.Empty, 1, capacity);

    public long Used => Volatile.Names.Values.Distinct().Sum(i => (long)Volatile.Data.Find(i).IfNone("").Length);

    public ModelFs WithCapacity(long capacity) => this with { Capacity = capacity };

    /// <summary>Run one effect as the kernel would. Failures are errors with the errno in the code.</summary>
    public Fin<ModelFs> Apply(FsEffect effect) => effect switch
    {
        FsEffect.CreateDir e => Volatile.DirExists(e.Path) ? this
            : !Volatile.DirExists(StoreLayout.Parent(e.Path)) ? Fail(ENoEnt, $"mkdir {e.Path}: parent missing")
            : Do(new Pending.Mkdir(e.Path)),
        FsEffect.CopyFile e => Volatile.Read(e.From).Match(c => Write(e.To, c), () => Fail(ENoEnt, $"copy {e.From}: no such file")),
        FsEffect.WriteFile e => Write(e.Path, e.Text),
        FsEffect.PackFiles e => e.From.Fold(Fin<string>.Succ(""), (acc, f) => acc.Bind(a => Volatile.Read(f).Match(
                c => Fin<string>.Succ(a + c), () => Fail<string>(ENoEnt, $"pack {f}: no such file"))))
            .Bind(content => Fresh(e.To).Bind(fs => fs.Write(e.To, content))),
        // Text is stored as its UTF-8 bytes, one char per byte, as the packs' readers expect (PackFormat.ReadContent).
        FsEffect.AppendText e => Volatile.DirExists(e.Path) ? Fail(21, $"append {e.Path}: is a directory")
            : Volatile.Read(e.Path).Match(
                c => Write(e.Path, c + System.Text.Encoding.Latin1.GetString(System.Text.Encoding.UTF8.GetBytes(e.Text))),
                () => Fail(ENoEnt, $"append {e.Path}: no such file")),
        FsEffect.CopyRange e => Volatile.Read(e.From).Match(
            c => e.Offset < 0 || e.Length < 0 || e.Offset + e.Length > c.Length
                ? Fail(5, $"copy {e.From} [{e.Offset}, +{e.Length}): the file has {c.Length} bytes")
                : Fresh(e.To).Bind(fs => fs.Write(e.To, c.Substring((int)e.Offset, (int)e.Length))),
            () => Fail(ENoEnt, $"copy {e.From}: no such file")),
        FsEffect.Fsync e => Volatile.Names.Find(e.Path).Match(
            inode => SyncWhere(p => p is Pending.Data d && d.Inode == inode),
            () => Fail(ENoEnt, $"fsync {e.Path}: no such file")),
        FsEffect.FsyncDir e => Volatile.DirExists(e.Path) ? SyncWhere(p => p.Touches(e.Path)) : Fail(ENoEnt, $"fsync-dir {e.Path}: no such directory"),
        FsEffect.Rename e => Volatile.Names.Find(e.From).Match(
            inode => Volatile.DirExists(StoreLayout.Parent(e.To)) ? Do(new Pending.Move(e.From, e.To, inode)) : Fail(ENoEnt, $"rename to {e.To}: directory missing"),
            () => Fail(ENoEnt, $"rename {e.From}: no such file")),
        FsEffect.Delete e => Volatile.Names.ContainsKey(e.Path) ? Do(new Pending.Unlink(e.Path)) : this,
        FsEffect.DeleteTree e => DeleteTree(e.Path),
        _ => Fail(0, "unknown effect"),
    };

    /// <summary>Run effects in order, stopping at the first failure (the state up to it is returned with the error).</summary>
    public (ModelFs Fs, int Done, Option<Error> Error) Run(Seq<FsEffect> effects, int limit = int.MaxValue)
    {
        var fs = this;
        var done = 0;
        foreach (var e in effects)
        {
            if (done >= limit) break;
            var r = fs.Apply(e);
            if (r.IsFail) return (fs, done, r.Match(_ => Option<Error>.None, err => Option<Error>.Some(err)));
            fs = r.IfFail(fs);
            done++;
        }

        return (fs, done, Option<Error>.None);
    }

    /// <summary>
    /// The state after a host crash: durable state plus the pending operations <paramref name="keep"/> selects,
    /// in order, each kept data write cut to <paramref name="tear"/>(index, length) characters, and with the hole
    /// <paramref name="hole"/>(index) gives (a range that keeps what the inode durably held, whatever writes before it
    /// were kept; length 0: none).
    /// </summary>
    public ModelFs Crash(System.Func<int, bool> keep, System.Func<int, int, int> tear, System.Func<int, (int At, int Length)>? hole = null)
    {
        var v = Durable;
        var i = 0;
        foreach (var p in PendingOps)
        {
            if (keep(i))
            {
                var (at, length) = hole?.Invoke(i) ?? (0, 0);
                v = p is Pending.Data d ? p.ApplyTo(v, tear(i, d.Content.Length), at, length, Durable) : p.ApplyTo(v);
            }

            i++;
        }

        v = v.Pruned();
        return this with { Volatile = v, Durable = v, PendingOps = Seq<Pending>.Empty };
    }

    /// <summary>open(O_CREAT|O_EXCL) of a name that does not exist: a new, empty inode linked there (pending).</summary>
    public Fin<ModelFs> CreateEmpty(string path) =>
        !Volatile.DirExists(StoreLayout.Parent(path)) ? Fail(ENoEnt, $"create {path}: directory missing")
        : Volatile.Names.ContainsKey(path) || Volatile.DirExists(path) ? Fail(EExist, $"create {path}: exists")
        : (this with { NextInode = NextInode + 1 }).Do(new Pending.Link(path, NextInode));

    /// <summary>The kernel's writeback (or sync(2)): every pending operation becomes durable.</summary>
    public ModelFs Sync() => this with { Durable = Volatile, PendingOps = Seq<Pending>.Empty };

    /// <summary>The slot-relative name a pending operation concerns (for data: the first name of its inode in the volatile view).</summary>
    public string Describe(Pending p) => p switch
    {
        Pending.Data d => $"data of {Volatile.Names.Where(n => n.Value == d.Inode).Select(n => n.Key).OrderBy(n => n, System.StringComparer.Ordinal).FirstOrDefault() ?? $"inode {d.Inode}"} ({d.Content.Length} chars)",
        _ => p.ToString(),
    };

    private Fin<ModelFs> Write(string path, string content)
    {
        if (!Volatile.DirExists(StoreLayout.Parent(path)))
            return Fail(ENoEnt, $"write {path}: directory missing");
        var old = Volatile.Read(path).IfNone("");
        if (Used - old.Length + content.Length > Capacity)
            return Fail(ENoSpc, $"write {path}: No space left on device (errno 28)");
        return Volatile.Names.Find(path).Match(
            inode => Do(new Pending.Data(inode, content)),
            () => this with { NextInode = NextInode + 1 } is var next
                ? next.Do(new Pending.Link(path, NextInode)).Bind(f => f.Do(new Pending.Data(NextInode, content)))
                : Fail(0, "unreachable"));
    }

    /// <summary>Whatever file has the name is unlinked, so the write that follows creates a new inode.</summary>
    private Fin<ModelFs> Fresh(string path) => Volatile.Names.ContainsKey(path) ? Do(new Pending.Unlink(path)) : this;

    private Fin<ModelFs> DeleteTree(string dir)
    {
        if (!Volatile.DirExists(dir)) return this;
        var fs = this;
        foreach (var name in Volatile.Names.Keys.Where(n => n.StartsWith(dir + "/", System.StringComparison.Ordinal)).OrderBy(n => n, System.StringComparer.Ordinal))
            fs = fs.Do(new Pending.Unlink(name)).IfFail(fs);
        foreach (var d in Volatile.Dirs.Where(d => d.StartsWith(dir + "/", System.StringComparison.Ordinal)).OrderByDescending(d => d.Length))
            fs = fs.Do(new Pending.Rmdir(d)).IfFail(fs);
        return fs.Do(new Pending.Rmdir(dir));
    }

    private Fin<ModelFs> Do(Pending p) => this with { Volatile = p.ApplyTo(Volatile), PendingOps = PendingOps.Add(p) };

    private Fin<ModelFs> SyncWhere(System.Func<Pending, bool> which)
    {
        var durable = Durable;
        foreach (var p in PendingOps.Filter(which)) durable = p.ApplyTo(durable);
        return this with { Durable = durable, PendingOps = PendingOps.Filter(p => !which(p)) };
    }

    private static Fin<ModelFs> Fail(int errno, string message) => Error.New(errno, message);

    private static Fin<T> Fail<T>(int errno, string message) => Error.New(errno, message);
}
