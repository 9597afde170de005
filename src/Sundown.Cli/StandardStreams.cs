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
    /// <summary>
    /// Reopens closed descriptors 0-2 on /dev/null. The first thing Main does; but the .NET
    /// runtime opens files before Main, and keeps one (/dev/urandom) open: with 0-2 closed it
    /// lands on one of them. Such a descriptor is told apart by its close-on-exec flag, which
    /// none that was inherited across exec can have: the stream is then taken as closed, and
    /// the runtime's descriptor is left alone.
    /// </summary>
    /// <returns>For each of 0, 1 and 2: whether it is the stream the process was given (or /dev/null in its place).</returns>
    internal static bool[] ReopenClosedOnDevNull()
    {
        var usable = new bool[3];
        for (int fd = 0; fd <= 2; fd++)
        {
            int flags = Interop.Libc.Fcntl(fd, Interop.Libc.GetDescriptorFlags);
            if (flags >= 0)
            {
                usable[fd] = (flags & Interop.Libc.CloseOnExec) == 0;
            }
            else if (Marshal.GetLastPInvokeError() == Interop.Libc.ErrorBadDescriptor)
            {
                // open(2) returns the lowest free descriptor: this one, since those below it are
                // open by now. Failing that (no /dev/null), writes to it are dropped.
                usable[fd] = Interop.Libc.Open("/dev/null", Interop.Libc.OpenReadWrite) == fd;
            }
        }

        return usable;
    }

    /// <summary>
    /// Puts fail-safe writers in place of Console.Out and Console.Error (so that what compares
    /// a writer with Console.Out still finds them); when standard output fails, standard error
    /// says so once. A stream that is not there writes nowhere.
    /// </summary>
    internal static void MakeWritersFailSafe(bool[] usable)
    {
        var error = new FailSafeWriter(usable[2] ? Console.Error : TextWriter.Null, _ => { });
        var output = new FailSafeWriter(usable[1] ? Console.Out : TextWriter.Null, reason => error.WriteLine($"sundown: cannot write to standard output ({reason}); ignoring it, continuing"));
        Console.SetOut(output);
        Console.SetError(error);
    }
}
