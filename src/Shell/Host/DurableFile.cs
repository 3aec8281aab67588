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
        // The temp name is in a directory the container may write (the slot): unlink whatever is there, then
        // O_CREAT|O_EXCL, so a planted symlink is never written through.
        if (File.Exists(temp) || new FileInfo(temp).LinkTarget is not null)
            File.Delete(temp);
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            stream.Write(contents);
            stream.Flush(flushToDisk: true);
        }

        Libc.Rename(temp, full);
        Libc.FsyncDirectory(directory);
    }
}
