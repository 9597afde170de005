using Sundown.Core.Config;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;

namespace Sundown.Core.Tests;

public sealed class PlannerTests
{
    private static readonly Estimates s_estimates = new(SaveBytesPerSecond: 100 * 1024 * 1024);

    [Fact]
    public void Tiers_stop_highest_order_first_and_guests_already_off_are_left_alone()
    {
        var plan = Planner.Build(
        [
            Entry("db", order: 10),
            Entry("app", order: 20),
            Entry("web", order: 20),
            Entry("cold", state: GuestState.Shutoff),
        ], budget: null, Limits.Default, s_estimates);

        Assert.Equal([20, 10], plan.Tiers.Select(t => t.Order));
        Assert.Equal(["app", "web"], plan.Tiers[0].Guests.Select(g => g.Guest.Name));
        Assert.Equal("cold", Assert.Single(plan.AlreadyOff).Name);
        // Without a budget each tier waits its full time, one after the other.
        Assert.Equal(TimeSpan.FromMinutes(2), plan.Tiers[1].WorstCaseStart);
        Assert.Null(plan.Tiers[0].Deadline);
    }

    [Fact]
    public void With_room_in_the_budget_timeouts_are_kept_and_each_tier_leaves_room_for_the_next()
    {
        var plan = Planner.Build(
        [
            Entry("db", order: 10, ladder: ["acpi 60s"]),
            Entry("app", order: 20, ladder: ["acpi 30s"]),
        ], budget: TimeSpan.FromMinutes(5), Limits.Default, s_estimates);

        Assert.All(plan.Guests, g => Assert.False(g.AtRisk));
        Assert.Equal(TimeSpan.FromMinutes(5), plan.Tiers[1].Deadline);
        Assert.Equal(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(61), plan.Tiers[0].Deadline);
        Assert.Equal(TimeSpan.FromSeconds(30), plan.Tiers[0].Guests[0].Steps[0].Duration);
    }

    [Fact]
    public void Each_tiers_deadline_leaves_exactly_what_the_tiers_after_it_need_under_the_limits()
    {
        // Shutdowns one at a time, saves two at a time: the needs count the queueing.
        var limits = new Limits(Shutdowns: 1, Saves: 2, Starts: 4);
        var plan = Planner.Build(
        [
            Entry("web-1", order: 30, ladder: ["acpi 20s"]),
            Entry("web-2", order: 30, ladder: ["acpi 40s"]),
            Entry("app-1", order: 20, memoryMiB: 1000, ladder: ["acpi 10s", "save"]),
            Entry("app-2", order: 20, memoryMiB: 1000, ladder: ["acpi 10s", "save"]),
            Entry("app-3", order: 20, memoryMiB: 1000, ladder: ["acpi 10s", "save"]),
            Entry("db", order: 10, ladder: ["acpi 60s"]),
        ], budget: TimeSpan.FromMinutes(10), limits, s_estimates);

        // db needs 60 + 1 s; the apps 3 × 10 s of acpi, 2 rounds of 11 s saves, + 1 s = 53 s.
        Assert.Equal([30, 20, 10], plan.Tiers.Select(t => t.Order));
        Assert.Equal(
            [TimeSpan.FromSeconds(600 - 53 - 61), TimeSpan.FromSeconds(600 - 61), TimeSpan.FromSeconds(600)],
            plan.Tiers.Select(t => t.Deadline!.Value));
        Assert.Equal(TimeSpan.FromSeconds(22), plan.Tiers[1].SaveReserve);
        Assert.All(plan.Guests, g => Assert.False(g.AtRisk));
    }

