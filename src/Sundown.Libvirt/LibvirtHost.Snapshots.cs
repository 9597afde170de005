using System.Runtime.InteropServices;
using Sundown.Core.Hosts;
using Sundown.Core.Inventory;
using Sundown.Libvirt.SafeHandles;

namespace Sundown.Libvirt;

public sealed partial class LibvirtHost
{
    public SnapshotMade CreateDiskSnapshot(string uuid, string name, string description, bool quiesce)
    {
        using var domain = Lookup(uuid);
        string guest = NameOf(domain);
        var disks = DisksOf(domain, guest);
        if (!disks.Any(d => d.Snapshottable))
        {
            return SnapshotMade.NoDisk;
        }

        // DISK_ONLY: no memory image (the stop that follows ends the guest's memory anyway);
        // ATOMIC: every disk gets its overlay or none does; QUIESCE: the agent freezes the
        // guest's filesystems meanwhile (fails without an agent that answers).
        uint flags = Interop.Libvirt.SnapshotCreateDiskOnly | Interop.Libvirt.SnapshotCreateAtomic
            | (quiesce ? Interop.Libvirt.SnapshotCreateQuiesce : 0);
        using var snapshot = Interop.Libvirt.DomainSnapshotCreateXML(domain, SnapshotXml.CreateXml(name, description, disks), flags);
        if (snapshot.IsInvalid)
        {
            throw LibvirtException.FromLastError($"cannot snapshot '{guest}'");
        }

        return SnapshotMade.Made;
    }

    public unsafe IReadOnlyList<SnapshotInfo> ListSnapshots(string uuid)
    {
        using var domain = Lookup(uuid);
        string guest = NameOf(domain);
        nint* array;
        // SAFETY: libvirt writes a malloc'ed array of `count` references to `array`.
        int count = Interop.Libvirt.DomainListAllSnapshots(domain, &array, 0);
        if (count < 0)
        {
            throw LibvirtException.FromLastError($"cannot list the snapshots of '{guest}'");
        }

        // Every element owned by a handle first, so that each is freed even if a read fails.
        var handles = new List<SafeVirDomainSnapshotHandle>(count);
        for (int i = 0; i < count; i++)
        {
            handles.Add(new SafeVirDomainSnapshotHandle(array[i]));
        }

        // SAFETY: the array itself is malloc'ed and ours; its elements now belong to the handles.
        NativeMemory.Free(array);
        var snapshots = new List<SnapshotInfo>(count);
        try
        {
            foreach (var handle in handles)
            {
                if (ReadSnapshot(handle, guest) is { } snapshot)
                {
                    snapshots.Add(snapshot);
                }
            }
        }
        finally
        {
            foreach (var handle in handles)
            {
                handle.Dispose();
            }
        }

        return snapshots;
    }

    /// <summary>The snapshot's definition; null when it was deleted meanwhile (no longer there).</summary>
    internal static SnapshotInfo? ReadSnapshot(SafeVirDomainSnapshotHandle handle, string guest)
    {
        nint xml = Interop.Libvirt.DomainSnapshotGetXMLDesc(handle, 0);
        if (xml != 0)
        {
            return SnapshotXml.Parse(TakeString(xml)!);
        }

        // The error first: virDomainSnapshotGetName, like every public libvirt call, resets it.
        var error = LibvirtException.FromLastError($"cannot read a snapshot of '{guest}'");
        if (error.Code == LibvirtErrorCode.NoDomainSnapshot)
        {
            return null;
        }

        string which = Marshal.PtrToStringUTF8(Interop.Libvirt.DomainSnapshotGetName(handle)) ?? "?";
        throw new LibvirtException(error.Code, error.ErrorDomain, $"{error.Message} (snapshot '{which}')");
    }

    public void DeleteSnapshot(string uuid, string name)
    {
        using var domain = Lookup(uuid);
        string guest = NameOf(domain);
        using var snapshot = Interop.Libvirt.DomainSnapshotLookupByName(domain, name, 0);
        if (snapshot.IsInvalid)
        {
            throw LibvirtException.FromLastError($"no snapshot '{name}' of '{guest}'");
        }

        // Flags 0: this snapshot only, its data merged into the chain (an external snapshot by
        // block commit, libvirt ≥ 9.0), never METADATA_ONLY, which leaves the overlay behind.
        if (Interop.Libvirt.DomainSnapshotDelete(snapshot, 0) < 0)
        {
            throw LibvirtException.FromLastError($"cannot delete snapshot '{name}' of '{guest}'");
        }
    }

    public IReadOnlyList<SnapshotXml.Disk> ListDisks(string uuid)
    {
        using var domain = Lookup(uuid);
        return DisksOf(domain, NameOf(domain));
    }

    private static IReadOnlyList<SnapshotXml.Disk> DisksOf(SafeVirDomainHandle domain, string guest)
    {
        nint xml = Interop.Libvirt.DomainGetXMLDesc(domain, 0);
        if (xml == 0)
        {
            throw LibvirtException.FromLastError($"reading the definition of '{guest}'");
        }

        return SnapshotXml.Disks(TakeString(xml)!);
    }
}
