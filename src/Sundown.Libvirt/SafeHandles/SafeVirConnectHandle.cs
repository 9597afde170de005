using Microsoft.Win32.SafeHandles;

namespace Sundown.Libvirt.SafeHandles;

/// <summary>A <c>virConnectPtr</c>. Closing is safe from the finalizer: connections are ref-counted and thread-safe.</summary>
internal sealed class SafeVirConnectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeVirConnectHandle()
        : base(ownsHandle: true)
    {
    }

    // virConnectClose returns the references left (>0 while domain handles or callbacks
    // still hold it), 0 when freed, -1 on error: only -1 is a failure.
    protected override bool ReleaseHandle() => Interop.Libvirt.ConnectClose(handle) >= 0;
}
