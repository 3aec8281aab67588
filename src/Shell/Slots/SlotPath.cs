using System;

namespace Boinc.Persist.Shell.Slots;

/// <summary>
/// The slot-relative paths <see cref="ISlotFiles"/> accepts: '/'-separated components, none empty, none
/// <c>.</c> or <c>..</c>, no NUL, no leading '/'; <c>"."</c> alone is the slot itself.
/// </summary>
public static class SlotPath
{
    /// <summary>The components of a slot-relative path (empty for "."); a malformed path is an <see cref="ArgumentException"/>.</summary>
    public static string[] Components(string path)
    {
        if (path == ".")
            return [];
        if (path.Length == 0 || path[0] == '/' || path.Contains('\0'))
            throw new ArgumentException($"'{path}' is not a slot-relative path", nameof(path));
        var parts = path.Split('/');
        foreach (var p in parts)
            if (p.Length == 0 || p == "." || p == "..")
                throw new ArgumentException($"'{path}' is not a plain slot-relative path (empty, . or .. component)", nameof(path));
        return parts;
    }

    /// <summary>Whether <see cref="Components"/> accepts the path.</summary>
    public static bool IsValid(string path)
    {
        try
        {
            Components(path);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The parent ("." for a top-level name) and the last component of a path other than ".".</summary>
    public static (string Parent, string Leaf) Split(string path)
    {
        var parts = Components(path);
        if (parts.Length == 0)
            throw new ArgumentException("the slot itself has no parent", nameof(path));
        var i = path.LastIndexOf('/');
        return i < 0 ? (".", path) : (path[..i], path[(i + 1)..]);
    }

    /// <summary>Join a directory (possibly ".") and a name.</summary>
    public static string Join(string dir, string name) => dir == "." ? name : dir + "/" + name;
}
