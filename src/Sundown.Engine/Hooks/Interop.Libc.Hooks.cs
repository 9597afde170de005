using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libc
    {
        internal const int SignalTerminate = 15;
        internal const int SignalKill = 9;

        /// <summary>kill(2): a negative pid signals the whole process group.</summary>
        [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
        internal static partial int Kill(int pid, int signal);
    }
}
