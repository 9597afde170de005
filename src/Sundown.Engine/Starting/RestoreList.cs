using Sundown.Engine.Journaling;

namespace Sundown.Engine.Starting;

/// <summary>
/// The restore list as an operator sees it (<c>sundown restore-list</c>): what the next start
/// would bring back from the journal, and a way to discard entries that should not come back.
/// </summary>
public static class RestoreList
{
    /// <summary>The entries left, oldest stop first; empty when there is no journal (a listing never creates one).</summary>
    public static IReadOnlyList<RestoreEntry> Load(string stateDirectory)
    {
        if (!File.Exists(Path.Combine(stateDirectory, Journal.FileName)))
        {
            return [];
        }

        using var journal = Journal.Open(stateDirectory);
        return journal.RestoreEntries();
    }

    /// <summary>
    /// Discards the entries of these hosts and names (each null for all), under the lock, so that
    /// no start consumes them at the same moment.
    /// </summary>
    /// <returns>The guests whose entries were discarded.</returns>
    /// <exception cref="StateLockedException">A stop or start is running.</exception>
    public static IReadOnlyList<RunGuestRecord> Discard(string stateDirectory, IReadOnlyCollection<string>? uris, IReadOnlyCollection<string>? names, DateTimeOffset at)
    {
        if (!File.Exists(Path.Combine(stateDirectory, Journal.FileName)))
        {
            return [];
        }

        using var stateLock = StateLock.Acquire(stateDirectory);
        using var journal = Journal.Open(stateDirectory);
        return journal.DiscardRestoreEntries(at, uris, names);
    }
}
