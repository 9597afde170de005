using Sundown.Engine.Journaling;
using Sundown.Engine.Stopping;

namespace Sundown.Engine.Tests.Stopping;

/// <summary>New run or continuation, and with what budget: the pure decision.</summary>
public sealed class ContinuationTests
{
    private static readonly DateTimeOffset s_boot = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_began = s_boot.AddHours(2);
    private static readonly TimeSpan s_fiveMinutes = TimeSpan.FromMinutes(5);

    [Fact]
    public void No_unfinished_run_is_a_new_run_with_the_requested_budget()
    {
        var decision = Continuation.Decide(null, null, s_fiveMinutes, s_began, s_boot);

        Assert.Equal(RunDecision.New(s_fiveMinutes), decision);
    }

    [Fact]
    public void The_same_stop_killed_inside_its_budget_window_is_continued_with_the_new_requests_whole_budget()
    {
        var killed = Run(budgetSeconds: 60, only: null);

        // 50 s into a 60 s budget: 10 s were left, but the new stop asked for 5 minutes.
        var decision = Continuation.Decide(killed, null, s_fiveMinutes, s_began.AddSeconds(50), s_boot);

        Assert.True(decision.Continue);
        Assert.Equal(s_fiveMinutes, decision.Budget);
        Assert.Null(decision.Abandoned);
    }

    [Fact]
    public void A_stop_past_its_own_budget_window_is_abandoned_for_a_new_run()
    {
        var killed = Run(budgetSeconds: 60, only: null);

        var decision = Continuation.Decide(killed, null, s_fiveMinutes, s_began.AddSeconds(60), s_boot);

        Assert.False(decision.Continue);
        Assert.Equal(s_fiveMinutes, decision.Budget);
        Assert.Contains("past its own 60s budget", decision.Abandoned, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stop_from_an_earlier_boot_is_abandoned_even_without_a_budget()
    {
        var killed = Run(budgetSeconds: null, only: null) with { StartedAt = s_boot.AddMinutes(-1) };

        var decision = Continuation.Decide(killed, null, null, s_began, s_boot);

        Assert.False(decision.Continue);
        Assert.Contains("earlier boot", decision.Abandoned, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stop_without_a_budget_is_continued_within_the_same_boot()
    {
        var killed = Run(budgetSeconds: null, only: null);

        var decision = Continuation.Decide(killed, null, null, s_began.AddHours(3), s_boot);

        Assert.Equal(RunDecision.Continuing(null), decision);
    }

    [Fact]
    public void An_only_stop_is_never_continued_by_a_whole_host_stop()
    {
        // The user's case: `stop --only X` interrupted, then `stop --budget 5m`.
        var killed = Run(budgetSeconds: 300, only: ["X"]);

        var decision = Continuation.Decide(killed, null, s_fiveMinutes, s_began.AddSeconds(10), s_boot);

        Assert.False(decision.Continue);
        Assert.Equal(s_fiveMinutes, decision.Budget);
        Assert.Contains("was a stop of 'X' only, this one is a whole-host stop", decision.Abandoned, StringComparison.Ordinal);
    }

    [Fact]
    public void A_whole_host_stop_is_never_continued_by_an_only_stop()
    {
        var killed = Run(budgetSeconds: 300, only: null);

        var decision = Continuation.Decide(killed, ["X"], s_fiveMinutes, s_began.AddSeconds(10), s_boot);

        Assert.False(decision.Continue);
        Assert.Contains("was a whole-host stop, this one is a stop of 'X' only", decision.Abandoned, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "a", "b" }, new[] { "b", "a" }, true)]
    [InlineData(new[] { "a", "b" }, new[] { "a" }, false)]
    [InlineData(new[] { "a" }, new[] { "a", "c" }, false)]
    public void An_only_stop_is_continued_only_by_a_stop_of_the_same_names(string[] before, string[] now, bool continued)
    {
        var killed = Run(budgetSeconds: 300, only: before);

        var decision = Continuation.Decide(killed, now, s_fiveMinutes, s_began.AddSeconds(10), s_boot);

        Assert.Equal(continued, decision.Continue);
        Assert.Equal(continued, decision.Abandoned is null);
    }

    private static RunRecord Run(double? budgetSeconds, string[]? only) =>
        new(7, RunKind.Stop, s_began, null, budgetSeconds, null, [], []) { Only = only is null ? null : [.. only.Order(StringComparer.Ordinal)] };
}
