using Microsoft.Win32.SafeHandles;

namespace Sundown.Libvirt.SafeHandles;

/// <summary>A <c>virDomainPtr</c>; it keeps its connection alive until released.</summary>
internal sealed class SafeVirDomainHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeVirDomainHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of one reference, e.g. an element of virConnectListAllDomains' array.</summary>
    internal SafeVirDomainHandle(nint owned)
        : base(ownsHandle: true)
    {
        SetHandle(owned);
    }

    protected override bool ReleaseHandle() => Interop.Libvirt.DomainFree(handle) == 0;
}
