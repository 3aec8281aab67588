using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace Boinc.Persist.Shell.Verification;

/// <summary>
/// One file-system operation of a recorded trace, in the crash model's language. Paths are slot-relative
/// ("." is the slot). A <see cref="Create"/> links a NEW inode (O_CREAT that made the file); O_TRUNC of an
/// existing file is a <see cref="Truncate"/> to 0. <see cref="Ack"/> is the moment the binary told its caller
/// (for a commit: the acknowledgement BOINC would get). <see cref="Unmodelled"/> is a successful call on the
/// slot the model has no rule for (a reflink, copy_file_range, a link): the check fails on it, never skips it.
/// </summary>
public abstract record TraceOp
{
    private TraceOp() { }

    public sealed record Mkdir(string Path) : TraceOp;
    public sealed record Create(string Path, string Flags) : TraceOp;
    public sealed record Truncate(string Path, long Length) : TraceOp;
    public sealed record Write(string Path, long Offset, byte[] Data) : TraceOp;
    public sealed record Fsync(string Path, bool Dir, bool DataOnly) : TraceOp;
    public sealed record Rename(string From, string To) : TraceOp;
    public sealed record Unlink(string Path) : TraceOp;
    public sealed record Rmdir(string Path) : TraceOp;
    public sealed record Ack(string Line) : TraceOp;
    public sealed record Unmodelled(string Call) : TraceOp;

    public sealed override string ToString() => this switch
    {
        Mkdir e => $"mkdir {e.Path}",
        Create e => $"create {e.Path} [{e.Flags}]",
        Truncate e => $"truncate {e.Path} to {e.Length}",
        Write e => $"write {e.Path} @{e.Offset} +{e.Data.Length}",
        Fsync e => $"{(e.DataOnly ? "fdatasync" : "fsync")}{(e.Dir ? "-dir" : "")} {e.Path}",
        Rename e => $"rename {e.From} -> {e.To}",
        Unlink e => $"unlink {e.Path}",
        Rmdir e => $"rmdir {e.Path}",
        Ack e => $"ack \"{e.Line}\"",
        Unmodelled e => $"UNMODELLED {e.Call}",
        _ => "?",
    };
}

