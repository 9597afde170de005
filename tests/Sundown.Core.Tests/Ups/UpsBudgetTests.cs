using System.Collections.Immutable;
using Sundown.Core.Ups;

namespace Sundown.Core.Tests.Ups;

/// <summary>The budget a stop gets from the config and the UPS's reading.</summary>
public sealed class UpsBudgetTests
{
    private static readonly UpsConfig s_ups = new(new UpsName("myups", "localhost", 3493), TimeSpan.FromSeconds(60), PowerReturn.Default);

    private static readonly TimeSpan s_fiveMinutes = TimeSpan.FromMinutes(5);

    private static UpsReading Reading(string status, double? runtime) =>
        new([.. status.Split(' ')], runtime is { } r ? TimeSpan.FromSeconds(r) : null, TimeSpan.FromSeconds(120), 80);

    [Fact]
    public void On_line_the_configured_budget_holds_without_a_note()
    {
        var (budget, note) = UpsBudget.Choose(s_fiveMinutes, s_ups, Reading("OL CHRG", 60), null);

        Assert.Equal(s_fiveMinutes, budget);
        Assert.Null(note);
    }

    [Fact]
    public void On_line_without_a_configured_budget_there_is_still_none()
    {
        var (budget, note) = UpsBudget.Choose(null, s_ups, Reading("OL", 600), null);

        Assert.Null(budget);
        Assert.Null(note);
    }

    [Fact]
    public void On_battery_with_more_runtime_than_the_budget_needs_the_configured_budget_holds()
    {
        var (budget, note) = UpsBudget.Choose(s_fiveMinutes, s_ups, Reading("OB DISCHRG", 600), null);

        Assert.Equal(s_fiveMinutes, budget);
        Assert.Contains("on battery with 10m left", note, StringComparison.Ordinal);
        Assert.Contains("the configured budget (5m) fits", note, StringComparison.Ordinal);
    }

    [Fact]
    public void On_battery_with_a_budget_that_fits_exactly_the_configured_one_holds()
    {
        var (budget, _) = UpsBudget.Choose(s_fiveMinutes, s_ups, Reading("OB", 360), null);

        Assert.Equal(s_fiveMinutes, budget);
    }

    [Fact]
    public void On_battery_with_less_runtime_the_budget_is_the_runtime_less_the_margin()
    {
        var (budget, note) = UpsBudget.Choose(s_fiveMinutes, s_ups, Reading("OB DISCHRG", 200), null);

        Assert.Equal(TimeSpan.FromSeconds(140), budget);
        Assert.Contains("on battery with 3m20s left", note, StringComparison.Ordinal);
        Assert.Contains("less the margin (1m), 2m20s", note, StringComparison.Ordinal);
    }

    [Fact]
    public void On_battery_at_low_battery_the_same_rule_holds()
    {
        var (budget, _) = UpsBudget.Choose(s_fiveMinutes, s_ups, Reading("OB LB", 90), null);

        Assert.Equal(TimeSpan.FromSeconds(30), budget);
    }

    [Fact]
    public void On_battery_without_a_configured_budget_the_runtime_less_the_margin_is_the_budget()
    {
        var (budget, note) = UpsBudget.Choose(null, s_ups, Reading("OB", 3600), null);

        Assert.Equal(TimeSpan.FromSeconds(3540), budget);
        Assert.NotNull(note);
    }

    [Theory]
    [InlineData(59.0)]
    [InlineData(60.0)]
    [InlineData(0.0)]
    public void A_runtime_at_or_below_the_margin_is_a_budget_of_zero_never_below(double runtime)
    {
        var (budget, note) = UpsBudget.Choose(s_fiveMinutes, s_ups, Reading("OB", runtime), null);

        Assert.Equal(TimeSpan.Zero, budget);
        Assert.Contains("0s", note, StringComparison.Ordinal);
    }

    [Fact]
    public void On_battery_without_a_runtime_the_configured_budget_holds_and_the_note_says_why()
    {
        var (budget, note) = UpsBudget.Choose(s_fiveMinutes, s_ups, Reading("OB", null), null);

        Assert.Equal(s_fiveMinutes, budget);
        Assert.Contains("reports no battery.runtime", note, StringComparison.Ordinal);
        Assert.Contains("using the configured budget (5m)", note, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_ups_leaves_the_configured_budget_and_the_note_says_why()
    {
        var (budget, note) = UpsBudget.Choose(s_fiveMinutes, s_ups, null, "cannot connect to upsd at localhost:3493: Connection refused");

        Assert.Equal(s_fiveMinutes, budget);
        Assert.Contains("myups@localhost:3493 could not be read (cannot connect to upsd at localhost:3493: Connection refused)", note, StringComparison.Ordinal);
        Assert.Contains("using the configured budget (5m)", note, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_ups_without_a_configured_budget_leaves_no_deadline_and_says_so()
    {
        var (budget, note) = UpsBudget.Choose(null, s_ups, null, null);

        Assert.Null(budget);
        Assert.Contains("no answer", note, StringComparison.Ordinal);
        Assert.Contains("no overall deadline", note, StringComparison.Ordinal);
    }

    [Fact]
    public void The_readings_flags_come_from_its_status_tokens()
    {
        var reading = new UpsReading(ImmutableArray.Create("FSD", "OB", "LB"), null, null, null);

        Assert.True(reading.OnBattery);
        Assert.True(reading.LowBattery);
        Assert.True(reading.ForcedShutdown);
        Assert.False(reading.OnLine);
        Assert.Equal("FSD OB LB", reading.StatusText);
    }
}
