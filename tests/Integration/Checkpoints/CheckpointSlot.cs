using System;
using System.IO;

namespace Boinc.Persist.Integration.Checkpoints;

/// <summary>A private temporary slot directory for one test, removed afterwards.</summary>
public sealed class CheckpointSlot : IDisposable
{
    public CheckpointSlot(string test, string? under = null)
    {
        Root = Path.Combine(under ?? Path.GetTempPath(), $"boinc-persist-ckpt-{test}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
