namespace Sundown.Engine.Journaling;

/// <summary>The directory that holds the journal and the lock (<c>/var/lib/sundown</c> by default).</summary>
internal static class StateDirectory
{
    /// <summary>
    /// Creates it as 0700: the journal names every guest and its history, and no other user
    /// may take or hold the lock. Missing parents get the usual mode (they are /var/lib);
    /// an existing directory keeps the mode its owner gave it.
    /// </summary>
    internal static void Create(string path)
    {
        try
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JournalException($"cannot create the state directory {path}: {e.Message}", e);
        }
    }
}