    [Fact]
    public void A_short_budget_shrinks_graceful_steps_marks_guests_at_risk_and_still_ends_in_time()
    {
        var budget = TimeSpan.FromSeconds(60);
        var plan = Planner.Build(
        [
            Entry("db", order: 10, ladder: ["acpi 5m"]),
            Entry("app", order: 20, ladder: ["agent 1m", "acpi 2m"]),
        ], budget, Limits.Default, s_estimates);

        Assert.All(plan.Guests, g => Assert.True(g.AtRisk));
        Assert.True(plan.WorstCaseEnd <= budget, $"{plan.WorstCaseEnd} > {budget}");
        Assert.All(plan.Guests, g => Assert.Equal(StepKind.Destroy, g.Steps[^1].Kind));
        var app = plan.Tiers[0].Guests[0];
        Assert.True(app.Steps[0].Duration < TimeSpan.FromMinutes(1));
        Assert.Contains(app.Notes, note => note.Contains("shrinks", StringComparison.Ordinal));
    }

    [Fact]
    public void A_save_needs_time_for_the_guests_memory_before_the_deadline()
    {
        var plan = Planner.Build([Entry("big", memoryMiB: 2048, ladder: ["acpi 30s", "save"])], TimeSpan.FromMinutes(2), Limits.Default, s_estimates);

        var steps = plan.Tiers[0].Guests[0].Steps;
        Assert.Equal([StepKind.Acpi, StepKind.Save, StepKind.Destroy], steps.Select(s => s.Kind));
        // 2 GiB at 100 MiB/s plus a second of overhead.
        Assert.Equal(TimeSpan.FromSeconds(21.48), steps[1].Duration);
        Assert.Equal(TimeSpan.FromSeconds(30), steps[1].WorstCaseStart);
    }

    [Fact]
    public void When_saves_cannot_fit_they_are_dropped_and_the_guest_is_at_risk()
    {
        var plan = Planner.Build([Entry("huge", memoryMiB: 64 * 1024, ladder: ["save"])], TimeSpan.FromSeconds(30), Limits.Default, s_estimates);

        var guest = plan.Tiers[0].Guests[0];
        Assert.Equal([StepKind.Destroy], guest.Steps.Select(s => s.Kind));
        Assert.True(guest.AtRisk);
    }

    [Fact]
    public void Transient_guests_skip_save_and_say_so()
    {
        var plan = Planner.Build([Entry("scratch", persistent: false, ladder: ["save", "acpi 1m"])], null, Limits.Default, s_estimates);

        var guest = plan.Tiers[0].Guests[0];
        Assert.Equal([StepKind.Acpi, StepKind.Destroy], guest.Steps.Select(s => s.Kind));
        Assert.Contains(guest.Notes, note => note.StartsWith("transient", StringComparison.Ordinal));
    }

    [Fact]
    public void A_paused_guest_is_saved_as_it_is_where_its_ladder_allows_else_resumed_first()
    {
        var plan = Planner.Build(
        [
            Entry("saveable", state: GuestState.Paused, ladder: ["acpi 1m", "save"]),
            Entry("not saveable", state: GuestState.Paused, ladder: ["acpi 1m"]),
            Entry("sleeping", state: GuestState.PmSuspended, ladder: ["acpi 1m"]),
        ], null, Limits.Default, s_estimates);

        var byName = plan.Guests.ToDictionary(g => g.Guest.Name, g => g.Steps.Select(s => s.Kind).ToArray());
        Assert.Equal([StepKind.Save, StepKind.Destroy], byName["saveable"]);
        Assert.Equal([StepKind.Resume, StepKind.Acpi, StepKind.Destroy], byName["not saveable"]);
        Assert.Equal([StepKind.Wakeup, StepKind.Acpi, StepKind.Destroy], byName["sleeping"]);
    }

    [Fact]
    public void A_save_after_acpi_is_allowed_but_the_plan_warns_about_it()
    {
        var plan = Planner.Build([Entry("w", ladder: ["acpi 1m", "save"])], null, Limits.Default, s_estimates);

        Assert.Contains(plan.Guests.Single().Notes, note => note.Contains("mid-shutdown", StringComparison.Ordinal));
    }

