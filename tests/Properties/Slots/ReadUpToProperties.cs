using System;
using System.Linq;
using Boinc.Persist.Properties.Engine;
using Boinc.Persist.Shell.Slots;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Boinc.Persist.Properties.Slots;

/// <summary>
/// <see cref="SlotFileOps.ReadUpTo"/>, behind every bounded read of a slot file (ReadHead): its buffer follows the
/// size the file had when opened, and the file may have grown or shrunk since (the job writes the slot).
/// </summary>
public class ReadUpToProperties
{
    [Property(MaxTest = 500)]
    public Property Reads_exactly_the_first_bytes_up_to_one_past_the_limit_whatever_the_size_hint_and_the_reads(
        NonNegativeInt length, NonNegativeInt limit, int hintDelta, PositiveInt cut)
    {
        var len = length.Get % 5000;
        var lim = limit.Get % 3000;
        var data = Enumerable.Range(0, len).Select(i => (byte)(i * 31 + 7)).ToArray();
        // The hint: the file's size when opened, which may be off either way by the time it is read.
        var hint = Math.Max(0, len + hintDelta % 4000);
        var got = SlotFileOps.ReadUpTo(new Trickle(data, cut.Get % 700 + 1), hint, lim);
        var expected = data.Take(lim + 1).ToArray();
        return got.SequenceEqual(expected)
            .Label($"len {len}, limit {lim}, hint {hint}: got {got.Length} bytes, expected {expected.Length}");
    }

    [Fact]
    public void A_small_file_under_a_large_limit_gets_a_buffer_of_its_size()
    {
        // init_data.xml: a few KB under a 4 MB limit. The answer is the file (the buffer was the file's size plus
        // the one byte that shows it did not grow), not a 4 MB array.
        var data = new byte[3000];
        Assert.Equal(3000, SlotFileOps.ReadUpTo(new System.IO.MemoryStream(data), 3000, 4 << 20).Length);
        var before = GC.GetAllocatedBytesForCurrentThread();
        SlotFileOps.ReadUpTo(new System.IO.MemoryStream(data), 3000, 4 << 20);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "allocated far more than the file");
    }

    [Fact]
    public void A_file_longer_than_its_limit_is_cut_one_byte_past_it_so_the_caller_sees_too_large()
    {
        var data = new byte[10_000];
        Assert.Equal(1001, SlotFileOps.ReadUpTo(new System.IO.MemoryStream(data), 10_000, 1000).Length);
        Assert.Equal(1001, SlotFileOps.ReadUpTo(new System.IO.MemoryStream(data), 0, 1000).Length);
        Assert.Equal(10_000, SlotFileOps.ReadUpTo(new System.IO.MemoryStream(data), 0, int.MaxValue).Length);
    }
}
