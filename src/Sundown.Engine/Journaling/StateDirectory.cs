using Sundown.Engine.Config;

namespace Sundown.Engine.Journaling;

/// <summary>The directory that holds the journal and the lock (<c>/var/lib/sundown</c> by default).</summary>
public static class StateDirectory
{
    /// <summary>
    /// Creates it as 0700 (the journal names every guest and its history, and no other user
    /// may take or hold the lock) and checks an existing one: a symbolic link, something not a
    /// directory, or a directory of another user is refused, because whoever controls it
    /// controls what a root-run sundown writes; one writable by group or others is ours, so it
    /// is repaired (chmod go-w). Missing parents get the usual mode (they are /var/lib).
    /// </summary>
    /// <returns>What was repaired, for a warning; null when nothing was.</returns>
    /// <exception cref="JournalException">It cannot be created, or is refused.</exception>
    public static string? Secure(string path)
    {
        try
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JournalException($"cannot create the state directory {path}: {e.Message}", e);
        }

        FileStatus status;
        try
        {
            status = FileStatus.Of(path, followLinks: false);
        }
        catch (IOException e)
        {
            throw new JournalException($"cannot check the state directory {path}: {e.Message}", e);
        }

        if (status.IsSymlink)
        {
            throw new JournalException($"the state directory {path} is a symbolic link; refusing it (give the directory it points to with --state-dir)");
        }

        if (!status.IsDirectory)
        {
            throw new JournalException($"the state directory {path} is not a directory");
        }

        if (status.Uid != FileStatus.CurrentUid)
        {
            throw new JournalException($"the state directory {path} is owned by uid {status.Uid}, not by the user running sundown (uid {FileStatus.CurrentUid}); refusing it: chown it or choose another with --state-dir");
        }

        if (!status.WritableByGroupOrOthers)
        {
            return null;
        }

        var repaired = status.Permissions & ~(UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);
        try
        {
            File.SetUnixFileMode(path, repaired);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JournalException($"the state directory {path} is writable by group or others (mode {status.OctalPermissions}) and cannot be repaired: {e.Message}", e);
        }

        return $"the state directory {path} was writable by group or others (mode {status.OctalPermissions}); removed their write permission (chmod go-w), continuing";
    }

    internal static void Create(string path) => Secure(path);
}
