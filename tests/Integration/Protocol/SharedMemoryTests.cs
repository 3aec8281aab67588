using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Verification.Fakes;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Integration.Protocol;

public sealed class SharedMemoryTests
{
    private static T Ok<T>(Fin<T> f) => f.Match(v => v, e => throw new InvalidOperationException(e.Message));

    [Fact]
    public void Control_requests_arrive_one_at_a_time_in_order()
    {
        // Given a slot and a client with three requests queued
        using var dir = new FakeDataDir();
        using var client = Ok(FakeClient.Attach(dir.Slot.SlotDir));
        using var link = Ok(ClientLink.Open(dir.Slot.SlotDir, dir.Context(), new ManualClock()));
        client.Request(ControlMessage.SuspendRequest);
        client.Request(ControlMessage.ResumeRequest);
        client.Request(ControlMessage.QuitRequest);

        // When the client ticks twice before the app polls, only the first request is on the channel
        client.Tick();
        client.Tick();
        Assert.True(client.RequestUnread);
        Assert.Equal(2, client.PendingRequests);

        // Then polling and ticking in turn delivers them in order, each once
        var seen = new System.Collections.Generic.List<ControlMessage>();
        for (var i = 0; i < 5; i++)
        {
            seen.AddRange(link.Poll());
            client.Tick();
        }

        Assert.Equal(new[] { ControlMessage.SuspendRequest, ControlMessage.ResumeRequest, ControlMessage.QuitRequest }, seen);
        Assert.Equal(0, client.PendingRequests);
    }

    [Fact]
    public void A_status_is_not_overwritten_before_the_client_reads_it_and_reads_as_sent()
    {
        using var dir = new FakeDataDir();
        using var client = Ok(FakeClient.Attach(dir.Slot.SlotDir));
        using var link = Ok(ClientLink.Open(dir.Slot.SlotDir, dir.Context(), new ManualClock()));

        Assert.True(link.TrySendStatus(AppStatus.Of(12.5, 10, 0.25)));
        Assert.False(link.TrySendStatus(AppStatus.Of(13, 10, 0.3)));

        var read = client.ReadStatus();
        Assert.True(read.IsSome);
        Assert.Equal(new ClientRecord(12.5, 10, 0.25, 1), client.Record);
        Assert.True(link.TrySendStatus(AppStatus.Of(13, 10, 0)));
        client.ReadStatus();
        Assert.Equal(new ClientRecord(13, 10, 0.25, 1), client.Record); // fraction 0 ignored, no new checkpoint
    }

    [Fact]
    public void The_mmap_file_is_never_created_nor_resized()
    {
        using var dir = new FakeDataDir();
        var path = Path.Combine(dir.Slot.SlotDir, SharedMemory.FileName);
        File.Delete(path);
        Assert.True(SharedMemory.Open(path).IsFail);
        Assert.False(File.Exists(path));

        File.WriteAllBytes(path, new byte[100]);
        var shortFile = SharedMemory.Open(path);
        Assert.True(shortFile.IsFail);
        Assert.Contains("100 bytes", shortFile.Match(_ => "", e => e.Message));

        dir.Slot.ResetSharedMemory();
        using (var shm = Ok(SharedMemory.Open(path)))
            Assert.True(shm.Send(Channel.AppStatus, "x"));
        Assert.Equal(SharedMemory.Size, new FileInfo(path).Length);
    }

    [Fact]
    public async Task A_reader_in_another_mapping_never_sees_a_torn_message()
    {
        // Given two independent mappings of one file (as app and client have), a writer sending 5000 messages
        using var dir = new FakeDataDir();
        var path = Path.Combine(dir.Slot.SlotDir, SharedMemory.FileName);
        using var app = Ok(SharedMemory.Open(path));
        using var client = Ok(SharedMemory.Open(path));
        const int count = 5000;

        // When the writer fills the channel as fast as the reader empties it
        var writer = Task.Run(() =>
        {
            for (var i = 1; i <= count; i++)
            {
                var text = AppStatus.Of(i, i, 0.5).Format() + new string('x', i % 700);
                var spins = 0;
                while (!app.Send(Channel.AppStatus, text))
                    if (++spins % 1000 == 0) Thread.Yield();
            }
        });
        var last = 0.0;
        var received = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (received < count && DateTime.UtcNow < deadline)
        {
            var msg = client.Receive(Channel.AppStatus);
            if (msg.IsNone)
            {
                Thread.Yield();
                continue;
            }

            var text = msg.IfNone("");
            var r = ClientStatusReading.Parse(text);

            // Then every message is whole (its padding matches its number) and in order
            var n = (int)r.CurrentCpuTime;
            Assert.Equal(new string('x', n % 700), text[(text.LastIndexOf('\n') + 1)..]);
            Assert.True(r.CurrentCpuTime > last);
            last = r.CurrentCpuTime;
            received++;
        }

        await writer.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(count, received);
    }
}
