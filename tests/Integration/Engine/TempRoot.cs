using System;
using System.IO;

namespace Boinc.Persist.Integration.Engine;

/// <summary>
/// One test's private directory tree on the host (bind-mount sources, slot directories, ...). Random names keep
/// parallel runs apart; disposing removes the whole tree, including what containers wrote into it.
/// </summary>
public sealed class TempRoot : IDisposable
{
    private TempRoot(string path) => Path = path;

    public string Path { get; }

    internal static TempRoot Create(string under, string runId, string test)
    {
        var name = $"boinc-persist-test-{runId}-{Sanitize(test)}-{Guid.NewGuid().ToString("N")[..8]}";
        var path = System.IO.Path.Combine(under, name);
        System.IO.Directory.CreateDirectory(path);
        return new TempRoot(path);
    }

    /// <summary>Creates (if needed) and returns a sub-directory of this root.</summary>
    public string Directory(string relative)
    {
        var path = System.IO.Path.Combine(Path, relative);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Path))
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
    }

    private static string Sanitize(string test)
    {
        var chars = test.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]))
            {
                chars[i] = '_';
            }
        }

        var clean = new string(chars);
        return clean.Length > 40 ? clean[..40] : clean;
    }
}
