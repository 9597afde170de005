using System.Globalization;
using Sundown.Testing;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// One contender's whole-host shutdown, as a row of bench/RESULTS.md's "whole host shutdown" table:
/// written to artifacts/wholehost/CONTENDER.md, which bench/wholehost.sh gathers.
/// </summary>
/// <param name="PowerOff">From `systemctl poweroff` to the host's exit, measured outside it.</param>
/// <param name="UnitStop">How long systemd waited for the contender's unit to stop.</param>
/// <param name="Fates">Each guest's fate, in the fleet's order.</param>
internal sealed record ShutdownRecord(string Contender, TimeSpan PowerOff, TimeSpan UnitStop, IReadOnlyList<(string Guest, GuestFate Fate)> Fates)
{
    internal static string ResultsDirectory => Path.Combine(Repository.Root, "artifacts", "wholehost");

    internal void Write()
    {
        Directory.CreateDirectory(ResultsDirectory);
        string fates = string.Join(" | ", Fates.Select(f => GuestFates.Describe(f.Fate)));
        string row = string.Create(CultureInfo.InvariantCulture, $"| {Contender} | {PowerOff.TotalSeconds:0.0} | {UnitStop.TotalSeconds:0.0} | {fates} |");
        string header = $"| contender | poweroff → off (s) | unit's stop (s) | {string.Join(" | ", Fates.Select(f => f.Guest))} |";
        File.WriteAllText(Path.Combine(ResultsDirectory, $"{Contender}.md"), header + "\n" + row + "\n");
    }
}
