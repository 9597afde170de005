using System.Runtime.InteropServices;
using Sundown.Libvirt.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libvirt
    {
        /// <summary>VIR_UUID_STRING_BUFLEN: 36 characters and the terminating NUL.</summary>
        internal const int UuidStringBufferLength = 37;

        // virDomainShutdownFlagValues
        internal const uint ShutdownDefault = 0;
        internal const uint ShutdownAcpiPowerButton = 1;
        internal const uint ShutdownGuestAgent = 2;

        // virDomainCreateFlags
        internal const uint StartPaused = 1;

        // virDomainMetadataType and virDomainModificationImpact
        internal const int MetadataElement = 2;
        internal const uint AffectLive = 1;
        internal const uint AffectConfig = 2;

        /// <summary><c>struct _virDomainInfo</c>: 40 bytes on Linux x64 (checked by the ABI test).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct VirDomainInfo
        {
            internal byte State;
            internal CULong MaxMem;
            internal CULong Memory;
            internal ushort NrVirtCpu;
            internal ulong CpuTime;
        }

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainFree")]
        internal static partial int DomainFree(nint domain);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainRef")]
        internal static partial int DomainRef(nint domain);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainLookupByUUIDString", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeVirDomainHandle DomainLookupByUUIDString(SafeVirConnectHandle conn, string uuid);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainLookupByName", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeVirDomainHandle DomainLookupByName(SafeVirConnectHandle conn, string name);

        /// <summary>Returns a <c>const char*</c> owned by the domain object: never freed, copied at once.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainGetName")]
        internal static partial nint DomainGetName(SafeVirDomainHandle domain);

        /// <summary>The raw-pointer overload, for lifecycle callbacks, whose domain is borrowed.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainGetName")]
        internal static partial nint DomainGetName(nint domain);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainGetUUIDString")]
        internal static unsafe partial int DomainGetUUIDString(SafeVirDomainHandle domain, byte* buf);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainGetUUIDString")]
        internal static unsafe partial int DomainGetUUIDString(nint domain, byte* buf);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainGetState")]
        internal static partial int DomainGetState(SafeVirDomainHandle domain, out int state, out int reason, uint flags);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainGetInfo")]
        internal static partial int DomainGetInfo(SafeVirDomainHandle domain, out VirDomainInfo info);

        /// <summary>Returns a <c>char*</c> the caller frees.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainGetXMLDesc")]
        internal static partial nint DomainGetXMLDesc(SafeVirDomainHandle domain, uint flags);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainIsPersistent")]
        internal static partial int DomainIsPersistent(SafeVirDomainHandle domain);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainGetAutostart")]
        internal static partial int DomainGetAutostart(SafeVirDomainHandle domain, out int autostart);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainHasManagedSaveImage")]
        internal static partial int DomainHasManagedSaveImage(SafeVirDomainHandle domain, uint flags);

        /// <summary>Returns a <c>char*</c> the caller frees.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainGetMetadata", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint DomainGetMetadata(SafeVirDomainHandle domain, int type, string? uri, uint flags);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainSetMetadata", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int DomainSetMetadata(SafeVirDomainHandle domain, int type, string? metadata, string? key, string? uri, uint flags);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainShutdownFlags")]
        internal static partial int DomainShutdownFlags(SafeVirDomainHandle domain, uint flags);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainDestroy")]
        internal static partial int DomainDestroy(SafeVirDomainHandle domain);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainSuspend")]
        internal static partial int DomainSuspend(SafeVirDomainHandle domain);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainResume")]
        internal static partial int DomainResume(SafeVirDomainHandle domain);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainPMWakeup")]
        internal static partial int DomainPMWakeup(SafeVirDomainHandle domain, uint flags);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainManagedSave")]
        internal static partial int DomainManagedSave(SafeVirDomainHandle domain, uint flags);

        /// <summary>Aborts the domain's current job (a managed save); a driver without jobs fails with VIR_ERR_NO_SUPPORT.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainAbortJob")]
        internal static partial int DomainAbortJob(SafeVirDomainHandle domain);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virDomainCreateWithFlags")]
        internal static partial int DomainCreateWithFlags(SafeVirDomainHandle domain, uint flags);
    }
}
