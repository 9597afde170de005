using System.Globalization;
using Sundown.Core.Hosts;

namespace Sundown.Core.Policy;

/// <summary>
/// What makes a snapshot Sundown's, what it is called, and which of them are kept. A snapshot
/// is Sundown's only when both its name and its description carry the marks below: an
/// operator's snapshot (any other name, or a description of their own) is never touched.
/// </summary>
public static class SnapshotRule
{
    /// <summary>The most snapshots a policy may keep: every one is a link in the disk's backing chain, read on every access.</summary>
    public const int MaxKept = 16;

    /// <summary>Every name Sundown gives begins with this; it has no dot, so libvirt names the overlay <c>DISK.NAME</c> beside the image.</summary>
    public const string NamePrefix = "sundown-";

    /// <summary>The first word of the description of every snapshot Sundown makes: its marker.</summary>
    public const string Marker = "sundown-snapshot/1";

    /// <summary>Null when <paramref name="kept"/> is a valid <c>snapshots</c> value, else what is wrong with it.</summary>
    public static string? CheckKept(int kept) =>
        kept is >= 0 and <= MaxKept ? null : $"{kept} is not 0 (no snapshots) to {MaxKept}";

    /// <summary>
    /// The name of the snapshot made before the stop that began at <paramref name="runStart"/>:
    /// <c>sundown-20261202T123456Z</c>, then <c>-rN</c> with the journal's run number when there is
    /// one. The UTC time keeps it unique when the journal is lost (an in-memory run has no number
    /// that lasts) and sorts it in time.
    /// </summary>
    public static string NameFor(DateTimeOffset runStart, long? run) =>
        NamePrefix + runStart.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + (run is { } r ? $"-r{r}" : "");

    /// <summary>The description that marks a snapshot as Sundown's, with the words for the operator after it.</summary>
    public static string DescriptionFor(long? run, bool quiesced) =>
        $"{Marker} made by Sundown before stop run {(run is { } r ? r.ToString(CultureInfo.InvariantCulture) : "(unjournaled)")}, "
        + (quiesced ? "quiesced through the guest agent" : "crash-consistent")
        + "; Sundown deletes it when newer ones replace it";

    /// <summary>Whether Sundown made <paramref name="snapshot"/>: its name and its description both carry the marks, and it is disk-only.</summary>
    public static bool IsSundowns(SnapshotInfo snapshot) =>
        snapshot.DiskOnly
        && snapshot.Name.StartsWith(NamePrefix, StringComparison.Ordinal)
        && snapshot.Description is { } d
        && (d == Marker || d.StartsWith(Marker + " ", StringComparison.Ordinal));

    /// <summary>
    /// Sundown's snapshots beyond the newest <paramref name="kept"/>, oldest first (the order they
    /// are deleted in). Never one that is not Sundown's.
    /// </summary>
    public static IReadOnlyList<SnapshotInfo> ToPrune(IEnumerable<SnapshotInfo> snapshots, int kept)
    {
        var ours = snapshots.Where(IsSundowns)
            .OrderByDescending(s => s.CreatedAt)
            .ThenByDescending(s => s.Name, StringComparer.Ordinal)
            .ToList();
        return [.. ours.Skip(Math.Max(kept, 0)).Reverse()];
    }
}
