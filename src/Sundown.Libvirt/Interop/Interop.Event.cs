using System.Runtime.InteropServices;
using Sundown.Libvirt.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libvirt
    {
        internal const int DomainEventIdLifecycle = 0;

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virEventRegisterDefaultImpl")]
        internal static partial int EventRegisterDefaultImpl();

        /// <summary>Runs one iteration of the default event loop; blocks in poll() until something happens.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virEventRunDefaultImpl")]
        internal static partial int EventRunDefaultImpl();

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virEventAddTimeout")]
        internal static unsafe partial int EventAddTimeout(int frequencyMs, delegate* unmanaged[Cdecl]<int, nint, void> callback, nint opaque, nint freeCallback);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virEventRemoveTimeout")]
        internal static partial int EventRemoveTimeout(int timer);

        /// <summary>
        /// Registers a lifecycle callback, <c>int (*)(virConnectPtr, virDomainPtr, int event, int detail, void *opaque)</c>,
        /// passed as libvirt's generic callback type. Returns the callback id (the first is 0) or -1.
        /// </summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virConnectDomainEventRegisterAny")]
        internal static unsafe partial int ConnectDomainEventRegisterAny(
            SafeVirConnectHandle conn,
            nint domain,
            int eventId,
            delegate* unmanaged[Cdecl]<nint, nint, int, int, nint, int> callback,
            nint opaque,
            delegate* unmanaged[Cdecl]<nint, void> freeCallback);

        /// <summary>Registers <c>void (*)(virConnectPtr, int reason, void *opaque)</c>, called when the connection closes.</summary>
        [LibraryImport(Libraries.Libvirt, EntryPoint = "virConnectRegisterCloseCallback")]
        internal static unsafe partial int ConnectRegisterCloseCallback(
            SafeVirConnectHandle conn,
            delegate* unmanaged[Cdecl]<nint, int, nint, void> callback,
            nint opaque,
            delegate* unmanaged[Cdecl]<nint, void> freeCallback);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virConnectUnregisterCloseCallback")]
        internal static unsafe partial int ConnectUnregisterCloseCallback(SafeVirConnectHandle conn, delegate* unmanaged[Cdecl]<nint, int, nint, void> callback);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virConnectDomainEventDeregisterAny")]
        internal static partial int ConnectDomainEventDeregisterAny(SafeVirConnectHandle conn, int callbackId);
    }
}
