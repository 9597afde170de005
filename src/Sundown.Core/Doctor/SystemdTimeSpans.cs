using System.Globalization;

namespace Sundown.Core.Doctor;

/// <summary>systemd's time spans (systemd.time(7)): <c>90</c> (seconds), <c>5min 30s</c>, <c>1.5h</c>, <c>infinity</c>.</summary>
public static class SystemdTimeSpans
{
    /// <summary>Parses a time span; false when the text is not one.</summary>
    /// <param name="span">The span; null for <c>infinity</c>.</param>
    public static bool TryParse(string text, out TimeSpan? span)
    {
        span = null;
        string s = text.Trim();
        if (s == "infinity")
        {
            return true;
        }

        if (s.Length == 0)
        {
            return false;
        }

        double seconds = 0;
        int i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && s[i] == ' ')
            {
                i++;
            }

            int start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (!double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
            {
                return false;
            }

            while (i < s.Length && s[i] == ' ')
            {
                i++;
            }

            int unitStart = i;
            while (i < s.Length && (char.IsAsciiLetter(s[i]) || s[i] == 'µ'))
            {
                i++;
            }

            double? unit = UnitSeconds(s[unitStart..i]);
            if (unit is null)
            {
                return false;
            }

            seconds += number * unit.Value;
        }

        span = TimeSpan.FromSeconds(seconds);
        return true;
    }

    // systemd.time(7); a bare number is seconds. "m" is minutes and "M" months, as there.
    private static double? UnitSeconds(string unit) => unit switch
    {
        "" or "s" or "sec" or "second" or "seconds" => 1,
        "usec" or "us" or "µs" => 1e-6,
        "msec" or "ms" => 1e-3,
        "m" or "min" or "minute" or "minutes" => 60,
        "h" or "hr" or "hour" or "hours" => 3600,
        "d" or "day" or "days" => 86400,
        "w" or "week" or "weeks" => 7 * 86400,
        "M" or "month" or "months" => 30.44 * 86400,
        "y" or "year" or "years" => 365.25 * 86400,
        _ => null,
    };
}
