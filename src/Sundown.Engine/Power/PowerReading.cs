using Sundown.Core.Ups;

namespace Sundown.Engine.Power;

/// <summary>The budget a stop gets from the config and the UPS, with what the UPS said (or why it said nothing).</summary>
/// <param name="Budget">The budget to plan with: <see cref="UpsBudget.Choose"/>'s.</param>
/// <param name="Reading">What the UPS said; null when it could not be read (<paramref name="Error"/> says why).</param>
/// <param name="Note">For the operator: why this budget (null on line, where the configured one simply holds).</param>
/// <param name="At">When the reading began: the runtime it reports counts from no earlier than this.</param>
public sealed record PowerReading(UpsConfig Ups, TimeSpan? Budget, UpsReading? Reading, string? Error, string? Note, DateTimeOffset At)
{
    /// <summary>On battery, with the budget cut to the runtime less the margin (it is shorter than the configured one, or there was none).</summary>
    public bool FromRuntime(TimeSpan? configured) =>
        Reading is { OnBattery: true, Runtime: not null } && Budget is { } b && (configured is not { } c || b < c);

    /// <summary>When the battery ends less the margin, by this reading; null on line or without a runtime.</summary>
    public DateTimeOffset? PowerEnds =>
        Reading is { OnBattery: true, Runtime: { } runtime } ? At + Max(runtime - Ups.Margin, TimeSpan.Zero) : null;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
