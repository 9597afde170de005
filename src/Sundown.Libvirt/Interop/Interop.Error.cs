using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libvirt
    {
        /// <summary><c>struct _virError</c>: 80 bytes on Linux x64 (checked by the ABI test).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct VirError
        {
            internal int Code;
            internal int Domain;
            internal nint Message;
            internal int Level;
            internal nint Conn;
            internal nint Dom;
            internal nint Str1;
            internal nint Str2;
            internal nint Str3;
            internal int Int1;
            internal int Int2;
            internal nint Net;
        }

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virCopyLastError")]
        internal static unsafe partial int CopyLastError(VirError* to);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virResetError")]
        internal static unsafe partial void ResetError(VirError* error);

        [LibraryImport(Libraries.Libvirt, EntryPoint = "virSetErrorFunc")]
        internal static unsafe partial void SetErrorFunc(nint userData, delegate* unmanaged[Cdecl]<nint, nint, void> handler);
    }
}
