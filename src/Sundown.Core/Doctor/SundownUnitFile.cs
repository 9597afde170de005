using Sundown.Core.Config;

namespace Sundown.Core.Doctor;

/// <summary>What doctor reads out of Sundown's unit file: the binary it runs and the budget its stop passes.</summary>
public static class SundownUnitFile
{
    /// <summary>
    /// The binary a unit written by <c>sundown install</c> or shipped by the package runs: the path
    /// on install's marker line when it names one, else the program of its ExecStop= (or
    /// ExecStart=). Null for a unit without either marker: a hand-written unit may run sundown
    /// through a wrapper, so it is not judged.
    /// </summary>
    public static string? Binary(string unitText, string file)
    {
        string firstLine = unitText.Split('\n', 2)[0].Trim();
        bool packaged = firstLine.StartsWith(SundownUnitFacts.PackageMarker, StringComparison.Ordinal);
        if (!packaged && !firstLine.StartsWith(SundownUnitFacts.Marker, StringComparison.Ordinal))
        {
            return null;
        }

        string? onMarker = packaged ? null : firstLine[SundownUnitFacts.Marker.Length..]
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

    /// <summary>
    /// Whether the unit's stop keeps systemd's stop timer from firing by itself: it passes no
    /// --budget (it reads the config's when it runs) and its ExecStop= may notify
    /// (NotifyAccess=exec or all), so it sends EXTEND_TIMEOUT_USEC= from its start to its plan's
    /// deadline plus its margin, past TimeoutStopSec=. The units of install and of the package do.
    /// </summary>
    public static bool ExtendsItsStop(SystemdUnit unit) =>
        unit.Get("Service", "NotifyAccess")?.Value is "exec" or "all" && StopBudget(unit) is null
        && !Words(unit.Get("Service", "ExecStop")).Any(word => word == "--budget" || word.StartsWith("--budget=", StringComparison.Ordinal));

    /// <summary>Whether the unit is ordered after libvirt-guests.service, so that it is stopped before it at shutdown.</summary>
    public static bool StopsBeforeLibvirtGuests(SystemdUnit unit) =>
        unit.GetAll("Unit", "After").Any(after => after.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(LibvirtGuestsFacts.UnitName));

    private static IEnumerable<string> Words(SystemdSetting? setting) =>
        setting is null ? [] : setting.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(word => word.Trim('"', '\''));
}