/// <summary>
/// Parses <c>strace -f -qq -e trace=%file,%desc -y -xx -s N</c> output (every string hex-escaped, every
/// descriptor followed by its path) into <see cref="TraceOp"/>s on one slot. Calls that failed, calls that only
/// read, and calls outside the slot are dropped; a successful mutating call on the slot that the model does not
/// know is kept as <see cref="TraceOp.Unmodelled"/>. A write outside the slot starting with <c>acked</c> or
/// <c>recovered</c> (the hidden commands' stdout) becomes <see cref="TraceOp.Ack"/>.
/// </summary>
public static class StraceParser
{
    public static List<TraceOp> Parse(IEnumerable<string> lines, string slotDir, ISet<string> initialDirs)
    {
        var root = Path.GetFullPath(slotDir).TrimEnd('/');
        var ops = new List<TraceOp>();
        var dirs = new HashSet<string>(initialDirs, StringComparer.Ordinal);
        var files = new HashSet<string>(StringComparer.Ordinal);
        var offsets = new Dictionary<(string Pid, long Fd), long>();
        // Descriptors opened O_APPEND write at the file's end: its size, known for files the trace created.
        var appending = new HashSet<(string Pid, long Fd)>();
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        var unfinished = new Dictionary<string, string>();

        string? Rel(string abs)
        {
            if (abs == root) return ".";
            return abs.StartsWith(root + "/", StringComparison.Ordinal) ? abs[(root.Length + 1)..] : null;
        }

        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            var sp = line.IndexOf(' ');
            if (sp <= 0 || !line[..sp].All(char.IsDigit)) continue;
            var pid = line[..sp];
            // strace pads the pid column (a 4-digit pid is followed by two spaces).
            var body = line[(sp + 1)..].TrimStart();
            if (body.EndsWith("<unfinished ...>", StringComparison.Ordinal))
            {
                unfinished[pid] = body[..^"<unfinished ...>".Length].TrimEnd();
                continue;
            }

            if (body.StartsWith("<... ", StringComparison.Ordinal))
            {
                var close = body.IndexOf("resumed>", StringComparison.Ordinal);
                if (close < 0 || !unfinished.Remove(pid, out var head)) continue;
                body = head + body[(close + "resumed>".Length)..];
            }

            var open = body.IndexOf('(');
            var (eq, resultAt) = ResultOf(body);
            if (open <= 0 || eq < open) continue;
            var call = body[..open];
            var args = SplitArgs(body[(open + 1)..eq]);
            var result = body[resultAt..].Trim();
            var retText = result.Split(' ', '<')[0];
            if (!long.TryParse(retText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ret) || ret < 0) continue;
            var retPath = result.Contains('<') ? Decode(Between(result, '<', '>')) : null;

            // The path a (dirfd, name) pair names, absolute.
            string? At(int dirArg, int nameArg)
            {
                if (args.Count <= Math.Max(dirArg, nameArg)) return null;
                var name = Encoding.Latin1.GetString(DecodeBytes(Unquote(args[nameArg])));
                if (name.StartsWith('/')) return Normal(name);
                var d = args[dirArg].Contains('<') ? Decode(Between(args[dirArg], '<', '>')) : null;
                return d is null ? null : Normal(name.Length == 0 || name == "." ? d : d + "/" + name);
            }

            (long Fd, string? Path) Fd(int i)
            {
                if (args.Count <= i) return (-1, null);
                var a = args[i];
                var lt = a.IndexOf('<');
                var fd = long.TryParse(lt < 0 ? a : a[..lt], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1;
                return (fd, lt < 0 ? null : Decode(Between(a, '<', '>')));
            }

            switch (call)
            {
                case "openat" or "openat2" or "open" or "creat":
                {
                    var abs = retPath ?? (call == "openat2" || call == "openat" ? At(0, 1) : At(-1, 0));
                    var rel = abs is null ? null : Rel(abs);
                    var flags = call == "openat2" ? Between(body, '{', '}') : args.Count > (call == "openat" ? 2 : 1) ? args[call == "openat" ? 2 : 1] : "";
                    offsets[(pid, ret)] = 0;
                    if (flags.Contains("O_APPEND", StringComparison.Ordinal)) appending.Add((pid, ret));
                    else appending.Remove((pid, ret));
                    if (rel is null) break;
                    var creat = flags.Contains("O_CREAT", StringComparison.Ordinal) || call == "creat";
                    var trunc = flags.Contains("O_TRUNC", StringComparison.Ordinal) || call == "creat";
                    var known = files.Contains(rel);
                    // With O_CREAT but without O_EXCL, whether the file was made is not in the trace: assume made
                    // unless the trace created it earlier (an existing pre-state file opened O_CREAT is rare and
                    // only makes the model more pessimistic).
                    if (creat && (flags.Contains("O_EXCL", StringComparison.Ordinal) || !known))
                    {
                        ops.Add(new TraceOp.Create(rel, Flags(flags)));
                        files.Add(rel);
                        sizes[rel] = 0;
                    }
                    else if (trunc && Writable(flags))
                    {
                        ops.Add(new TraceOp.Truncate(rel, 0));
                        sizes[rel] = 0;
                    }

                    break;
                }

                case "write" or "pwrite64" or "writev" or "pwritev" or "pwritev2":
                {
                    var (fd, p) = Fd(0);
                    // The acknowledgement: .NET writes stdout through a dup of descriptor 1, so it is recognised by
                    // what is written (outside the slot), not by the descriptor number.
                    if (call == "write" && args.Count > 1 && (p is null || Rel(p) is null) && IsAck(args[1]))
                    {
                        var text = Encoding.UTF8.GetString(DecodeBytes(Unquote(args[1]))).TrimEnd('\n');
                        foreach (var l in text.Split('\n'))
                            if (l.StartsWith("acked ", StringComparison.Ordinal) || l.StartsWith("recovered ", StringComparison.Ordinal))
                                ops.Add(new TraceOp.Ack(l));
                        break;
                    }

                    var rel = p is null ? null : Rel(p);
                    if (rel is null) break;
                    if (call is "writev" or "pwritev" or "pwritev2")
                    {
                        ops.Add(new TraceOp.Unmodelled($"{call} on {rel}"));
                        break;
                    }

                    var data = DecodeBytes(Unquote(args[1]));
                    if (data.Length < ret)
                    {
                        ops.Add(new TraceOp.Unmodelled($"{call} on {rel}: the trace holds {data.Length} of {ret} bytes (raise -s)"));
                        break;
                    }

                    long offset;
                    if (call == "write" && appending.Contains((pid, fd)))
                    {
                        if (!sizes.TryGetValue(rel, out offset))
                        {
                            ops.Add(new TraceOp.Unmodelled($"append to {rel}, a file the trace did not create (its size is not known)"));
                            break;
                        }
                    }
                    else if (call == "pwrite64") offset = long.Parse(args[3], CultureInfo.InvariantCulture);
                    else offset = offsets.GetValueOrDefault((pid, fd));
                    if (call == "write") offsets[(pid, fd)] = offset + ret;
                    if (sizes.TryGetValue(rel, out var size)) sizes[rel] = Math.Max(size, offset + ret);
                    ops.Add(new TraceOp.Write(rel, offset, data[..(int)ret]));
                    break;
                }

                case "lseek":
                {
                    var (fd, _) = Fd(0);
                    offsets[(pid, fd)] = ret;
                    break;
                }

                case "fsync" or "fdatasync":
                {
                    var (_, p) = Fd(0);
                    var rel = p is null ? null : Rel(p);
                    if (rel is not null) ops.Add(new TraceOp.Fsync(rel, dirs.Contains(rel), call == "fdatasync"));
                    break;
                }

                case "mkdir" or "mkdirat":
                {
                    var abs = call == "mkdirat" ? At(0, 1) : At(-1, 0);
                    var rel = abs is null ? null : Rel(abs);
                    if (rel is null) break;
                    ops.Add(new TraceOp.Mkdir(rel));
                    dirs.Add(rel);
                    break;
                }

                case "rename" or "renameat" or "renameat2":
                {
                    var from = call == "rename" ? At(-1, 0) : At(0, 1);
                    var to = call == "rename" ? At(-1, 1) : At(2, 3);
                    var rf = from is null ? null : Rel(from);
                    var rt = to is null ? null : Rel(to);
                    if (rf is null && rt is null) break;
                    if (rf is null || rt is null || (call == "renameat2" && args.Count > 4 && args[4] != "0"))
                    {
                        ops.Add(new TraceOp.Unmodelled(body));
                        break;
                    }

                    ops.Add(new TraceOp.Rename(rf, rt));
                    if (dirs.Remove(rf)) dirs.Add(rt);
                    if (files.Remove(rf)) files.Add(rt);
                    if (sizes.Remove(rf, out var moved)) sizes[rt] = moved;
                    else sizes.Remove(rt);
                    break;
                }

                case "unlink" or "unlinkat" or "rmdir":
                {
                    var abs = call == "unlinkat" ? At(0, 1) : At(-1, 0);
                    var rel = abs is null ? null : Rel(abs);
                    if (rel is null) break;
                    var isDir = call == "rmdir" || (call == "unlinkat" && args.Count > 2 && args[2].Contains("AT_REMOVEDIR", StringComparison.Ordinal));
                    ops.Add(isDir ? new TraceOp.Rmdir(rel) : new TraceOp.Unlink(rel));
                    if (isDir) dirs.Remove(rel);
                    else files.Remove(rel);
                    break;
                }

                case "ftruncate" or "truncate" or "fallocate" or "copy_file_range" or "sendfile" or "sendfile64" or "link" or "linkat"
                    or "symlink" or "symlinkat" or "mknod" or "mknodat" or "ioctl" or "splice":
                {
                    var mentions = args.Select(a => a.Contains('<') ? Decode(Between(a, '<', '>')) : null).Where(a => a is not null && Rel(a) is not null).ToList();
                    if (mentions.Count == 0) break;
                    if (call == "ftruncate") ops.Add(new TraceOp.Truncate(Rel(mentions[0]!)!, long.Parse(args[1], CultureInfo.InvariantCulture)));
                    else ops.Add(new TraceOp.Unmodelled(call + " on " + string.Join(", ", mentions.Select(m => Rel(m!)))));
                    break;
                }
            }
        }

        return ops;
    }

