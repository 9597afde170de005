namespace Sundown.Core.Model;

/// <summary>
/// One libvirt domain on one host, as the inventory saw it at one moment.
/// </summary>
/// <param name="Uri">The libvirt connection URI of the host that holds the guest.</param>
/// <param name="Uuid">The canonical lower-case UUID string: the guest's identity (names can change).</param>
/// <param name="StateReason">libvirt's reason number for <paramref name="State"/> (e.g. PAUSED/USER = 1).</param>
/// <param name="Os">The libosinfo OS id from the domain XML (e.g. <c>http://microsoft.com/win/10</c>), if any.</param>
/// <param name="Title">The domain's title; the test fleet marks its guests with one.</param>
public sealed record Guest(
    string Uri,
    string Name,
    string Uuid,
    GuestState State,
    int StateReason,
    bool Persistent,
    bool Autostart,
    bool ManagedSave,
    ulong MemoryKiB,
    int Vcpus,
    string? Os,
    bool HasAcpi,
    bool HasAgentChannel,
    string? Title)
{
    /// <summary>The guest's own Sundown policy element from its domain XML; null without one.</summary>
    public string? PolicyMetadata { get; init; }

    /// <summary>
    /// Marked to be started once at the next start of libvirt's daemon (libvirt 11.2+: <c>virsh
    /// autostart --once</c>, or its own auto_shutdown_restore); always false on older libvirt.
    /// </summary>
    public bool AutostartOnce { get; init; }
}
