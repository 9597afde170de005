using System.Collections.Immutable;
using System.Globalization;
using Sundown.Core.Config;

namespace Sundown.Core.Ups;

/// <summary>
/// What <c>sundown watch</c> decides at each reading of the UPS. Pure, no clock: the loop passes
/// the reading, the time and the plan's worst case, and does what the step says.
/// <para>
/// The stop begins when <c>battery.runtime − margin ≤ worstCase × <see cref="SafetyFactor"/> +
/// two poll intervals</c> in two readings in a row, or when the UPS reports low battery or a
/// forced shutdown, or, on the safe side, when nothing tells how long the guests need (no worst
/// case known) or how long the battery lasts (no <c>battery.runtime</c>).
/// </para>
/// </summary>
public static class WatchTrigger
{
    /// <summary>
    /// The worst case is stretched by a quarter because a UPS's runtime estimate is not a clock:
    /// it falls faster than linearly as the battery empties (the voltage sags, and the UPS's model
    /// of the battery with it) and jumps with the load (guests that shut down draw more for a
    /// while, disks flush). A stop begun at exactly the worst case would end after the battery.
    /// </summary>
    public const double SafetyFactor = 1.25;

    /// <summary>How often the UPS is read.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The battery.runtime at or below which the stop begins: margin + worst case × the factor +
    /// two poll intervals. The runtime must be there in two readings in a row — a UPS recalculates
    /// its runtime when it goes on battery or the load jumps, and one low reading must not destroy
    /// every guest of a host that stays up — and each reading comes a poll interval after the last.
    /// </summary>
    public static TimeSpan TriggerRuntime(TimeSpan worstCase, TimeSpan margin, TimeSpan pollInterval) =>
        margin + (worstCase * SafetyFactor) + (2 * pollInterval);

    /// <param name="worstCase">The plan's worst case with no budget, as last known; null when no host ever answered.</param>
    /// <param name="configuredBudget">The config's budget; the stop's is never longer.</param>
    public static WatchStep Next(
        WatchState state, UpsReading reading, DateTimeOffset now, TimeSpan? worstCase, UpsConfig ups, TimeSpan? configuredBudget, TimeSpan pollInterval)
    {
        var events = ImmutableArray.CreateBuilder<WatchEvent>();
        TimeSpan? triggerAt = worstCase is { } w ? TriggerRuntime(w, ups.Margin, pollInterval) : null;
        bool powerBack = reading.OnLine && !reading.OnBattery;
        WatchStep Step(WatchState next, WatchAction action = WatchAction.None, TimeSpan? budget = null) =>
            new(next, events.ToImmutable(), action, budget, next.Phase == WatchPhase.OnBattery ? triggerAt : null);

        switch (state.Phase)
        {
            case WatchPhase.OnLine or WatchPhase.OnBattery:
                {
                    if (state.Phase == WatchPhase.OnLine && reading.OnBattery)
                    {
                        events.Add(new(WatchSeverity.Warning, $"the UPS {ups.Name} is on battery ({reading.StatusText}), {RuntimeText(reading)} left"));
                    }
                    else if (state.Phase == WatchPhase.OnBattery && powerBack)
                    {
                        events.Add(new(WatchSeverity.Notice, $"the power is back ({reading.StatusText}) before the stop was due: nothing was done"));
                        return Step(WatchState.Initial);
                    }

                    if (Due(reading, worstCase, triggerAt) is not { } due)
                    {
                        return Step(reading.OnBattery ? new WatchState(WatchPhase.OnBattery, null) : state);
                    }

                    var (reason, confirmed) = due;
                    if (!confirmed && !state.AtTrigger)
                    {
                        events.Add(new(WatchSeverity.Info, $"{reason}: the stop begins if the next reading says so too (one reading may be the UPS recalculating)"));
                        return Step(new WatchState(WatchPhase.OnBattery, null) { AtTrigger = true });
                    }

                    var (budget, _) = UpsBudget.Choose(configuredBudget, ups, reading, null);
                    string budgetText = budget is { } b ? Format(b) : "no overall deadline";
                    events.Add(new(WatchSeverity.Critical, $"{reason}: stopping the guests now, with a budget of {budgetText}; the host stays up"));
                    return Step(new WatchState(WatchPhase.Stopping, powerBack ? now : null), WatchAction.Stop, budget);
                }

            case WatchPhase.Stopping:
                return Step(state with { OnLineSince = powerBack ? state.OnLineSince ?? now : null });

            case WatchPhase.Stopped:
                {
                    if (!powerBack)
                    {
                        return Step(state with { OnLineSince = null });
                    }

                    if (ups.OnPowerReturn.Hold is not { } hold)
                    {
                        events.Add(new(WatchSeverity.Notice, "the power is back; on_power_return = \"nothing\": the guests stay off until `sundown start` or the next boot"));
                        return Step(WatchState.Initial);
                    }

                    var since = state.OnLineSince ?? now;
                    events.Add(new(WatchSeverity.Notice, $"the power is back; the guests start again once it has held for {Durations.Format(hold)} ({Clock(since + hold)})"));
                    return Holding(new WatchState(WatchPhase.Holding, since), hold);
                }

            case WatchPhase.Holding:
                {
                    if (!powerBack)
                    {
                        events.Add(new(WatchSeverity.Warning, $"the power is out again ({reading.StatusText}) before it held for {Durations.Format(ups.OnPowerReturn.Hold ?? TimeSpan.Zero)}: the guests stay off, and the hold restarts when it comes back"));
                        return Step(new WatchState(WatchPhase.Stopped, null));
                    }

                    return Holding(state, ups.OnPowerReturn.Hold ?? TimeSpan.Zero);
                }

            default:
                // Starting: the start runs; the next reading after it decides.
                return Step(state);
        }

        WatchStep Holding(WatchState holding, TimeSpan hold)
        {
            if (now - holding.OnLineSince!.Value < hold)
            {
                return Step(holding);
            }

            events.Add(new(WatchSeverity.Notice, $"the power has held for {Durations.Format(hold)}: starting the guests again"));
            return Step(new WatchState(WatchPhase.Starting, holding.OnLineSince), WatchAction.Start);
        }
    }

