using System;
using System.IO;
using System.Text;
using System.Threading;

namespace Floor;

public static class Program
{
    private static int ticks;
    private static string statusPath = "status";

    public static int Main(string[] args)
    {
        var dataDir = args.Length > 0 ? args[0] : "data";
        statusPath = args.Length > 1 ? args[1] : statusPath;
        var summary = new StringBuilder();
#if F_LE
        summary.Append(" le=").Append(LeWork.Run());
#endif
#if F_TOML
        summary.Append(" toml=").Append(TomlWork.Run(Path.Combine(dataDir, "job.toml")));
#endif
#if F_XML
        summary.Append(" xml=").Append(XmlWork.Run(Path.Combine(dataDir, "init_data.xml")));
#endif
#if F_XMLTEXT
        summary.Append(" xmltext=").Append(XmlTextWork.Run(Path.Combine(dataDir, "init_data.xml")));
#endif
#if F_SHA
        summary.Append(" sha=").Append(ShaWork.Run());
#endif
#if F_LIBCRYPTO
        summary.Append(" sha-libcrypto=").Append(ShaLibcryptoWork.Run());
#endif
#if F_HTTP
        summary.Append(" http=").Append(HttpWork.Run("/var/run/docker.sock").GetAwaiter().GetResult());
#endif
#if F_DOCKER
        summary.Append(" docker=").Append(DockerWork.Run("unix:///var/run/docker.sock").GetAwaiter().GetResult());
#endif
        Console.WriteLine("WORK" + summary);
        Console.WriteLine("STAT end-of-work " + Mem.Snapshot());

        // Status loop: a timer ticking every 200 ms for 3 s, then exit.
        using (var timer = new Timer(Tick, null, 0, 200))
        {
            Thread.Sleep(3000);
        }
        Console.WriteLine("STAT exit " + Mem.Snapshot() + " ticks=" + Volatile.Read(ref ticks));
        return 0;
    }

    private static void Tick(object? state)
    {
        var n = Interlocked.Increment(ref ticks);
        File.WriteAllText(statusPath, $"tick {n} at {DateTime.UtcNow:O}\n");
    }
}

internal static class Mem
{
    /// <summary>VmHWM/VmRSS from /proc/self/status and the smaps_rollup totals, in kB.</summary>
    public static string Snapshot()
    {
        var sb = new StringBuilder();
        foreach (var line in File.ReadAllLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal) || line.StartsWith("VmRSS:", StringComparison.Ordinal)
                || line.StartsWith("RssAnon:", StringComparison.Ordinal) || line.StartsWith("RssFile:", StringComparison.Ordinal))
                Add(sb, line);
        foreach (var line in File.ReadAllLines("/proc/self/smaps_rollup"))
            if (line.StartsWith("Rss:", StringComparison.Ordinal) || line.StartsWith("Pss:", StringComparison.Ordinal)
                || line.StartsWith("Private_Dirty:", StringComparison.Ordinal) || line.StartsWith("Private_Clean:", StringComparison.Ordinal)
                || line.StartsWith("Shared_Clean:", StringComparison.Ordinal) || line.StartsWith("Anonymous:", StringComparison.Ordinal))
                Add(sb, line);
        return sb.ToString().TrimEnd();
    }

    private static void Add(StringBuilder sb, string line)
    {
        var colon = line.IndexOf(':');
        var value = line.Substring(colon + 1).Trim();
        var space = value.IndexOf(' ');
        if (space > 0) value = value.Substring(0, space);
        sb.Append(line, 0, colon).Append('=').Append(value).Append(' ');
    }
}