    /// <summary>
    /// Where a call's arguments end (its closing parenthesis) and its result begins. strace pads a short line to
    /// align the result (<c>close(3)          = 0</c>), which a resumed call's line always is
    /// (<c>&lt;... fsync resumed&gt;)     = 0</c>): a bare <c>") = "</c> search dropped such a call, and crash-explore
    /// then reported the binary as missing an fsync it had made (seen once in CI, with another thread's mmap
    /// between an fsync's two halves). (-1, -1) when the line has no result.
    /// </summary>
    public static (int Close, int Result) ResultOf(string body)
    {
        for (var at = body.LastIndexOf(" = ", StringComparison.Ordinal); at > 0; at = body.LastIndexOf(" = ", at - 1, StringComparison.Ordinal))
        {
            var close = at;
            while (close > 0 && body[close - 1] == ' ')
                close--;
            if (close > 0 && body[close - 1] == ')')
                return (close - 1, at + 3);
        }

        return (-1, -1);
    }

    private static bool IsAck(string quoted)
    {
        var text = Encoding.UTF8.GetString(DecodeBytes(Unquote(quoted)));
        return text.StartsWith("acked ", StringComparison.Ordinal) || text.StartsWith("recovered ", StringComparison.Ordinal);
    }

    private static bool Writable(string flags) => flags.Contains("O_WRONLY", StringComparison.Ordinal) || flags.Contains("O_RDWR", StringComparison.Ordinal);

