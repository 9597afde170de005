using System.Globalization;
using System.Text.RegularExpressions;
using Sundown.Testing;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// One contender's power cut, as a row of bench/RESULTS.md's "power cut" table: written to
/// artifacts/powercut/CONTENDER.md, which bench/powercut.sh gathers.
/// </summary>
internal sealed partial record PowerCutRecord(string Contender, PowerCut.Result Cut)
{
    internal static string ResultsDirectory => Path.Combine(Repository.Root, "artifacts", "powercut");

    internal string FileName => $"{NotInFileNames().Replace(Contender, "-").Trim('-')}.md";

    internal void Write()
    {
        Directory.CreateDirectory(ResultsDirectory);
        string nut = Cut.NutShutdownBefore is { } before ? before.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) : "never";
        int safe = Cut.Guests.Count(g => g.Safe);
        string header = $"| contender | guests safe at the cut | NUT's shutdown began (s before the cut) | {string.Join(" | ", Cut.Guests.Select(g => g.Guest))} |";
        string row = $"| {Contender} | {safe} of {Cut.Guests.Count} | {nut} | {string.Join(" | ", Cut.Guests.Select(g => g.Describe()))} |";
        File.WriteAllText(Path.Combine(ResultsDirectory, FileName), header + "\n" + row + "\n");
    }

    [GeneratedRegex("[^A-Za-z0-9]+")]
    private static partial Regex NotInFileNames();
}
