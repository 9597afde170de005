using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Sundown.Libvirt.SafeHandles;

internal static partial class Interop
{
    internal static partial class Libvirt
    {
        /// <summary>
        /// Functions newer than libvirt 9.0, the oldest supported: looked up in the loaded
        /// libvirt at run time, once, and called through a function pointer only when there.
        /// Never a plain [LibraryImport]: on a libvirt without the symbol that would throw
        /// EntryPointNotFoundException at the first call. The ABI tests check that every other
        /// import exists in libvirt 9.0 and that none of these is imported plainly.
        /// </summary>
        internal static class Optional
        {
            /// <summary>libvirt 11.2 (symbol version LIBVIRT_11.2.0).</summary>
            internal const string DomainGetAutostartOnceName = "virDomainGetAutostartOnce";

            /// <summary>Every symbol the binding looks up at run time instead of importing it.</summary>
            internal static readonly ImmutableArray<string> Symbols = [DomainGetAutostartOnceName];

            private static readonly Lazy<nint> s_domainGetAutostartOnce = new(() => Libraries.LibvirtExport(DomainGetAutostartOnceName));

            /// <summary>Whether the loaded libvirt has virDomainGetAutostartOnce.</summary>
            internal static bool HasDomainGetAutostartOnce => s_domainGetAutostartOnce.Value != 0;

            /// <summary>
            /// <c>int virDomainGetAutostartOnce(virDomainPtr, int *autostart)</c>: 0 and the flag,
            /// -1 on error (an older daemon answers NO_SUPPORT); -1 too when this libvirt lacks it.
            /// </summary>
            internal static int DomainGetAutostartOnce(SafeVirDomainHandle domain, out int autostart)
            {
                autostart = 0;
                nint function = s_domainGetAutostartOnce.Value;
                if (function == 0)
                {
                    return -1;
                }

                bool added = false;
                domain.DangerousAddRef(ref added);
                try
                {
                    int on = 0;
                    int result;
                    unsafe
                    {
                        // SAFETY: the pointer is libvirt's own export of this name, whose C signature is
                        // int (virDomainPtr, int*); the handle is kept alive by the AddRef around the call,
                        // and `on` is a local that outlives it.
                        result = ((delegate* unmanaged[Cdecl]<nint, int*, int>)function)(domain.DangerousGetHandle(), &on);
                    }

                    autostart = on;
                    return result;
                }
                finally
                {
                    if (added)
                    {
                        domain.DangerousRelease();
                    }
                }
            }
        }
    }
}
