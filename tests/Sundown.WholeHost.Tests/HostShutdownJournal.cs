using System.Globalization;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// The systemd journal of a host's last boot (journalctl -o short-precise), read for when units
/// began and finished stopping. Lines look like
/// <c>Nov 30 04:29:00.440444 host systemd[1]: Stopping sundown.service - Sundown: …</c>.
/// </summary>
internal sealed class HostShutdownJournal(string text)
{
    private readonly string[] _lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    internal string Text => text;

    /// <summary>The first line from systemd (PID 1) that starts with <paramref name="message"/>, and its index.</summary>
    internal (int Index, TimeSpan At)? FindSystemd(string message)
    {
        for (int i = 0; i < _lines.Length; i++)
        {
            int colon = _lines[i].IndexOf("systemd[1]: ", StringComparison.Ordinal);
            if (colon >= 0 && _lines[i].AsSpan(colon + "systemd[1]: ".Length).StartsWith(message, StringComparison.Ordinal))
            {
                return (i, TimeOfDay(_lines[i]));
            }
        }

        return null;
    }

    /// <summary>Like <see cref="FindSystemd"/>, failing the test with the journal when the line is not there.</summary>
    internal (int Index, TimeSpan At) RequireSystemd(string message) =>
        FindSystemd(message) ?? throw new Xunit.Sdk.XunitException($"the host's journal never says '{message}':\n{text}");

    /// <summary>
    /// Asserts that systemd did not time the unit's stop out and that it took less than
    /// <paramref name="timeout"/> (its TimeoutStopSec=); returns how long it took.
    /// </summary>
    internal TimeSpan AssertStoppedWithin(string unit, TimeSpan timeout)
    {
        Assert.Empty(LinesWith($"{unit}: Stopping timed out"));
        var took = StopDuration(unit);
        Assert.True(took < timeout, $"{unit} took {took} to stop, more than its TimeoutStopSec of {timeout}");
        return took;
    }

    /// <summary>From "Stopping UNIT" to "Stopped UNIT": how long systemd waited for the unit's stop.</summary>
    internal TimeSpan StopDuration(string unit)
    {
        var stopping = RequireSystemd($"Stopping {unit}");
        var stopped = RequireSystemd($"Stopped {unit}");
        return Elapsed(stopping.At, stopped.At);
    }

    /// <summary>The first line that mentions <paramref name="text"/> (from any process), its index and time of day.</summary>
    internal (int Index, TimeSpan At)? Find(string text)
    {
        for (int i = 0; i < _lines.Length; i++)
        {
            if (_lines[i].Contains(text, StringComparison.Ordinal))
            {
                return (i, TimeOfDay(_lines[i]));
            }
        }

        return null;
    }

    /// <summary>The indexes of the lines that mention <paramref name="text"/>, in order.</summary>
    internal IReadOnlyList<int> IndexesOf(string text) =>
        [.. Enumerable.Range(0, _lines.Length).Where(i => _lines[i].Contains(text, StringComparison.Ordinal))];

    internal string Line(int index) => _lines[index];

    /// <summary>Lines that mention <paramref name="text"/>.</summary>
    internal IEnumerable<string> LinesWith(string text) => _lines.Where(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>Time from one journal time of day to a later one; a shutdown may cross midnight.</summary>
    internal static TimeSpan Elapsed(TimeSpan from, TimeSpan to) => to >= from ? to - from : to + TimeSpan.FromDays(1) - from;

    private static TimeSpan TimeOfDay(string line)
    {
        // "Nov 30 04:29:00.440444 ...": the third field.
        string[] fields = line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
        return TimeSpan.ParseExact(fields[2], @"hh\:mm\:ss\.ffffff", CultureInfo.InvariantCulture);
    }
}
