using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// The libc calls for the state directory's files and the config. .NET's own FileShare.None
    /// lock is a flock too, but every FileStream open takes one, so a process refused the lock
    /// could not even read the holder's PID from the file; and DOTNET_SYSTEM_IO_DISABLEFILELOCKING
    /// would silently turn it off. .NET has no O_NOFOLLOW either.
    /// </summary>
    internal static partial class Libc
    {
        // The SONAME: the unversioned libc.so is a linker script that dlopen cannot load.
        private const string Library = "libc.so.6";

        // Values from the generic Linux headers (x86-64 and arm64 alike), but for O_NOFOLLOW
        // (AbiTests checks them against <fcntl.h>).
        internal const int OpenReadOnly = 0x0;
        internal const int OpenWriteOnly = 0x1;
        internal const int OpenReadWrite = 0x2;
        internal const int OpenCreate = 0x40;
        internal const int OpenExclusive = 0x80;
        internal const int OpenNonBlocking = 0x800;
        internal const int OpenCloseOnExec = 0x80000;
        internal const int LockExclusive = 2;
        internal const int LockNonBlocking = 4;
        internal const int ErrorNoEntry = 2;
        internal const int ErrorAccess = 13;
        internal const int ErrorWouldBlock = 11;
        internal const int ErrorReadOnlyFileSystem = 30;
        internal const int ErrorLoop = 40;

        /// <summary>O_NOFOLLOW: 0400000 in the generic headers (x86-64), 0100000 on arm and arm64.</summary>
        internal static int OpenNoFollow { get; } =
            RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

        // open(2) is variadic; on the Linux ABIs .NET runs on, a trailing mode_t is passed
        // exactly as a fixed argument would be.
        [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int Open(string path, int flags, uint mode);

        [LibraryImport(Library, EntryPoint = "flock", SetLastError = true)]
        internal static partial int Flock(int fd, int operation);
    }
}
