using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static class Libraries
    {
        // The SONAME, not libvirt.so: the unversioned link exists only with libvirt-dev.
        internal const string Libvirt = "libvirt.so.0";

        /// <summary>
        /// The address of an export of the loaded libvirt (a function or a variable) found by name
        /// at run time; 0 when this libvirt has none.
        /// </summary>
        internal static nint LibvirtExport(string name) =>
            NativeLibrary.TryLoad(Libvirt, typeof(Libraries).Assembly, null, out nint library)
            && NativeLibrary.TryGetExport(library, name, out nint address)
                ? address
                : 0;
    }
}
