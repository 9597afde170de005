using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sundown.Libvirt;

/// <summary>
/// Process-wide libvirt set-up, done once before the first connection: silence libvirt's
/// default error printer (errors reach callers as exceptions instead) and register the
/// default event loop implementation, which libvirt requires before any open.
/// </summary>
internal static class LibvirtRuntime
{
    private static readonly Lock s_lock = new();
    private static bool s_initialized;

    internal static void EnsureInitialized()
    {
        lock (s_lock)
        {
            if (s_initialized)
            {
                return;
            }

            unsafe
            {
                // SAFETY: a static UnmanagedCallersOnly function lives as long as the process.
                Interop.Libvirt.SetErrorFunc(0, &IgnoreError);
            }

            if (Interop.Libvirt.EventRegisterDefaultImpl() < 0)
            {
                throw LibvirtException.FromLastError("registering libvirt's event loop");
            }

            s_initialized = true;
        }
    }

    /// <summary>The libvirt library's version, e.g. 9000000 for 9.0.0.</summary>
    internal static ulong LibraryVersion()
    {
        EnsureInitialized();
        if (Interop.Libvirt.GetVersion(out CULong version, 0, 0) < 0)
        {
            throw LibvirtException.FromLastError("reading libvirt's version");
        }

        return version.Value;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void IgnoreError(nint userData, nint error)
    {
    }
}
