using System.Threading.Channels;
using Sundown.Core.Model;

namespace Sundown.Core.Hosts;

/// <summary>
/// The engine's view of one virtualization host: the port that the libvirt binding (and the
/// simulated host of the tests) implement, so that nothing above it sees libvirt types.
/// Guests are addressed by UUID. Every call blocks until libvirt answers; a failure is a
/// <see cref="HostException"/> whose <see cref="HostException.Kind"/> says what to do about it.
/// </summary>
public interface IGuestHost : IDisposable
{
    /// <summary>The connection URI, as the host itself reports it.</summary>
    string Uri { get; }

    /// <summary>Every guest on the host, active or not, sorted by name.</summary>
    IReadOnlyList<Guest> ListGuests();

    /// <summary>The guest's current state and libvirt's reason for it.</summary>
    GuestStatus GetStatus(string uuid);

    /// <summary>Asks the guest to shut down; returns once the request is issued, not when it is off.</summary>
    void Shutdown(string uuid, ShutdownMethod method);

    /// <summary>Powers the guest off at once.</summary>
    void Destroy(string uuid);

    void Suspend(string uuid);

    void Resume(string uuid);

    /// <summary>Wakes a guest from a power-management suspend (S3).</summary>
    void Wakeup(string uuid);

    /// <summary>Saves the guest's memory to libvirt's managed-save image and stops it. Blocks until done.</summary>
    void ManagedSave(string uuid);

    /// <summary>
    /// Aborts the guest's running job (a managed save given up on): the save fails and the
    /// guest goes on running. Drivers without jobs (libvirt's test driver) fail with
    /// <see cref="HostErrorKind.Unsupported"/>; so does a host that does not implement it.
    /// </summary>
    void AbortJob(string uuid) => throw new HostException(HostErrorKind.Unsupported, $"this host cannot abort a job of {uuid}");

    /// <summary>
    /// Makes a disk-only external snapshot, atomic (all disks or none), of every writable
    /// file-backed disk of a running or paused guest; with <paramref name="quiesce"/>, its
    /// filesystems are frozen through the guest agent meanwhile. Blocks until done. A host that
    /// cannot (libvirt's test driver has no disk-only snapshots) fails with
    /// <see cref="HostErrorKind.Unsupported"/>.
    /// </summary>
    SnapshotMade CreateDiskSnapshot(string uuid, string name, string description, bool quiesce) =>
        throw new HostException(HostErrorKind.Unsupported, $"this host cannot snapshot {uuid}");

    /// <summary>Every snapshot of the guest (Sundown's and others').</summary>
    IReadOnlyList<SnapshotInfo> ListSnapshots(string uuid) =>
        throw new HostException(HostErrorKind.Unsupported, $"this host cannot list the snapshots of {uuid}");

    /// <summary>Deletes one snapshot; an external one is merged back into its disk by block commit. Blocks until done.</summary>
    void DeleteSnapshot(string uuid, string name) =>
        throw new HostException(HostErrorKind.Unsupported, $"this host cannot delete a snapshot of {uuid}");

    /// <summary>Every disk of the guest with its backing chain (for doctor); empty where the host cannot say.</summary>
    IReadOnlyList<Inventory.SnapshotXml.Disk> ListDisks(string uuid) => [];

    /// <summary>Starts the guest; from its managed-save image when it has one.</summary>
    void Start(string uuid, bool paused = false);

    /// <summary>The guest's metadata element in the given namespace, or null when it has none.</summary>
    string? GetMetadata(string uuid, string namespaceUri);

    /// <summary>Sets (or with a null <paramref name="xml"/> removes) the metadata element, live and in the persistent config.</summary>
    void SetMetadata(string uuid, string namespaceUri, string prefix, string? xml);

    /// <summary>
    /// Delivers every lifecycle event of the host's guests to <paramref name="sink"/> until the
    /// returned subscription is disposed. Events arrive on the event-loop thread; the writer
    /// must not block (an unbounded channel is right).
    /// </summary>
    IDisposable SubscribeLifecycle(ChannelWriter<LifecycleEvent> sink);

    /// <summary>
    /// Raised (on no particular thread) when the connection is found closed while someone is
    /// subscribed to events: the daemon restarted, or the network went away.
    /// </summary>
    event Action? Disconnected;
}
