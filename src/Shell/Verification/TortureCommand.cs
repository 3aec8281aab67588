using Boinc.Persist.Shell.Checkpoints;
using System;
using System.Globalization;
using System.IO;
using System.Text;
using Boinc.Persist.Core.Config;
using LanguageExt;

namespace Boinc.Persist.Shell.Verification;

/// <summary>
/// Hidden command for the kill -9 integration test: in SLOT, forever (or N rounds), the "app" rewrites its
/// checkpoint files in place with round i's contents and the store commits them with CPU time i; after each
/// acknowledged commit it prints <c>acked GEN ROUND</c>. Contents are a pure function of the round
/// (<see cref="Contents"/>) so a test can check any recovered state byte for byte.
/// </summary>
public static class TortureCommand
{
    public const string Name = "__checkpoint-torture";

    public static readonly CheckpointConfig Config =
        CheckpointConfig.Default with { Files = new[] { "state.bin", "ckpt/*.dat" }.ToSeq() };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length < 1) { stderr.WriteLine($"usage: boinc-persist {Name} SLOT [ROUNDS]"); return Program.Usage; }
        var slot = args[0];
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : int.MaxValue;
        stdout.WriteLine("started");
        stdout.Flush();
        Directory.CreateDirectory(Path.Combine(slot, "ckpt"));
        var store = CheckpointStore.Open(slot, Config, TimeProvider.System);
        var start = (long)store.Recover().CpuNanos + 1;
        for (var i = start; i < start + rounds; i++)
        {
            foreach (var (name, bytes) in Contents(i))
                File.WriteAllBytes(Path.Combine(slot, name), bytes);
            if (i % 3 != 0) File.Delete(Path.Combine(slot, "ckpt/b.dat"));
            var r = store.Commit(i, 0, "torture");
            if (r.IsFail)
            {
                r.IfFail(e => stderr.WriteLine(e.Message));
                return Program.Errors;
            }

            stdout.WriteLine($"acked {r.Map(g => g.Number).IfFail(0)} {i}");
            stdout.Flush();
        }

        return Program.Ok;
    }

    /// <summary>Round i's checkpoint files: state.bin (4 KB..260 KB), ckpt/a.dat, and ckpt/b.dat every third round.</summary>
    public static Seq<(string Name, byte[] Bytes)> Contents(long i)
    {
        var size = 4096 + (int)(i * 7919 % 262144);
        var state = new byte[size];
        var head = Encoding.ASCII.GetBytes($"round {i}\n");
        for (var k = 0; k < size; k++) state[k] = k < head.Length ? head[k] : (byte)((i * 31 + k) % 251);
        var files = new[] { ("state.bin", state), ("ckpt/a.dat", Encoding.ASCII.GetBytes($"a {i} " + new string('a', (int)(i % 97)))) }.ToSeq();
        return i % 3 == 0 ? files.Add(("ckpt/b.dat", Encoding.ASCII.GetBytes($"b {i}"))) : files;
    }
}
