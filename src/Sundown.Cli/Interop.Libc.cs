using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>The libc calls for the standard descriptors, before anything else opens a file.</summary>
    internal static partial class Libc
    {
        private const string Library = "libc.so.6";

        internal const int GetDescriptorFlags = 1;
        internal const int CloseOnExec = 1;
        internal const int OpenReadWrite = 0x2;
        internal const int ErrorBadDescriptor = 9;

        [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
        internal static partial int Fcntl(int fd, int command);

        // No O_CLOEXEC: these become the descriptors 0-2 that programs we run (systemctl) inherit.
        [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int Open(string path, int flags);
    }
}
