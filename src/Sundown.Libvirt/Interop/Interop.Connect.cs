using System.Runtime.InteropServices;
using Sundown.Libvirt.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libvirt
    {
        internal const uint ConnectReadOnly = 1;

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virInitialize")]
        internal static partial int Initialize();

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virGetVersion")]
        internal static partial int GetVersion(out CULong libVer, nint type, nint typeVer);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virConnectOpenAuth", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeVirConnectHandle ConnectOpenAuth(string? name, nint auth, uint flags);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virConnectClose")]
        internal static partial int ConnectClose(nint conn);

        /// <summary>Returns a <c>char*</c> the caller frees.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virConnectGetURI")]
        internal static partial nint ConnectGetURI(SafeVirConnectHandle conn);

        /// <summary>Returns 0 when set, 1 when the peer lacks keepalive support, -1 on error (NO_SUPPORT on drivers without it).</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virConnectSetKeepAlive")]
        internal static partial int ConnectSetKeepAlive(SafeVirConnectHandle conn, int interval, uint count);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virConnectIsAlive")]
        internal static partial int ConnectIsAlive(SafeVirConnectHandle conn);

        /// <summary>Fills <paramref name="domains"/> with a malloc'ed, NULL-terminated array of domain pointers.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virConnectListAllDomains")]
        internal static unsafe partial int ConnectListAllDomains(SafeVirConnectHandle conn, nint** domains, uint flags);
    }
}
