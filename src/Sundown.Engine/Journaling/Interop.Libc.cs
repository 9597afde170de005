using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// The two libc calls the state lock needs. .NET's own FileShare.None lock is a flock too,
    /// but every FileStream open takes one, so a process refused the lock could not even
    /// read the holder's PID from the file; and DOTNET_SYSTEM_IO_DISABLEFILELOCKING would
    /// silently turn it off.
    /// </summary>
    internal static partial class Libc
    {
        // The SONAME: the unversioned libc.so is a linker script that dlopen cannot load.
        private const string Library = "libc.so.6";

        // Values from the generic Linux headers (x86-64 and arm64 alike).
        internal const int OpenReadWrite = 0x2;
        internal const int OpenCreate = 0x40;
        internal const int OpenCloseOnExec = 0x80000;
        internal const int LockExclusive = 2;
        internal const int LockNonBlocking = 4;
        internal const int ErrorWouldBlock = 11;

        // open(2) is variadic; on the Linux ABIs .NET runs on, a trailing mode_t is passed
        // exactly as a fixed argument would be.
        [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int Open(string path, int flags, uint mode);

        [LibraryImport(Library, EntryPoint = "flock", SetLastError = true)]
        internal static partial int Flock(int fd, int operation);
    }
}