    private static string Flags(string flags) =>
        string.Join("|", new[] { "O_CREAT", "O_EXCL", "O_TRUNC", "O_APPEND" }.Where(f => flags.Contains(f, StringComparison.Ordinal)));

    private static string Normal(string abs)
    {
        var parts = new List<string>();
        foreach (var p in abs.Split('/'))
        {
            if (p.Length == 0 || p == ".") continue;
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(p);
        }

        return "/" + string.Join('/', parts);
    }

    private static string Between(string s, char open, char close)
    {
        var i = s.IndexOf(open);
        var j = s.LastIndexOf(close);
        return i < 0 || j <= i ? "" : s[(i + 1)..j];
    }

    private static string Unquote(string s)
    {
        var t = s.Trim();
        if (t.EndsWith("...", StringComparison.Ordinal)) t = t[..^3];
        return t.Length >= 2 && t[0] == '"' && t[^1] == '"' ? t[1..^1] : t;
    }

    private static string Decode(string s) => Encoding.Latin1.GetString(DecodeBytes(s));

    /// <summary>strace's C-style escapes (with -xx every byte is \xNN) to bytes.</summary>
    public static byte[] DecodeBytes(string s)
    {
        var bytes = new List<byte>(s.Length / 4);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 >= s.Length) { bytes.Add((byte)s[i]); continue; }
            var c = s[++i];
            switch (c)
            {
                case 'x' when i + 2 < s.Length:
                    bytes.Add(byte.Parse(s.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 2;
                    break;
                case 'n': bytes.Add(10); break;
                case 't': bytes.Add(9); break;
                case 'r': bytes.Add(13); break;
                case 'v': bytes.Add(11); break;
                case 'f': bytes.Add(12); break;
                case '\\': bytes.Add(92); break;
                case '"': bytes.Add(34); break;
                default:
                    if (c is >= '0' and <= '7')
                    {
                        var end = i;
                        while (end < s.Length && end < i + 3 && s[end] is >= '0' and <= '7') end++;
                        bytes.Add((byte)Convert.ToInt32(s[i..end], 8));
                        i = end - 1;
                    }
                    else
                    {
                        bytes.Add((byte)c);
                    }

                    break;
            }
        }

        return bytes.ToArray();
    }

    /// <summary>Top-level comma-separated arguments (quotes, braces, brackets and angle brackets respected).</summary>
    private static List<string> SplitArgs(string s)
    {
        var result = new List<string>();
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (quoted)
            {
                if (c == '\\') i++;
                else if (c == '"') quoted = false;
                continue;
            }

            switch (c)
            {
                case '"': quoted = true; break;
                case '{' or '[' or '<' or '(': depth++; break;
                case '}' or ']' or '>' or ')': depth--; break;
                case ',' when depth == 0:
                    result.Add(s[start..i].Trim());
                    start = i + 1;
                    break;
            }
        }

        if (start < s.Length) result.Add(s[start..].Trim());
        return result;
    }
}
