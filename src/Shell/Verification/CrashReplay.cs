using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Boinc.Persist.Core.Hashing;

namespace Boinc.Persist.Shell.Verification;

/// <summary>A directory tree as a crash leaves it: directories, names (path to inode) and inode contents.</summary>
public sealed class DiskView
{
    public SortedSet<string> Dirs { get; } = new(StringComparer.Ordinal) { "." };
    public SortedDictionary<string, long> Names { get; } = new(StringComparer.Ordinal);
    public Dictionary<long, byte[]> Data { get; } = new();

    public DiskView Clone()
    {
        var v = new DiskView();
        v.Dirs.UnionWith(Dirs);
        foreach (var (k, i) in Names) v.Names[k] = i;
        foreach (var (i, d) in Data) v.Data[i] = d;
        return v;
    }

    public byte[]? Read(string path) => Names.TryGetValue(path, out var i) ? Data.GetValueOrDefault(i, Array.Empty<byte>()) : null;

    /// <summary>Drop names and directories whose parent directory is gone (unreachable after a crash).</summary>
    public DiskView Pruned()
    {
        bool Reachable(string p)
        {
            var q = Parent(p);
            return q == "." || (Dirs.Contains(q) && Reachable(q));
        }

        var v = new DiskView();
        v.Dirs.UnionWith(Dirs.Where(d => d == "." || Reachable(d)));
        foreach (var (k, i) in Names.Where(n => Reachable(n.Key))) v.Names[k] = i;
        foreach (var (i, d) in Data) v.Data[i] = d;
        return v;
    }

    /// <summary>What a process can see, canonically (inode numbers left out).</summary>
    public string Fingerprint()
    {
        var b = new StringBuilder();
        foreach (var d in Dirs) b.Append("D ").Append(d).Append('\n');
        foreach (var (n, i) in Names)
            b.Append("F ").Append(n).Append(' ').Append(Sha256.HexOf(Data.GetValueOrDefault(i, Array.Empty<byte>()))).Append('\n');
        return b.ToString();
    }

    public static string Parent(string path)
    {
        var i = path.LastIndexOf('/');
        return i < 0 ? "." : path[..i];
    }
}

/// <summary>
/// An operation of a trace not yet durable, under the model's persistence rules (those of
/// Core.Verification.Model.ModelFs): a data write or truncation becomes durable by fsync/fdatasync of its file;
/// a name operation (link, unlink, rename, mkdir, rmdir) by fsync of a directory it touches. A crash keeps the
/// durable state plus ANY subset of the pending operations, applied in issue order.
/// </summary>
public sealed record PendingOp(int TraceIndex, TraceOp Op, long Inode)
{
    public bool IsData => Op is TraceOp.Write or TraceOp.Truncate;

    public bool Touches(string dir) => Op switch
    {
        TraceOp.Create c => DiskView.Parent(c.Path) == dir,
        TraceOp.Unlink u => DiskView.Parent(u.Path) == dir,
        TraceOp.Rename r => DiskView.Parent(r.From) == dir || DiskView.Parent(r.To) == dir,
        TraceOp.Mkdir m => DiskView.Parent(m.Path) == dir,
        TraceOp.Rmdir m => DiskView.Parent(m.Path) == dir,
        _ => false,
    };

    /// <summary>Apply to a view (in place); <paramref name="keepBytes"/> tears a write to its first bytes.</summary>
    public void ApplyTo(DiskView v, int keepBytes = int.MaxValue)
    {
        switch (Op)
        {
            case TraceOp.Create c: v.Names[c.Path] = Inode; break;
            case TraceOp.Unlink u: v.Names.Remove(u.Path); break;
            case TraceOp.Rename r: v.Names.Remove(r.From); v.Names[r.To] = Inode; break;
            case TraceOp.Mkdir m: v.Dirs.Add(m.Path); break;
            case TraceOp.Rmdir m: v.Dirs.Remove(m.Path); break;
            case TraceOp.Truncate t:
            {
                var old = v.Data.GetValueOrDefault(Inode, Array.Empty<byte>());
                var n = new byte[t.Length];
                Array.Copy(old, n, Math.Min(old.Length, n.Length));
                v.Data[Inode] = n;
                break;
            }

            case TraceOp.Write w:
            {
                var len = Math.Min(w.Data.Length, keepBytes);
                var old = v.Data.GetValueOrDefault(Inode, Array.Empty<byte>());
                var n = new byte[Math.Max(old.Length, w.Offset + len)];
                Array.Copy(old, n, old.Length);
                Array.Copy(w.Data, 0, n, w.Offset, len);
                v.Data[Inode] = n;
                break;
            }
        }
    }

    public override string ToString() => $"#{TraceIndex} {Op}";
}

/// <summary>A crash point: after the first <see cref="Done"/> operations of the trace, the durable view and what is pending.</summary>
public sealed record CrashPoint(int Done, DiskView Durable, IReadOnlyList<PendingOp> Pending, int AcksBefore);

