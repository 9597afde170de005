namespace Sundown.Core.Ups;

/// <summary>
/// The budget a stop gets from the config and the UPS. Pure: the reading is taken by whoever asks.
/// On battery the stop may take no longer than the battery lasts, less the margin kept for the
/// host's own shutdown; on line, or when the UPS cannot be read, the configured budget holds.
/// </summary>
public static class UpsBudget
{
    /// <param name="configured">The config's budget or <c>--budget</c>; null for no overall deadline.</param>
    /// <param name="reading">The UPS's reading; null when it could not be read (<paramref name="readError"/> says why).</param>
    /// <returns>The budget, and a note for stderr and the journal when the UPS changed it or could not be used (null when on line).</returns>
    public static (TimeSpan? Budget, string? Note) Choose(TimeSpan? configured, UpsConfig ups, UpsReading? reading, string? readError)
    {
        string configuredText = configured is { } c ? $"the configured budget ({Config.Durations.Format(c)})" : "no overall deadline (no budget is configured)";
        if (reading is null)
        {
            return (configured, $"the UPS {ups.Name} could not be read ({readError ?? "no answer"}); using {configuredText}");
        }

        if (!reading.OnBattery)
        {
            return (configured, null);
        }

        if (reading.Runtime is not { } runtime)
        {
            return (configured, $"the UPS {ups.Name} is on battery but reports no battery.runtime; using {configuredText}");
        }

        var left = runtime - ups.Margin;
        if (left < TimeSpan.Zero)
        {
            left = TimeSpan.Zero;
        }

        if (configured is { } conf && conf <= left)
        {
            return (conf, $"the UPS {ups.Name} is on battery with {Config.Durations.Format(runtime)} left; {configuredText} fits in it less the margin ({Config.Durations.Format(ups.Margin)})");
        }

        return (left, $"the UPS {ups.Name} is on battery with {Config.Durations.Format(runtime)} left: the budget is that less the margin ({Config.Durations.Format(ups.Margin)}), {Config.Durations.Format(left)}");
    }
}
