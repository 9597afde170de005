using Sundown.Core.Config;

namespace Sundown.Core.Doctor;

/// <summary>What doctor reads out of Sundown's unit file: the binary it runs and the budget its stop passes.</summary>
public static class SundownUnitFile
{
    /// <summary>
    /// The binary a unit written by <c>sundown install</c> runs: the path on its marker line when
    /// it names one, else the program of its ExecStop= (or ExecStart=). Null for a unit without
    /// the marker: a hand-written unit may run sundown through a wrapper, so it is not judged.
    /// </summary>
    public static string? Binary(string unitText, string file)
    {
        string firstLine = unitText.Split('\n', 2)[0].Trim();
        if (!firstLine.StartsWith(SundownUnitFacts.Marker, StringComparison.Ordinal))
        {
            return null;
        }

        string? onMarker = firstLine[SundownUnitFacts.Marker.Length..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(word => word.Trim('"', '\'', '(', ')', ',', ';', ':'))
            .FirstOrDefault(word => word.StartsWith('/'));
        if (onMarker is not null)
        {
            return onMarker;
        }

        var unit = SystemdUnit.Parse(unitText, file);
        return Words(unit.Get("Service", "ExecStop") ?? unit.Get("Service", "ExecStart")).FirstOrDefault() is { } program
            ? program.TrimStart('-', '@', '+', '!', ':')
            : null;
    }

    /// <summary>The <c>--budget</c> the unit's ExecStop= passes to <c>sundown stop</c>; null when it passes none (or one that does not parse).</summary>
    public static TimeSpan? StopBudget(SystemdUnit unit)
    {
        var words = Words(unit.Get("Service", "ExecStop")).ToList();
        for (int i = 1; i < words.Count; i++)
        {
            string? value = words[i] == "--budget" && i + 1 < words.Count ? words[i + 1]
                : words[i].StartsWith("--budget=", StringComparison.Ordinal) ? words[i]["--budget=".Length..]
                : null;
            if (value is not null)
            {
                return Durations.TryParse(value, out _);
            }
        }

        return null;
    }

    private static IEnumerable<string> Words(SystemdSetting? setting) =>
        setting is null ? [] : setting.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(word => word.Trim('"', '\''));
}
