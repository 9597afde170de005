using Microsoft.Win32.SafeHandles;

namespace Sundown.Libvirt.SafeHandles;

/// <summary>A <c>virDomainSnapshotPtr</c>: one reference, released with virDomainSnapshotFree.</summary>
internal sealed class SafeVirDomainSnapshotHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeVirDomainSnapshotHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of one reference, e.g. an element of virDomainListAllSnapshots' array.</summary>
    internal SafeVirDomainSnapshotHandle(nint owned)
        : base(ownsHandle: true)
    {
        SetHandle(owned);
    }

    protected override bool ReleaseHandle() => Interop.Libvirt.DomainSnapshotFree(handle) == 0;
}
