using System.Globalization;
using System.Text;

namespace Sundown.Core.Config;

/// <summary>Durations as operators write them: <c>90s</c>, <c>5m</c>, <c>1h30m</c>, <c>500ms</c>.</summary>
public static class Durations
{
    /// <summary>Parses a duration; null with a reason when the text is not one.</summary>
    public static TimeSpan? TryParse(string text, out string? error)
    {
        error = null;
        string s = text.Trim();
        if (s.Length == 0)
        {
            error = "an empty duration";
            return null;
        }

        var total = TimeSpan.Zero;
        int i = 0;
        while (i < s.Length)
        {
            int start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == start)
            {
                error = $"'{text}' is not a duration (expected e.g. 90s, 5m, 1h30m)";
                return null;
            }

            long number = long.Parse(s.AsSpan(start, i - start), CultureInfo.InvariantCulture);
            int unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }

            TimeSpan? unit = s[unitStart..i] switch
            {
                "h" => TimeSpan.FromHours(1),
                "m" => TimeSpan.FromMinutes(1),
                "s" => TimeSpan.FromSeconds(1),
                "ms" => TimeSpan.FromMilliseconds(1),
                _ => null,
            };
            if (unit is null)
            {
                error = $"'{text}' is not a duration: the unit of each number must be h, m, s or ms";
                return null;
            }

            total += unit.Value * number;
        }

        return total;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out string? error) ?? throw new FormatException(error);

    /// <summary>The shortest form that parses back to the same value: <c>1h30m</c>, <c>90s</c> stays <c>1m30s</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new StringBuilder();
        if (duration.TotalHours >= 1)
        {
            text.Append(CultureInfo.InvariantCulture, $"{(long)duration.TotalHours}h");
        }

        if (duration.Minutes > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Minutes}m");
        }

        if (duration.Seconds > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Seconds}s");
        }

        if (duration.Milliseconds > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Milliseconds}ms");
        }

        return text.ToString();
    }
}
