using Sundown.Core.Config;
using Sundown.Engine.Power;

namespace Sundown.Cli.Rendering;

/// <summary>What <c>plan</c> and <c>stop</c> say of the UPS they took the budget from.</summary>
internal static class UpsLines
{
    /// <summary>
    /// The line for stderr: a warning when the UPS could not be read (the configured budget holds),
    /// a notice on battery (the budget is the runtime less the margin, or the configured one fits in
    /// it); nothing on line, where the configured budget simply holds.
    /// </summary>
    internal static string? Stderr(PowerReading power) =>
        power.Reading is null ? $"sundown: warning: {power.Note}"
        : power.Note is { } note ? $"sundown: notice: {note}"
        : null;

    /// <summary>The plan's line: the UPS's status, runtime and margin, and which budget holds.</summary>
    internal static string Plan(PowerReading power, TimeSpan? configured)
    {
        string name = $"UPS {power.Ups.Name}";
        string margin = $"margin {Durations.Format(power.Ups.Margin)}";
        string configuredText = configured is { } c ? $"the configured budget holds ({Durations.Format(c)})" : "no overall deadline (no budget is configured)";
        if (power.Reading is not { } reading)
        {
            return $"{name}: cannot be read ({power.Error}); {configuredText}.";
        }

        string runtime = reading.Runtime is { } r ? $"runtime {Seconds.Format(r)}" : "no runtime";
        string holds = !reading.OnBattery ? $"on line: {configuredText}"
            : power.FromRuntime(configured) ? $"on battery: the budget is the runtime less the margin, {Seconds.Format(power.Budget!.Value)}"
            : reading.Runtime is null ? $"on battery without a runtime: {configuredText}"
            : $"on battery: {configuredText}, within the runtime less the margin";
        return $"{name}: {reading.StatusText}, {runtime}, {margin}; {holds}.";
    }
}
