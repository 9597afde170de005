namespace Sundown.Core.Hosts;

/// <summary>What <see cref="IGuestHost.CreateDiskSnapshot"/> did (a failure is a <see cref="HostException"/>).</summary>
public enum SnapshotMade
{
    /// <summary>The snapshot exists: an overlay on every file-backed disk.</summary>
    Made,

    /// <summary>Nothing to do: the guest has no writable file-backed disk.</summary>
    NoDisk,
}
