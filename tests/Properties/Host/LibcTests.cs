using System;
using Boinc.Persist.Shell.Host;
using Xunit;

namespace Boinc.Persist.Properties.Host;

public sealed class LibcTests
{
    [Fact]
    public void This_process_exists_and_pid_zero_is_refused()
    {
        Assert.True(Libc.ProcessExists(Environment.ProcessId));
        Assert.False(Libc.ProcessExists(0));
    }
}