    [Fact]
    public void Schedule_gives_back_the_full_timeouts_when_the_tier_starts_early()
    {
        var plan = Planner.Build(
        [
            Entry("db", order: 10, ladder: ["acpi 60s"]),
            Entry("app", order: 20, ladder: ["acpi 60s"]),
        ], TimeSpan.FromSeconds(62), Limits.Default, s_estimates);
        var dbTier = plan.Tiers[1];

        var planned = Planner.Schedule(dbTier.Guests[0], dbTier, dbTier.WorstCaseStart);
        var early = Planner.Schedule(dbTier.Guests[0], dbTier, TimeSpan.FromSeconds(2));

        Assert.Equal(TimeSpan.FromSeconds(31), planned[0].Wait);
        Assert.Equal(TimeSpan.FromSeconds(59), early[0].Wait);
        Assert.Equal(TimeSpan.FromSeconds(61), early[0].EndBy);
    }

    [Fact]
    public void Random_fleets_never_plan_past_the_budget()
    {
        var random = new Random(20261125);
        for (int run = 0; run < 500; run++)
        {
            var guests = Enumerable.Range(0, random.Next(1, 30)).Select(i => Entry(
                $"g{i}",
                order: random.Next(0, 4) * 10,
                memoryMiB: random.Next(1, 64) * 256,
                state: random.Next(5) == 0 ? GuestState.Paused : GuestState.Running,
                persistent: random.Next(6) != 0,
                ladder: random.Next(3) switch
                {
                    0 => ["acpi 2m"],
                    1 => ["acpi 30s", "save"],
                    _ => ["save", "agent 1m", "acpi 3m"],
                })).ToList();
            var budget = TimeSpan.FromSeconds(random.Next(5, 900));
            var limits = new Limits(random.Next(0, 4), random.Next(0, 5), 4);

            var plan = Planner.Build(guests, budget, limits, s_estimates);

            Assert.True(plan.WorstCaseEnd <= budget, $"run {run}: ends {plan.WorstCaseEnd} > {budget}");
            Assert.All(plan.Tiers, tier => Assert.True(tier.Deadline <= budget));
            Assert.Equal(plan.Tiers.Select(t => t.Deadline), plan.Tiers.Select(t => t.Deadline).Order());
            Assert.Equal(guests.Count, plan.Guests.Count());
            Assert.All(plan.Guests, g => Assert.Equal(StepKind.Destroy, g.Steps[^1].Kind));
            Assert.All(plan.Guests, g => Assert.True(g.Steps[^1].WorstCaseStart <= budget - Estimates.DestroyAllowance || plan.Tiers.Length * Estimates.DestroyAllowance > budget));
        }
    }

    [Fact]
    public void A_budget_too_short_for_the_save_but_roomy_for_the_shutdown_never_grows_a_timeout()
    {
        var plan = Planner.Build([Entry("huge", memoryMiB: 64 * 1024, ladder: ["acpi 30s", "save"])], TimeSpan.FromSeconds(170), Limits.Default, s_estimates);

        var guest = plan.Guests.Single();
        Assert.DoesNotContain(guest.Steps, s => s.Kind == StepKind.Save);
        Assert.Equal(TimeSpan.FromSeconds(30), guest.Steps.Single(s => s.Kind == StepKind.Acpi).Duration);
    }

