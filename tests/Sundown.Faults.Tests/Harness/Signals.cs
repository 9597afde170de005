using System.Runtime.InteropServices;

namespace Sundown.Faults.Tests.Harness;

/// <summary>kill(2) for the processes a test started: .NET can only SIGKILL them.</summary>
internal static partial class Signals
{
    internal const int Interrupt = 2;
    internal const int Killed = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
