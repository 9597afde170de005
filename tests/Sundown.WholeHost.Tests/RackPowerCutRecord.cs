using System.Text.RegularExpressions;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// One contender's rack power cut, as a row of bench/RESULTS.md's rack table: written to
/// artifacts/rackcut/CONTENDER.md, which bench/rackcut.sh gathers.
/// </summary>
internal sealed partial record RackPowerCutRecord(string Contender, RackPowerCut.Result Cut)
{
    internal static string ResultsDirectory => Path.Combine(Sundown.Testing.Repository.Root, "artifacts", "rackcut");

    internal void Write()
    {
        Directory.CreateDirectory(ResultsDirectory);
        string header = $"| contender | guests safe at the cut | {string.Join(" | ", Cut.Hosts.Select(h => h.Name))} | runtime left at the cut | {string.Join(" | ", Cut.Guests.Select(g => g.Guest))} |";
        string row = $"| {Contender} | {Cut.Guests.Count(g => g.Safe)} of {Cut.Guests.Count()} | "
            + string.Join(" | ", Cut.Hosts.Select(h => $"{h.Guests.Count(g => g.Safe)} of {h.Guests.Count} safe, {h.Describe()}"))
            + $" | {Cut.Runtime} s | {string.Join(" | ", Cut.Guests.Select(g => g.Describe()))} |";
        File.WriteAllText(Path.Combine(ResultsDirectory, $"{NotInFileNames().Replace(Contender, "-").Trim('-')}.md"), header + "\n" + row + "\n");
    }

    [GeneratedRegex("[^A-Za-z0-9]+")]
    private static partial Regex NotInFileNames();
}
