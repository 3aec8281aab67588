using System;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Host;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Engine;

/// <summary>
/// Finding a host-wide lock file must not depend on who holds it: fresh-clone run 11 saw a wrapper's build fail
/// with "no writable lock directory" while the image collector held the builds file exclusively, because the
/// probe opened it through a FileStream, whose own non-blocking flock failed and was taken for "not writable".
/// </summary>
public sealed class HostLockTests
{
    private const int LockEx = 2;
    private const int LockNb = 4;
    private const int LockUn = 8;

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int operation);

    [Fact]
    public async Task A_use_file_another_holder_locked_exclusively_is_found_and_waited_for()
    {
        // Given an image's use file that another holder (here: another open file description) locks exclusively,
        // as the collector does while it removes that image
        var reference = $"bp-test/hostlock-{Guid.NewGuid():N}:1";
        var path = HostLock.LockPath(ImageUse.Key(reference));
        var fd = Libc.Open(path, Libc.ORdWr);
        try
        {
            Assert.Equal(0, Flock(fd, LockEx | LockNb));

            // When a wrapper asks for its shared hold
            using var cts = new CancellationTokenSource();
            var hold = ImageUse.Hold(reference, Option<string>.None, cts.Token);

            // Then it waits for the holder (it did not fail to find the file), and gets the hold once released
            Assert.False(hold.IsCompleted, hold.Exception?.InnerException?.Message ?? "completed without waiting");
            Assert.Equal(0, Flock(fd, LockUn));
            using var held = await hold;
            Assert.Equal(path, HostLock.LockPath(ImageUse.Key(reference)));
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
