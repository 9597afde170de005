using System.Runtime.InteropServices;
using Sundown.Libvirt.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libvirt
    {
        // virDomainSnapshotCreateFlags
        internal const uint SnapshotCreateDiskOnly = 16;
        internal const uint SnapshotCreateQuiesce = 64;
        internal const uint SnapshotCreateAtomic = 128;

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainSnapshotCreateXML", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeVirDomainSnapshotHandle DomainSnapshotCreateXML(SafeVirDomainHandle domain, string xmlDesc, uint flags);

        /// <summary>Fills <paramref name="snapshots"/> with a malloc'ed array of references: free each (virDomainSnapshotFree), then the array.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainListAllSnapshots")]
        internal static unsafe partial int DomainListAllSnapshots(SafeVirDomainHandle domain, nint** snapshots, uint flags);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainSnapshotLookupByName", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeVirDomainSnapshotHandle DomainSnapshotLookupByName(SafeVirDomainHandle domain, string name, uint flags);

        /// <summary>A <c>const char*</c> owned by the snapshot object: never freed, copied before the handle goes.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainSnapshotGetName")]
        internal static partial nint DomainSnapshotGetName(SafeVirDomainSnapshotHandle snapshot);

        /// <summary>A malloc'ed <c>char*</c> the caller frees.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainSnapshotGetXMLDesc")]
        internal static partial nint DomainSnapshotGetXMLDesc(SafeVirDomainSnapshotHandle snapshot, uint flags);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainSnapshotDelete")]
        internal static partial int DomainSnapshotDelete(SafeVirDomainSnapshotHandle snapshot, uint flags);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainSnapshotFree")]
        internal static partial int DomainSnapshotFree(nint snapshot);
    }
}
