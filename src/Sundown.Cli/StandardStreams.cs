using System.Runtime.InteropServices;

namespace Sundown.Cli;

/// <summary>
/// Standard input, output and error as sundown finds them, made safe to use. A descriptor
/// 0-2 that is closed at start is reopened on /dev/null before anything else opens a file,
/// or the first file opened (the lock, the journal) would become "standard output" and get
/// the progress lines written into it. Then the writers are made fail-safe: a write that
/// fails (EPIPE from a closed pipe, EBADF, ENOSPC on a redirected file, a journald that went
/// away) is dropped, because what the console shows must never change what happens to a guest.
/// </summary>
internal static class StandardStreams
{
    /// <summary>Reopens closed descriptors 0-2 on /dev/null. The first thing Main does: nothing else may have opened a file yet.</summary>
    internal static void ReopenClosedOnDevNull()
    {
        for (int fd = 0; fd <= 2; fd++)
        {
            if (Interop.Libc.Fcntl(fd, Interop.Libc.GetDescriptorFlags) < 0 && Marshal.GetLastPInvokeError() == Interop.Libc.ErrorBadDescriptor)
            {
                // open(2) returns the lowest free descriptor: this one, since those below it are open by now.
                // Failing that (no /dev/null), nothing better can be done, and writes to it are dropped.
                _ = Interop.Libc.Open("/dev/null", Interop.Libc.OpenReadWrite);
            }
        }
    }

    /// <summary>
    /// Puts fail-safe writers in place of Console.Out and Console.Error (so that what compares
    /// a writer with Console.Out still finds them), each telling the other, once, when it fails.
    /// </summary>
    internal static void MakeWritersFailSafe()
    {
        FailSafeWriter? error = null;
        var output = new FailSafeWriter(Console.Out, reason => error?.WriteLine($"sundown: cannot write to standard output ({reason}); ignoring it, continuing"));
        error = new FailSafeWriter(Console.Error, _ => { });
        Console.SetOut(output);
        Console.SetError(error);
    }
}
