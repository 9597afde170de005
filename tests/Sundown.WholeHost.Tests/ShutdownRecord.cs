using System.Globalization;
using System.Text.RegularExpressions;
using Sundown.Testing;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// One contender's whole-host shutdown, as a row of bench/RESULTS.md's "whole host shutdown" table:
/// written to artifacts/wholehost/RELEASE-CONTENDER.md (e.g. trixie-sundown.md), which
/// bench/wholehost.sh gathers.
/// </summary>
/// <param name="PowerOff">From `systemctl poweroff` to the host's exit, measured outside it.</param>
/// <param name="UnitStop">
/// How long systemd waited for the contender's unit to stop; null for a contender without a unit
/// (libvirt's own auto-shutdown), printed as "—".
/// </param>
/// <param name="Fates">Each guest's fate, in the fleet's order.</param>
/// <param name="Release">The host's Debian release (<see cref="HostRelease"/>).</param>
internal sealed partial record ShutdownRecord(
    string Contender,
    TimeSpan PowerOff,
    TimeSpan? UnitStop,
    IReadOnlyList<(string Guest, GuestFate Fate)> Fates,
    string Release = HostRelease.Bookworm)
{
    internal static string ResultsDirectory => Path.Combine(Repository.Root, "artifacts", "wholehost");

    /// <summary>The file <see cref="Write"/> writes: the release and the contender, in letters, digits and dashes.</summary>
    internal string FileName => $"{Release}-{NotInFileNames().Replace(Contender, "-").Trim('-')}.md";

    internal void Write()
    {
        Directory.CreateDirectory(ResultsDirectory);
        string fates = string.Join(" | ", Fates.Select(f => GuestFates.Describe(f.Fate)));
        string unitStop = UnitStop is { } stop ? stop.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) : "—";
        string row = string.Create(CultureInfo.InvariantCulture, $"| {Contender} | {PowerOff.TotalSeconds:0.0} | {unitStop} | {fates} |");
        string header = $"| contender | poweroff → off (s) | unit's stop (s) | {string.Join(" | ", Fates.Select(f => f.Guest))} |";
        File.WriteAllText(Path.Combine(ResultsDirectory, FileName), header + "\n" + row + "\n");
    }

    [GeneratedRegex("[^A-Za-z0-9]+")]
    private static partial Regex NotInFileNames();
}