/// <summary>One crash state of a crash point: which pending operations survive, and at most one write torn.</summary>
public sealed record CrashSubset(bool[] Keep, int Torn, int TornTo)
{
    public DiskView Apply(CrashPoint p)
    {
        var v = p.Durable.Clone();
        for (var i = 0; i < p.Pending.Count; i++)
            if (Keep[i]) p.Pending[i].ApplyTo(v, i == Torn ? TornTo : int.MaxValue);
        return v.Pruned();
    }

    public string Describe(CrashPoint p)
    {
        var lost = p.Pending.Where((_, i) => !Keep[i]).Select(o => o.ToString()).ToList();
        var torn = Torn >= 0 ? $"; torn to its first {TornTo} bytes: {p.Pending[Torn]}" : "";
        return p.Pending.Count == 0 ? "nothing was pending"
            : $"{p.Pending.Count - lost.Count} of {p.Pending.Count} pending operations survive" + (lost.Count == 0 ? "" : "; lost: " + string.Join(", ", lost)) + torn;
    }
}

/// <summary>The crash points of a trace from a durable starting view, and the crash states of each.</summary>
public static class CrashReplay
{
    public static List<CrashPoint> Points(DiskView start, IReadOnlyList<TraceOp> trace)
    {
        var points = new List<CrashPoint>();
        var durable = start.Clone();
        var volatileView = start.Clone();
        var pending = new List<PendingOp>();
        var nextInode = start.Data.Keys.Concat(start.Names.Values).DefaultIfEmpty(0).Max() + 1;
        var acks = 0;
        for (var i = 0; i <= trace.Count; i++)
        {
            points.Add(new CrashPoint(i, durable.Clone(), pending.ToList(), acks));
            if (i == trace.Count) break;
            var op = trace[i];
            switch (op)
            {
                case TraceOp.Ack:
                    acks++;
                    break;
                case TraceOp.Unmodelled u:
                    throw new InvalidOperationException($"the trace has an operation the model does not know: {u.Call}");
                case TraceOp.Fsync f when f.Dir:
                    Sync(p => p.Touches(f.Path));
                    break;
                case TraceOp.Fsync f:
                {
                    if (!volatileView.Names.TryGetValue(f.Path, out var inode))
                        throw new InvalidOperationException($"trace #{i}: fsync of {f.Path}, which the model does not have");
                    Sync(p => p.IsData && p.Inode == inode);
                    break;
                }

                default:
                {
                    long inode = 0;
                    switch (op)
                    {
                        case TraceOp.Create: inode = nextInode++; break;
                        case TraceOp.Write w: inode = Known(w.Path); break;
                        case TraceOp.Truncate t: inode = Known(t.Path); break;
                        case TraceOp.Rename r:
                            if (volatileView.Dirs.Contains(r.From))
                                throw new InvalidOperationException($"trace #{i}: rename of the directory {r.From} (the model renames files only)");
                            inode = Known(r.From);
                            break;
                    }

                    var p = new PendingOp(i, op, inode);
                    p.ApplyTo(volatileView);
                    pending.Add(p);
                    break;
                }
            }

            long Known(string path) => volatileView.Names.TryGetValue(path, out var n) ? n
                : throw new InvalidOperationException($"trace #{i}: {op} names a file the model does not have");
        }

        return points;

        void Sync(Func<PendingOp, bool> which)
        {
            foreach (var p in pending.Where(which)) p.ApplyTo(durable);
            pending.RemoveAll(p => which(p));
        }
    }

    /// <summary>
    /// Every subset of the pending operations while there are at most <paramref name="exhaustiveUpTo"/>;
    /// beyond, every prefix, every all-but-one and <paramref name="samples"/> seeded subsets. In both cases each
    /// pending write torn at each <paramref name="block"/>-byte boundary (the operations before it kept, after it lost).
    /// </summary>
    public static List<CrashSubset> Subsets(CrashPoint p, int exhaustiveUpTo, int samples, int block, Random rng)
    {
        var n = p.Pending.Count;
        var result = new List<CrashSubset>();
        if (n <= exhaustiveUpTo)
        {
            for (var m = 0; m < 1 << n; m++)
                result.Add(new CrashSubset(Enumerable.Range(0, n).Select(i => (m & (1 << i)) != 0).ToArray(), -1, 0));
        }
        else
        {
            for (var cut = 0; cut <= n; cut++)
                result.Add(new CrashSubset(Enumerable.Range(0, n).Select(i => i < cut).ToArray(), -1, 0));
            for (var drop = 0; drop < n; drop++)
                result.Add(new CrashSubset(Enumerable.Range(0, n).Select(i => i != drop).ToArray(), -1, 0));
            for (var s = 0; s < samples; s++)
                result.Add(new CrashSubset(Enumerable.Range(0, n).Select(_ => rng.Next(2) == 0).ToArray(), -1, 0));
        }

        for (var i = 0; i < n; i++)
        {
            if (p.Pending[i].Op is not TraceOp.Write w) continue;
            for (var at = 0; at < w.Data.Length; at += block)
            {
                var upTo = i;
                result.Add(new CrashSubset(Enumerable.Range(0, n).Select(k => k <= upTo).ToArray(), i, at));
            }
        }

        return result;
    }
}
