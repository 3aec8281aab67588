using System;
using System.IO;

namespace Boinc.Persist.Properties;

/// <summary>The repository's root (the directory holding Boinc.Persist.sln), for tests that read the sources or docs.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir, "Boinc.Persist.sln")))
            dir = System.IO.Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found (no Boinc.Persist.sln above " + AppContext.BaseDirectory + ")");
    }
}