    /// <summary>The watch's stop ended (whatever its outcome): the guests are as safe as it could make them.</summary>
    public static WatchState StopEnded(WatchState state) => new(WatchPhase.Stopped, state.OnLineSince);

    /// <summary>The start on power return ended: back to following the UPS.</summary>
    public static WatchState StartEnded() => WatchState.Initial;

    /// <summary>
    /// Why the stop is due now, and whether that needs no second reading (what the UPS itself says:
    /// FSD, LB; or nothing to judge by); null when it is not due.
    /// </summary>
    private static (string Reason, bool Confirmed)? Due(UpsReading reading, TimeSpan? worstCase, TimeSpan? triggerAt)
    {
        if (reading.ForcedShutdown)
        {
            return ("the UPS reports a forced shutdown (FSD)", true);
        }

        if (!reading.OnBattery)
        {
            return null;
        }

        if (reading.LowBattery)
        {
            return ("the UPS reports low battery (LB)", true);
        }

        if (reading.Runtime is not { } runtime)
        {
            return ("the UPS is on battery and reports no battery.runtime, so nothing tells how long it lasts: on the safe side", true);
        }

        if (worstCase is null || triggerAt is not { } at)
        {
            return ("the UPS is on battery and no host answered for the plan's worst case: on the safe side", true);
        }

        return runtime <= at
            ? ($"battery.runtime {Format(runtime)} reached the trigger point {Format(at)} (margin + worst case {Format(worstCase.Value)} × {SafetyFactor.ToString(CultureInfo.InvariantCulture)} + two readings)", false)
            : null;
    }

    private static string RuntimeText(UpsReading reading) =>
        reading.Runtime is { } r ? Format(r) : "an unknown runtime";

    /// <summary>A duration to the second: a UPS's runtime is an estimate, and the stop's budget is planned in seconds anyway.</summary>
    private static string Format(TimeSpan span) => Durations.Format(TimeSpan.FromSeconds(Math.Round(span.TotalSeconds)));

    private static string Clock(DateTimeOffset at) => at.UtcDateTime.ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
