using System.Globalization;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// One contender's whole-host shutdown as a row of bench/RESULTS.md's "data safety" table:
/// per guest its filesystem's state from outside and the records it lost. Written to
/// artifacts/wholehost/data/RELEASE-CONTENDER.md (the file name of its <see cref="ShutdownRecord"/>),
/// which bench/wholehost.sh gathers beside the fates.
/// </summary>
internal sealed record DataSafetyRecord(ShutdownRecord Shutdown, IReadOnlyList<DiskCheck> Disks)
{
    internal static string ResultsDirectory => Path.Combine(ShutdownRecord.ResultsDirectory, "data");

    internal void Write()
    {
        Directory.CreateDirectory(ResultsDirectory);
        int clean = Disks.Count(d => d.Clean);
        int safe = Disks.Count(Safe);
        long lost = Disks.Sum(d => d.Lost);
        string guests = string.Join(" | ", Disks.Select(d => d.Lost == 0 ? d.State : string.Create(CultureInfo.InvariantCulture, $"{d.State}, {d.Lost} lost")));
        string header = $"| contender | clean filesystems | safe (clean, or saved with its memory) | records lost | {string.Join(" | ", Disks.Select(d => d.Guest))} |";
        string row = string.Create(CultureInfo.InvariantCulture, $"| {Shutdown.Contender} | {clean} of {Disks.Count} | {safe} of {Disks.Count} | {lost} | {guests} |");
        File.WriteAllText(Path.Combine(ResultsDirectory, Shutdown.FileName), header + "\n" + row + "\n");
    }

    /// <summary>
    /// Clean, or saved: a saved guest's filesystem is still mounted, so dirty from outside, and
    /// its memory, which holds the rest, comes back with it (HostShutdownTests checks its disk
    /// again once it is restored and shut down).
    /// </summary>
    private bool Safe(DiskCheck disk) =>
        disk.Lost == 0 && (disk.Clean || Shutdown.Fates.Any(f => f.Guest == disk.Guest && f.Fate == GuestFate.Saved));
}
