using Sundown.Core.Ups;

namespace Sundown.Core.Tests.Ups;

/// <summary>The watch's decision at each reading: when the stop begins, and what the power's return does.</summary>
public sealed class WatchTriggerTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan s_poll = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_worstCase = TimeSpan.FromSeconds(40);
    private static readonly UpsConfig s_ups = new(new UpsName("sundown", "127.0.0.1", 3493), TimeSpan.FromSeconds(60), PowerReturn.Default);

    // margin 60 + worst case 40 × 1.25 + two readings 2 × 2 = 114 s.
    private static readonly TimeSpan s_trigger = TimeSpan.FromSeconds(114);

    private static UpsReading Reading(string status, double? runtime = null) =>
        new([.. status.Split(' ')], runtime is { } r ? TimeSpan.FromSeconds(r) : null, TimeSpan.FromSeconds(30), 50);

    private static WatchStep Next(WatchState state, UpsReading reading, TimeSpan? worstCase = null, UpsConfig? ups = null, DateTimeOffset? at = null, TimeSpan? budget = null) =>
        WatchTrigger.Next(state, reading, at ?? s_now, worstCase, ups ?? s_ups, budget, s_poll);

    private static WatchState Phase(WatchPhase phase, DateTimeOffset? since = null) => new(phase, since);

    [Fact]
    public void The_trigger_point_is_the_margin_plus_the_worst_case_with_a_quarter_more_plus_two_readings() =>
        Assert.Equal(s_trigger, WatchTrigger.TriggerRuntime(s_worstCase, s_ups.Margin, s_poll));

    [Fact]
    public void On_line_nothing_happens()
    {
        var step = Next(WatchState.Initial, Reading("OL CHRG", 600), s_worstCase);

        Assert.Equal(WatchPhase.OnLine, step.State.Phase);
        Assert.Equal(WatchAction.None, step.Action);
        Assert.Empty(step.Events);
        Assert.Null(step.TriggerRuntime);
    }

    [Fact]
    public void Going_on_battery_above_the_trigger_is_a_warning_and_no_step()
    {
        var step = Next(WatchState.Initial, Reading("OB DISCHRG", 600), s_worstCase);

        Assert.Equal(WatchPhase.OnBattery, step.State.Phase);
        Assert.Equal(WatchAction.None, step.Action);
        var e = Assert.Single(step.Events);
        Assert.Equal(WatchSeverity.Warning, e.Severity);
        Assert.Contains("on battery", e.Message, StringComparison.Ordinal);
        Assert.Equal(s_trigger, step.TriggerRuntime);
    }

    private static WatchState AtTrigger => new(WatchPhase.OnBattery, null) { AtTrigger = true };

    [Fact]
    public void On_battery_just_above_the_trigger_waits_and_at_it_stops_with_runtime_less_margin_once_two_readings_say_so()
    {
        var above = Next(Phase(WatchPhase.OnBattery), Reading("OB", s_trigger.TotalSeconds + 1), s_worstCase);
        var first = Next(Phase(WatchPhase.OnBattery), Reading("OB", s_trigger.TotalSeconds), s_worstCase);
        var at = Next(first.State, Reading("OB", s_trigger.TotalSeconds), s_worstCase);

        Assert.Equal(WatchAction.None, above.Action);
        Assert.Empty(above.Events);
        Assert.Equal(WatchAction.None, first.Action);
        Assert.True(first.State.AtTrigger);
        Assert.Equal(WatchSeverity.Info, Assert.Single(first.Events).Severity);
        Assert.Equal(WatchAction.Stop, at.Action);
        Assert.Equal(WatchPhase.Stopping, at.State.Phase);
        Assert.Equal(s_trigger - s_ups.Margin, at.Budget);
        var e = Assert.Single(at.Events);
        Assert.Equal(WatchSeverity.Critical, e.Severity);
        Assert.Contains("trigger point", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_reading_at_the_trigger_then_one_above_it_takes_no_step()
    {
        var low = Next(Phase(WatchPhase.OnBattery), Reading("OB", 0), s_worstCase);
        var recalculated = Next(low.State, Reading("OB", 600), s_worstCase);
        var lowAgain = Next(recalculated.State, Reading("OB", 0), s_worstCase);

        Assert.Equal(WatchAction.None, low.Action);
        Assert.Equal(WatchAction.None, recalculated.Action);
        Assert.False(recalculated.State.AtTrigger);
        Assert.Equal(WatchAction.None, lowAgain.Action);
    }

    [Fact]
    public void The_stops_budget_is_never_longer_than_the_configured_one()
    {
        var step = Next(AtTrigger, Reading("OB", 100), s_worstCase, budget: TimeSpan.FromSeconds(20));

        Assert.Equal(WatchAction.Stop, step.Action);
        Assert.Equal(TimeSpan.FromSeconds(20), step.Budget);
    }

    [Fact]
    public void Going_on_battery_already_below_the_trigger_stops_at_the_second_reading()
    {
        var first = Next(WatchState.Initial, Reading("OB", 92), s_worstCase);
        var step = Next(first.State, Reading("OB", 90), s_worstCase);

        Assert.Equal(WatchAction.None, first.Action);
        Assert.Equal([WatchSeverity.Warning, WatchSeverity.Info], first.Events.Select(e => e.Severity));
        Assert.Equal(WatchAction.Stop, step.Action);
        Assert.Equal([WatchSeverity.Critical], step.Events.Select(e => e.Severity));
        Assert.Equal(TimeSpan.FromSeconds(30), step.Budget);
    }

    [Fact]
    public void Low_battery_stops_whatever_the_runtime_says()
    {
        var step = Next(Phase(WatchPhase.OnBattery), Reading("OB LB", 3000), s_worstCase);

        Assert.Equal(WatchAction.Stop, step.Action);
        Assert.Contains("low battery", step.Events.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forced_shutdown_stops_even_on_line()
    {
        var step = Next(WatchState.Initial, Reading("FSD OL", 3000), s_worstCase);

        Assert.Equal(WatchAction.Stop, step.Action);
        Assert.Contains("FSD", step.Events.Single().Message, StringComparison.Ordinal);
        // On line the budget is the configured one: none here.
        Assert.Null(step.Budget);
    }

    [Fact]
    public void Low_battery_while_on_line_and_charging_is_no_trigger()
    {
        var step = Next(WatchState.Initial, Reading("OL CHRG LB", 20), s_worstCase);

        Assert.Equal(WatchAction.None, step.Action);
    }

    [Fact]
    public void On_battery_with_no_worst_case_known_stops_at_once()
    {
        var step = Next(WatchState.Initial, Reading("OB", 3000), worstCase: null);

        Assert.Equal(WatchAction.Stop, step.Action);
        Assert.Contains("no host answered", step.Events[^1].Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(2940), step.Budget);
    }

    [Fact]
    public void On_battery_with_no_runtime_reported_stops_at_once_with_the_configured_budget()
    {
        var step = Next(Phase(WatchPhase.OnBattery), Reading("OB", runtime: null), s_worstCase, budget: TimeSpan.FromMinutes(5));

        Assert.Equal(WatchAction.Stop, step.Action);
        Assert.Contains("no battery.runtime", step.Events.Single().Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMinutes(5), step.Budget);
    }

    [Fact]
    public void Power_back_before_the_trigger_is_a_notice_and_nothing_else()
    {
        var step = Next(Phase(WatchPhase.OnBattery), Reading("OL CHRG", 500), s_worstCase);

        Assert.Equal(WatchState.Initial, step.State);
        Assert.Equal(WatchAction.None, step.Action);
        var e = Assert.Single(step.Events);
        Assert.Equal(WatchSeverity.Notice, e.Severity);
        Assert.Contains("nothing was done", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Power_back_while_stopping_is_remembered_and_the_stop_goes_on()
    {
        var step = Next(Phase(WatchPhase.Stopping), Reading("OL"), s_worstCase);
        var lostAgain = Next(step.State, Reading("OB", 50), s_worstCase, at: s_now + TimeSpan.FromSeconds(4));

        Assert.Equal(Phase(WatchPhase.Stopping, s_now), step.State);
        Assert.Equal(WatchAction.None, step.Action);
        Assert.Equal(Phase(WatchPhase.Stopping), lostAgain.State);
        Assert.Equal(WatchAction.None, lostAgain.Action);
    }

    [Fact]
    public void After_the_stop_power_back_begins_the_hold_and_the_start_comes_once_it_held()
    {
        var back = Next(WatchTrigger.StopEnded(Phase(WatchPhase.Stopping)), Reading("OL"));
        var during = Next(back.State, Reading("OL"), at: s_now + TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        var held = Next(during.State, Reading("OL"), at: s_now + TimeSpan.FromMinutes(5));

        Assert.Equal(Phase(WatchPhase.Holding, s_now), back.State);
        Assert.Equal(WatchSeverity.Notice, back.Events.Single().Severity);
        Assert.Equal(WatchAction.None, during.Action);
        Assert.Equal(WatchAction.Start, held.Action);
        Assert.Equal(WatchPhase.Starting, held.State.Phase);
        Assert.Equal(WatchState.Initial, WatchTrigger.StartEnded());
    }

    [Fact]
    public void Power_back_during_the_stop_counts_toward_the_hold()
    {
        var ended = WatchTrigger.StopEnded(Phase(WatchPhase.Stopping, s_now));

        var step = Next(ended, Reading("OL"), at: s_now + TimeSpan.FromMinutes(6));

        Assert.Equal(WatchAction.Start, step.Action);
    }

    [Fact]
    public void Power_lost_again_while_holding_restarts_the_hold()
    {
        var holding = Phase(WatchPhase.Holding, s_now);

        var lost = Next(holding, Reading("OB", 400), at: s_now + TimeSpan.FromMinutes(4));
        var back = Next(lost.State, Reading("OL"), at: s_now + TimeSpan.FromMinutes(5));
        var notYet = Next(back.State, Reading("OL"), at: s_now + TimeSpan.FromMinutes(9));
        var held = Next(notYet.State, Reading("OL"), at: s_now + TimeSpan.FromMinutes(10));

        Assert.Equal(Phase(WatchPhase.Stopped), lost.State);
        Assert.Equal(WatchSeverity.Warning, lost.Events.Single().Severity);
        Assert.Contains("hold restarts", lost.Events.Single().Message, StringComparison.Ordinal);
        Assert.Equal(WatchAction.None, lost.Action);
        Assert.Equal(Phase(WatchPhase.Holding, s_now + TimeSpan.FromMinutes(5)), back.State);
        Assert.Equal(WatchAction.None, notYet.Action);
        Assert.Equal(WatchAction.Start, held.Action);
    }

    [Fact]
    public void With_on_power_return_nothing_the_guests_stay_off_and_watch_follows_the_ups_again()
    {
        var ups = s_ups with { OnPowerReturn = PowerReturn.Nothing };

        var step = Next(Phase(WatchPhase.Stopped), Reading("OL"), ups: ups);

        Assert.Equal(WatchState.Initial, step.State);
        Assert.Equal(WatchAction.None, step.Action);
        var e = Assert.Single(step.Events);
        Assert.Equal(WatchSeverity.Notice, e.Severity);
        Assert.Contains("stay off until `sundown start`", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stopped_and_still_on_battery_does_nothing_more()
    {
        var step = Next(Phase(WatchPhase.Stopped), Reading("OB LB", 10), s_worstCase);

        Assert.Equal(Phase(WatchPhase.Stopped), step.State);
        Assert.Equal(WatchAction.None, step.Action);
        Assert.Empty(step.Events);
    }

    [Fact]
    public void While_starting_a_reading_changes_nothing()
    {
        var starting = Phase(WatchPhase.Starting, s_now);

        var step = Next(starting, Reading("OB", 10), s_worstCase);

        Assert.Equal(starting, step.State);
        Assert.Equal(WatchAction.None, step.Action);
    }

    [Theory]
    [InlineData(WatchPhase.OnLine, "on-line")]
    [InlineData(WatchPhase.OnBattery, "on-battery")]
    [InlineData(WatchPhase.Stopping, "stopping")]
    [InlineData(WatchPhase.Stopped, "stopped")]
    [InlineData(WatchPhase.Holding, "holding")]
    [InlineData(WatchPhase.Starting, "starting")]
    public void Phases_have_words_that_read_back(WatchPhase phase, string word)
    {
        Assert.Equal(word, phase.ToWord());
        Assert.Equal(phase, WatchPhases.FromWord(word));
    }

    [Fact]
    public void Events_are_immutable_arrays_even_when_empty() =>
        Assert.False(Next(WatchState.Initial, Reading("OL")).Events.IsDefault);
}
