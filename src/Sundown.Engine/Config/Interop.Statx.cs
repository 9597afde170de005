using System.Runtime.InteropServices;
using Sundown.Engine.Config;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int AtCurrentDirectory = -100;
        internal const int AtSymlinkNoFollow = 0x100;
        internal const int AtEmptyPath = 0x1000;
        internal const uint StatxType = 0x1;
        internal const uint StatxMode = 0x2;
        internal const uint StatxUid = 0x8;

        /// <summary>
        /// statx(2), not stat(2): struct stat has a layout of its own on every architecture (and
        /// glibc's differs from the kernel's), struct statx one on all of them (AbiTests checks it).
        /// Needs Linux 4.11 and glibc 2.28; Debian 10 has both.
        /// </summary>
        [LibraryImport(Library, EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int Statx(int directory, string path, int flags, uint mask, out StatxBuffer buffer);

        [LibraryImport(Library, EntryPoint = "geteuid")]
        internal static partial uint GetEffectiveUid();

        [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
        internal static partial int Fsync(int fd);
    }
}
