using Sundown.Core.Config;
using Sundown.Engine.Hosts;
using Sundown.Engine.Inventory;
using Sundown.Engine.Journaling;

namespace Sundown.Engine.Starting;

/// <summary>
/// The restore list as an operator sees it (<c>sundown restore-list</c>): what the next start
/// would bring back, from the journal and, for the hosts given, from the restore marks a stop
/// left in the guests' metadata when its journal could not be kept on disk; and a way to
/// discard entries that should not come back.
/// </summary>
public static class RestoreList
{
    /// <summary>How long one metadata call (a mark removed) may take.</summary>
    private static readonly TimeSpan s_markTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long reading every guest's mark may take, all together.</summary>
    private static readonly TimeSpan s_marksWithin = TimeSpan.FromSeconds(60);

    /// <summary>The journal's entries left, oldest stop first; empty when there is no journal (a listing never creates one).</summary>
    public static IReadOnlyList<RestoreEntry> Load(string stateDirectory)
    {
        if (!File.Exists(Path.Combine(stateDirectory, Journal.FileName)))
        {
            return [];
        }

        using var journal = Journal.Open(stateDirectory);
        return journal.RestoreEntries();
    }

    /// <summary>The restore marks in the guests of these hosts, oldest first.</summary>
    public static async Task<IReadOnlyList<RestoreEntry>> MarksAsync(HostSet hosts, TimeProvider time)
    {
        var byUri = hosts.Hosts.ToDictionary(h => h.Uri);
        var inventory = await GuestsWithPolicies.ReadAsync(hosts, SundownConfig.Default, null, GuestsWithPolicies.DefaultListTimeout, time);
        var reads = await RestoreMarks.ReadAsync(
            inventory.Guests.Where(e => e.Guest.Persistent).Select(e => (byUri[e.Guest.Uri], e.Guest)), s_marksWithin, time);
        return [.. reads.Select(r => r.Entry).OfType<RestoreEntry>().OrderBy(e => e.StoppedAt)];
    }

    /// <summary>
    /// Discards the journal's entries of these hosts and names (each null for all), under the
    /// lock, so that no start consumes them at the same moment.
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

    /// <summary>Removes the restore marks of these guests (null for all) from the hosts' guests.</summary>
    /// <returns>The guests whose marks were removed, and those whose marks could not be, with why.</returns>
    public static async Task<(IReadOnlyList<RunGuestRecord> Removed, IReadOnlyList<(RunGuestRecord Guest, string Message)> Failed)> DiscardMarksAsync(
        HostSet hosts, IReadOnlyCollection<string>? names, TimeProvider time)
    {
        var byUri = hosts.Hosts.ToDictionary(h => h.Uri);
        var marks = (await MarksAsync(hosts, time)).Where(m => names is null || names.Contains(m.Guest.Name)).ToList();
        var results = await Task.WhenAll(marks.Select(async mark =>
            (mark.Guest, Error: await RestoreMarks.RemoveAsync(byUri[mark.Guest.Uri], mark.Guest.Uuid, s_markTimeout, time))));
        return ([.. results.Where(r => r.Error is null).Select(r => r.Guest)], [.. results.Where(r => r.Error is not null).Select(r => (r.Guest, r.Error!))]);
    }
}
