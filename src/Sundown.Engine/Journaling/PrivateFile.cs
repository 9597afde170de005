using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sundown.Engine.Config;

namespace Sundown.Engine.Journaling;

/// <summary>
/// The files of the state directory (the lock, the journal, the last good config): 0600,
/// owned by the user running sundown, and never reached through a symbolic link, which could
/// make a root-run sundown write wherever the link points.
/// </summary>
internal static class PrivateFile
{
    internal const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Opens <paramref name="path"/> read-write, creating it 0600; a wider mode is narrowed to 0600.</summary>
    /// <param name="what">What the file is, for the message: "the lock file".</param>
    /// <exception cref="JournalException">It is a symbolic link, not a regular file, someone else's, or cannot be opened.</exception>
    internal static SafeFileHandle Open(string path, string what)
    {
        int fd = Interop.Libc.Open(path,
            Interop.Libc.OpenReadWrite | Interop.Libc.OpenCreate | Interop.Libc.OpenNoFollow | Interop.Libc.OpenCloseOnExec,
            (uint)Mode);
        if (fd < 0)
        {
            throw Refusal(path, what, Marshal.GetLastPInvokeError());
        }

        var file = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            Check(file, path, what);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates the file 0600 if it is missing, refuses it if it is a link, and leaves it for
    /// another library (SQLite) to open by name. On a read-only file system an existing file
    /// is still accepted, checked through a read-only descriptor, for commands that only read it.
    /// </summary>
    /// <exception cref="JournalException">As <see cref="Open"/>.</exception>
    internal static void Prepare(string path, string what)
    {
        int fd = Interop.Libc.Open(path,
            Interop.Libc.OpenReadWrite | Interop.Libc.OpenCreate | Interop.Libc.OpenNoFollow | Interop.Libc.OpenCloseOnExec,
            (uint)Mode);
        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            if (error is not (Interop.Libc.ErrorReadOnlyFileSystem or Interop.Libc.ErrorAccess))
            {
                throw Refusal(path, what, error);
            }

            fd = Interop.Libc.Open(path, Interop.Libc.OpenReadOnly | Interop.Libc.OpenNoFollow | Interop.Libc.OpenCloseOnExec, 0);
            if (fd < 0)
            {
                throw Refusal(path, what, Marshal.GetLastPInvokeError());
            }
        }

        using var file = new SafeFileHandle(fd, ownsHandle: true);
        Check(file, path, what);
    }

    internal static JournalException Refusal(string path, string what, int error) => error == Interop.Libc.ErrorLoop
        ? new JournalException($"{what} {path} is a symbolic link; refusing to follow it (remove it: sundown creates the file itself)")
        : new JournalException($"cannot open {what} {path}: {Marshal.GetPInvokeErrorMessage(error)}");

    private static void Check(SafeFileHandle file, string path, string what)
    {
        FileStatus status;
        try
        {
            status = FileStatus.Of(file);
        }
        catch (IOException e)
        {
            throw new JournalException($"cannot check {what} {path}: {e.Message}", e);
        }

        if (!status.IsRegularFile)
        {
            throw new JournalException($"{what} {path} is not a regular file; refusing it");
        }

        if (status.Uid != FileStatus.CurrentUid)
        {
            throw new JournalException($"{what} {path} is owned by uid {status.Uid}, not by the user running sundown (uid {FileStatus.CurrentUid}); refusing it");
        }

        if ((status.Permissions & ~Mode) != 0)
        {
            try
            {
                File.SetUnixFileMode(file, status.Permissions & Mode);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Read-only: the file stays as it was, and nothing is written to it here either.
            }
        }
    }
}
