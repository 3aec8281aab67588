using System;
using System.IO;
using Boinc.Persist.Shell.Host;
using Xunit;

namespace Boinc.Persist.Properties.Host;

public sealed class LibcTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bp-libc-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Durable_replace_leaves_the_new_bytes_and_no_temp_file()
    {
        // Given
        var path = Path.Combine(root, "journal");
        File.WriteAllText(path, "old");

        // When
        DurableFile.Replace(path, "new"u8.ToArray());

        // Then
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(root));
    }

    [Fact]
    public void Durable_replace_never_writes_through_a_symlink_planted_at_its_temp_name()
    {
        // Given a file outside the directory, and a symlink to it where the temp file will go
        var victim = Path.Combine(root, "victim");
        File.WriteAllText(victim, "precious");
        var dir = Directory.CreateDirectory(Path.Combine(root, "slot")).FullName;
        File.CreateSymbolicLink(Path.Combine(dir, ".journal.tmp"), victim);

        // When
        DurableFile.Replace(Path.Combine(dir, "journal"), "new"u8.ToArray());

        // Then
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal("new", File.ReadAllText(Path.Combine(dir, "journal")));
    }

    [Fact]
    public void Rename_of_a_missing_file_names_the_paths_and_errno()
    {
        var from = Path.Combine(root, "missing");
        var error = Assert.Throws<ErrnoException>(() => Libc.Rename(from, Path.Combine(root, "to")));
        Assert.Equal(Libc.ENoEnt, error.Errno);
        Assert.Contains(from, error.Message);
    }

    [Fact]
    public void Fsync_of_a_missing_directory_is_an_error_not_silence()
    {
        var error = Assert.Throws<ErrnoException>(() => Libc.FsyncDirectory(Path.Combine(root, "nope")));
        Assert.Equal(Libc.ENoEnt, error.Errno);
    }

    [Fact]
    public void This_process_exists_and_pid_zero_is_refused()
    {
        Assert.True(Libc.ProcessExists(Environment.ProcessId));
        Assert.False(Libc.ProcessExists(0));
    }
}