    [Fact]
    public void Schedules_agree_with_the_plan_on_what_start_by_end_by_and_wait_mean_for_every_kind_of_step()
    {
        var random = new Random(20261201);
        var one = TimeSpan.FromMilliseconds(1);
        for (int run = 0; run < 300; run++)
        {
            var guests = Enumerable.Range(0, random.Next(1, 12)).Select(i => Entry(
                $"g{i}",
                order: random.Next(0, 3) * 10,
                memoryMiB: random.Next(1, 32) * 256,
                state: random.Next(4) switch { 0 => GuestState.Paused, 1 => GuestState.PmSuspended, _ => GuestState.Running },
                ladder: random.Next(4) switch
                {
                    0 => ["acpi 2m"],
                    1 => ["acpi 30s", "save"],
                    2 => ["agent 20s", "acpi 40s", "destroy"],
                    _ => ["save", "agent 1m", "acpi 3m"],
                })).ToList();
            TimeSpan? budget = random.Next(5) == 0 ? null : TimeSpan.FromSeconds(random.Next(3, 600));
            var limits = new Limits(random.Next(0, 3), random.Next(0, 3), 4);
            var plan = Planner.Build(guests, budget, limits, s_estimates);

            foreach (var tier in plan.Tiers)
            {
                foreach (var guest in tier.Guests)
                {
                    // On time (the worst case the plan laid out), and early (the tiers before finished quickly).
                    foreach (var tierStart in new[] { tier.WorstCaseStart, tier.WorstCaseStart * random.NextDouble() })
                    {
                        string context = $"run {run}, {guest.Guest.Name}, budget {budget}, tier {tier.Order} from {tierStart}";
                        var schedule = Planner.Schedule(guest, tier, tierStart);
                        Assert.Equal(guest.Steps.Select(s => s.Kind), schedule.Select(s => s.Kind));
                        TimeSpan? latestOff = tier.Deadline - Estimates.DestroyAllowance;
                        var gracefulEnd = schedule.FirstOrDefault(s => s.Kind.IsGraceful())?.EndBy;
                        var waits = tierStart;
                        for (int i = 0; i < schedule.Length; i++)
                        {
                            var (step, plannedStep) = (schedule[i], guest.Steps[i]);
                            Assert.True(step.StartBy is null || step.EndBy is null || step.StartBy <= step.EndBy, context);
                            Assert.Equal(budget is null, step.EndBy is null);
                            switch (step.Kind)
                            {
                                case StepKind.Agent or StepKind.Acpi:
                                    // Held to one graceful end, which leaves the save's reserve and the destroy's allowance.
                                    Assert.Equal(step.EndBy, step.StartBy);
                                    Assert.Equal(gracefulEnd, step.EndBy);
                                    Assert.True(step.EndBy is null || step.EndBy <= latestOff - (guest.Steps.Any(s => s.Kind == StepKind.Save) ? tier.SaveReserve : TimeSpan.Zero), context);
                                    Assert.True(step.Wait <= plannedStep.Requested + one, context);
                                    // Never less than the plan gave it, however late (within the plan) the tier starts.
                                    Assert.True(step.Wait >= plannedStep.Duration - one, $"{context}: {step.Kind} waits {step.Wait} < planned {plannedStep.Duration}");
                                    waits += step.Wait;
                                    break;
                                case StepKind.Save:
                                    Assert.Equal(plannedStep.Requested, step.Wait);
                                    Assert.Equal(latestOff, step.EndBy);
                                    Assert.Equal(step.EndBy - step.Wait, step.StartBy);
                                    break;
                                case StepKind.Destroy:
                                    Assert.Null(step.StartBy);
                                    Assert.Equal(Estimates.DestroyAllowance + Estimates.DestroyGrace, step.Wait);
                                    Assert.Equal(tier.Deadline + Estimates.DestroyGrace, step.EndBy);
                                    // The plan begins it at the latest with the allowance still before the deadline.
                                    Assert.True(latestOff is null || plannedStep.WorstCaseStart <= Max(latestOff.Value, tier.WorstCaseStart), context);
                                    break;
                                default:
                                    Assert.Equal(Estimates.CallWait, step.Wait);
                                    Assert.Equal(gracefulEnd ?? latestOff - (guest.Steps.Any(s => s.Kind == StepKind.Save) ? tier.SaveReserve : TimeSpan.Zero), step.EndBy);
                                    break;
                            }
                        }

                        // The graceful waits, one after the other, fit before the graceful end.
                        Assert.True(gracefulEnd is null || waits <= Max(gracefulEnd.Value, tierStart) + one, $"{context}: waits end {waits} > {gracefulEnd}");
                    }
                }
            }
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static (Guest, GuestPolicy) Entry(
        string name,
        int order = 0,
        GuestState state = GuestState.Running,
        bool persistent = true,
        int memoryMiB = 1024,
        string[]? ladder = null)
    {
        var guest = new Guest("test:///default", name, Guid.NewGuid().ToString(), state, 1, persistent, false, false, (ulong)memoryMiB * 1024, 1, null, true, false, null);
        var policy = GuestPolicy.Default with { Order = order, Stop = ladder is null ? StopLadder.Default : StopLadder.Create(ladder) };
        return (guest, policy);
    }
}
