using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>sizeof(struct stat) on x86-64 glibc.</summary>
        internal const int StatSize = 144;

        /// <summary>offsetof(struct stat, st_uid) on x86-64: after st_dev, st_ino, st_nlink (8 bytes each) and st_mode (4).</summary>
        internal const int StatUidOffset = 28;

        // glibc 2.33 and later export stat itself (Debian 12 has 2.36).
        [LibraryImport(Library, EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static unsafe partial int Stat(string path, byte* buffer);

        [LibraryImport(Library, EntryPoint = "geteuid")]
        internal static partial uint GetEffectiveUid();
    }
}
