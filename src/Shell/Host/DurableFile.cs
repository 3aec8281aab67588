using System.IO;

namespace Boinc.Persist.Shell.Host;

/// <summary>
/// Durable replace of a small file: write a temp file in the same directory, fsync it, rename(2) it over the
/// target, fsync the directory. After a crash at any point the target holds either the old or the new bytes.
/// </summary>
public static class DurableFile
{
    public static void Replace(string path, byte[] contents)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? "/";
        var temp = Path.Combine(directory, "." + Path.GetFileName(full) + ".tmp");
        using (var stream = CreateFresh(temp))
        {
            stream.Write(contents);
            stream.Flush(flushToDisk: true);
        }

        Libc.Rename(temp, full);
        Libc.FsyncDirectory(directory);
    }

    /// <summary>
    /// A new, empty regular file at <paramref name="path"/>, in a directory the container may write (the slot):
    /// whatever entry is there is unlinked first (a planted symlink is removed, never written through), then the
    /// file is created with O_CREAT|O_EXCL, which does not follow symlinks either.
    /// </summary>
    public static FileStream CreateFresh(string path)
    {
        if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
            File.Delete(path);
        return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
    }
}
