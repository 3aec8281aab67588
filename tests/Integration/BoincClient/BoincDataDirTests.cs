using System;
using System.IO;
using Xunit;

namespace Boinc.Persist.Integration.BoincClient;

/// <summary>The data directory writer on its own (no client): layout, modes, and refusals with the reason.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BoincDataDirTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("boinc-persist-datadir-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void It_writes_the_account_file_state_config_password_and_an_executable_main_program()
    {
        // When
        var data = BoincDataDir.Create(Path.Combine(root, "data"), TestApp.Job("--work 1"), DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

        // Then
        foreach (var file in new[] { "account_127.0.0.1_1_test.xml", "client_state.xml", "cc_config.xml", "global_prefs_override.xml", "gui_rpc_auth.cfg" })
        {
            Assert.True(File.Exists(Path.Combine(data.Path, file)), file);
        }

        Assert.Equal(Path.Combine(data.Path, "projects", "127.0.0.1_1_test"), data.ProjectDir);
        var main = Path.Combine(data.ProjectDir, "shm_test_app_1.00");
        Assert.True(File.GetUnixFileMode(main).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("linked input content\n", File.ReadAllText(Path.Combine(data.ProjectDir, "in_link.txt")));
        Assert.Equal(Path.Combine(data.ProjectDir, "wu1_0_out"), data.OutputFile);
    }

    [Fact]
    public void A_non_loopback_project_url_and_a_file_name_used_twice_are_refused_with_the_reason()
    {
        var remote = Assert.Throws<ArgumentException>(() =>
            BoincDataDir.Create(Path.Combine(root, "a"), TestApp.Job("") with { ProjectUrl = "https://example.org/p/" }, DateTimeOffset.UnixEpoch));
        Assert.Contains("loopback", remote.Message);

        var twice = TestApp.Job("") with
        {
            AppVersionFiles = [new JobFile("in_copy.txt", "other", new FileContent.Text("x"))],
        };
        var duplicate = Assert.Throws<ArgumentException>(() => BoincDataDir.Create(Path.Combine(root, "b"), twice, DateTimeOffset.UnixEpoch));
        Assert.Contains("'in_copy.txt' is used twice", duplicate.Message);
    }
}
