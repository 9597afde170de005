internal static partial class Interop
{
    internal static class Libraries
    {
        // The SONAME, not libvirt.so: the unversioned link exists only with libvirt-dev.
        internal const string Libvirt = "libvirt.so.0";
    }
}
