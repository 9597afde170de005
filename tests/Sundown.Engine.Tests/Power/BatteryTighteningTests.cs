using Microsoft.Extensions.Time.Testing;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Core.Ups;
using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;
using Sundown.Engine.Power;
using Sundown.Engine.Reports;
using Sundown.Engine.Tests.Execution;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Power;

/// <summary>
/// A stop on battery, on the simulated host and a simulated UPS with virtual time: the budget is
/// read from the UPS before planning (<see cref="PowerBudget"/>), the UPS is read again every few
/// seconds while stopping (<see cref="BatteryFollower"/>), and the executor tightens the rest of
/// the plan when the battery ends before the plan's deadline (<see cref="StopExecutor.Tighten"/>).
/// </summary>
[Collection(nameof(AloneCollection))]
public sealed class BatteryTighteningTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromHours(1);
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 23, 0, 0, TimeSpan.Zero));
    private readonly MemoryRecorder _recorder = new();
    private readonly List<string> _unreadable = [];

    [Fact(Timeout = 60_000)]
    public async Task A_runtime_that_falls_mid_stop_destroys_a_deaf_guest_before_the_new_end_and_long_before_the_first_plan_would()
    {
        var host = new SimulatedHost(_time) { DestroyTime = TimeSpan.FromSeconds(0.5) };
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        var polite = host.Add("polite", new(AcpiDelay: TimeSpan.FromSeconds(4)));
        var ups = new SimulatedUps(_time);
        ups.Set("OB DISCHRG", TimeSpan.FromMinutes(5));
        var budget = await ChooseAsync(ups, configured: TimeSpan.FromMinutes(10));
        var plan = Plan(host, ["acpi 60s", "destroy"], budget.Budget);
        // The battery turns out weaker: 40 s left from 7 s on, so the power ends at about 7 + 40 − 30 = 17 s.
        At(TimeSpan.FromSeconds(7), () => ups.Set("OB DISCHRG", TimeSpan.FromSeconds(40)));

        var (report, executor, start) = await StopAsync(host, ups, plan);

        Assert.Equal(TimeSpan.FromMinutes(5) - s_margin, budget.Budget);
        Assert.True(budget.FromRuntime(TimeSpan.FromMinutes(10)));
        var newEnd = executor.Budget!.Value;
        // Read at the first reading after the change (10 s): 10 + 40 − 30 = 20 s.
        Assert.InRange(newEnd.TotalSeconds, 19.9, 20.1);
        Assert.Equal("destroyed", report.Single(g => g.Uuid == deaf.Uuid).Outcome);
        Assert.Equal("shutdown", report.Single(g => g.Uuid == polite.Uuid).Outcome);
        var deafOff = host[deaf.Uuid].OffAt!.Value - start;
        Assert.True(deafOff <= newEnd + VirtualClock.Tick, $"the deaf guest was off at {deafOff}, after the power's end at {newEnd}");
        // The first plan would have waited out its 60 s of ACPI.
        Assert.True(deafOff < TimeSpan.FromSeconds(30), $"off at {deafOff}");
        Assert.Empty(_unreadable);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_destroy_in_flight_is_not_given_up_when_a_tightening_moves_its_end_past()
    {
        // A destroy that takes 12 s (a QEMU flushing a big disk), begun at 10 s when the ACPI wait ends.
        var host = new SimulatedHost(_time);
        var deaf = host.Add("deaf", new(AcpiDelay: null, DestroyTime: TimeSpan.FromSeconds(12)));
        var ups = new SimulatedUps(_time);
        ups.Set("OB DISCHRG", TimeSpan.FromMinutes(5));
        var budget = await ChooseAsync(ups, configured: TimeSpan.FromMinutes(10));
        var plan = Plan(host, ["acpi 10s", "destroy"], budget.Budget);
        // At 12 s the battery says it is down to the margin: the power ends at the reading of 15 s,
        // and the destroy's end would be 15 + 5 s of grace, before the destroy is done at 22 s.
        At(TimeSpan.FromSeconds(12), () => ups.Set("OB DISCHRG", s_margin));

        var (report, executor, _) = await StopAsync(host, ups, plan);

        Assert.InRange(executor.Budget!.Value.TotalSeconds, 14.9, 15.1);
        var guest = report.Single(g => g.Uuid == deaf.Uuid);
        Assert.Equal("destroyed", guest.Outcome);
        Assert.Equal("ok", guest.Steps.Single(step => step.Action == "destroy").Result);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_save_that_no_longer_fits_the_tightened_end_is_skipped_and_the_guest_destroyed_in_time()
    {
        var host = new SimulatedHost(_time) { DestroyTime = TimeSpan.FromSeconds(0.5) };
        // 1 GiB: its save is estimated at 11.2 s, more than is left once the power ends at 20 s.
        var deaf = host.Add("deaf", new(AcpiDelay: null, SaveTime: TimeSpan.FromSeconds(3)), memoryKiB: 1024 * 1024);
        var ups = new SimulatedUps(_time);
        ups.Set("OB", TimeSpan.FromMinutes(5));
        var budget = await ChooseAsync(ups, configured: null);
        var plan = Plan(host, ["acpi 90s", "save", "destroy"], budget.Budget);
        At(TimeSpan.FromSeconds(7), () => ups.Set("OB", TimeSpan.FromSeconds(40)));

        var (report, executor, start) = await StopAsync(host, ups, plan);

        var steps = _recorder.StepsOf(deaf.Uuid);
        Assert.Equal(["acpi", "save", "destroy"], steps.Select(s => s.Action));
        Assert.Equal(StepResult.Skipped, steps[1].Result);
        Assert.Equal("destroyed", report.Single(g => g.Uuid == deaf.Uuid).Outcome);
        Assert.True(host[deaf.Uuid].OffAt!.Value - start <= executor.Budget!.Value + VirtualClock.Tick);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_save_that_still_fits_is_begun_earlier_than_first_planned()
    {
        var host = new SimulatedHost(_time) { DestroyTime = TimeSpan.FromSeconds(0.5) };
        // 100 MiB: its save is estimated at 2 s, and takes 1 s.
        var deaf = host.Add("deaf", new(AcpiDelay: null, SaveTime: TimeSpan.FromSeconds(1)), memoryKiB: 100 * 1024);
        var ups = new SimulatedUps(_time);
        ups.Set("OB", TimeSpan.FromMinutes(5));
        var budget = await ChooseAsync(ups, configured: null);
        var plan = Plan(host, ["acpi 90s", "save", "destroy"], budget.Budget);
        At(TimeSpan.FromSeconds(7), () => ups.Set("OB", TimeSpan.FromSeconds(40)));

        var (report, executor, start) = await StopAsync(host, ups, plan);

        var steps = _recorder.StepsOf(deaf.Uuid);
        Assert.Equal(["acpi", "save"], steps.Select(s => s.Action));
        Assert.Equal("saved", report.Single(g => g.Uuid == deaf.Uuid).Outcome);
        // Begun by the new end less the save's time, not after the 90 s of ACPI the first plan gave it.
        Assert.True(steps[1].StartedAt - start <= executor.Budget!.Value - TimeSpan.FromSeconds(2), $"the save began at {steps[1].StartedAt - start}");
        Assert.True(host[deaf.Uuid].OffAt!.Value - start <= executor.Budget!.Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_runtime_that_rises_again_gives_no_time_back()
    {
        var host = new SimulatedHost(_time) { DestroyTime = TimeSpan.FromSeconds(0.5) };
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        var ups = new SimulatedUps(_time);
        ups.Set("OB", TimeSpan.FromMinutes(5));
        var budget = await ChooseAsync(ups, configured: null);
        var plan = Plan(host, ["acpi 60s", "destroy"], budget.Budget);
        At(TimeSpan.FromSeconds(7), () => ups.Set("OB", TimeSpan.FromSeconds(40)));
        // The load dropped: the UPS says it lasts longer now; the end it said before still holds.
        At(TimeSpan.FromSeconds(12), () => ups.Set("OB", TimeSpan.FromMinutes(20)));

        var (report, executor, start) = await StopAsync(host, ups, plan);

        Assert.InRange(executor.Budget!.Value.TotalSeconds, 19.9, 20.1);
        Assert.Equal("destroyed", report.Single(g => g.Uuid == deaf.Uuid).Outcome);
        Assert.True(host[deaf.Uuid].OffAt!.Value - start <= TimeSpan.FromSeconds(20) + VirtualClock.Tick);
        Assert.True(ups.Reads >= 3, $"{ups.Reads} readings");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_ups_that_hangs_mid_stop_delays_no_step_and_is_one_fault()
    {
        var host = new SimulatedHost(_time) { DestroyTime = TimeSpan.FromSeconds(0.5) };
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        var polite = host.Add("polite", new(AcpiDelay: TimeSpan.FromSeconds(25)));
        var ups = new SimulatedUps(_time);
        ups.Set("OB", TimeSpan.FromMinutes(5));
        var budget = await ChooseAsync(ups, configured: null);
        var plan = Plan(host, ["acpi 40s", "destroy"], budget.Budget);
        At(TimeSpan.FromSeconds(3), ups.Hang);

        var (report, executor, start) = await StopAsync(host, ups, plan);

        // As planned: the polite guest off when it says, the deaf one destroyed at its ACPI timeout.
        Assert.Equal(plan.Budget, executor.Budget);
        Assert.Equal("shutdown", report.Single(g => g.Uuid == polite.Uuid).Outcome);
        Assert.InRange((host[polite.Uuid].OffAt!.Value - start).TotalSeconds, 25.0, 25.3);
        Assert.Equal("destroyed", report.Single(g => g.Uuid == deaf.Uuid).Outcome);
        Assert.InRange((host[deaf.Uuid].OffAt!.Value - start).TotalSeconds, 40.5, 40.8);
        // Every hung reading was given up on at its timeout, and the next one tried: one fault for
        // them all, never one per reading. (Not "exactly one": the virtual clock cannot see a
        // follower thread that a busy CPU holds back, and may end the stop before its first reading
        // times out; StopRunOnBatteryTests shows the one fault on the real clock.)
        Assert.True(ups.Reads >= 2, $"{ups.Reads} readings");
        Assert.True(_unreadable.Count <= 1, $"{_unreadable.Count} faults after {ups.Reads} readings");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_ups_that_answers_an_error_mid_stop_leaves_the_plan_as_it_is()
    {
        var host = new SimulatedHost(_time) { DestroyTime = TimeSpan.FromSeconds(0.5) };
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        var ups = new SimulatedUps(_time);
        ups.Set("OB", TimeSpan.FromMinutes(5));
        var budget = await ChooseAsync(ups, configured: null);
        var plan = Plan(host, ["acpi 30s", "destroy"], budget.Budget);
        At(TimeSpan.FromSeconds(3), () => ups.Fail("DATA-STALE"));

        var (report, executor, start) = await StopAsync(host, ups, plan);

        Assert.Equal(plan.Budget, executor.Budget);
        Assert.InRange((host[deaf.Uuid].OffAt!.Value - start).TotalSeconds, 30.5, 30.8);
        // At most one fault, and what upsd answered in it (see the hanging UPS's test for why not
        // "exactly one" on the virtual clock).
        Assert.True(_unreadable.Count <= 1, $"{_unreadable.Count} faults after {ups.Reads} readings, the stop ended at {_time.GetUtcNow() - start}");
        Assert.All(_unreadable, why => Assert.Contains("DATA-STALE", why, StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_stop_begun_on_line_without_a_budget_gets_a_deadline_when_the_ups_goes_on_battery()
    {
        var host = new SimulatedHost(_time) { DestroyTime = TimeSpan.FromSeconds(0.5) };
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        var ups = new SimulatedUps(_time);
        var budget = await ChooseAsync(ups, configured: null);
        var plan = Plan(host, ["acpi 5m", "destroy"], budget.Budget);
        // The power fails 7 s into a stop begun by hand on line: 50 s of battery, 30 s of margin.
        At(TimeSpan.FromSeconds(7), () => ups.Set("OB", TimeSpan.FromSeconds(50)));

        var (report, executor, start) = await StopAsync(host, ups, plan);

        Assert.Null(budget.Budget);
        Assert.Null(plan.Budget);
        Assert.InRange(executor.Budget!.Value.TotalSeconds, 29.9, 30.1);
        Assert.Equal("destroyed", report.Single(g => g.Uuid == deaf.Uuid).Outcome);
        Assert.True(host[deaf.Uuid].OffAt!.Value - start <= executor.Budget.Value + VirtualClock.Tick);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_tier_begun_after_a_tightening_gets_the_shorter_deadline()
    {
        var host = new SimulatedHost(_time) { DestroyTime = TimeSpan.FromSeconds(0.5) };
        var app = host.Add("app", new(AcpiDelay: TimeSpan.FromSeconds(8)));
        var db = host.Add("db", new(AcpiDelay: null));
        var policies = new Dictionary<string, GuestPolicy>
        {
            [app.Uuid] = GuestPolicy.Default with { Order = 20, Stop = StopLadder.Create("acpi 60s") },
            [db.Uuid] = GuestPolicy.Default with { Order = 10, Stop = StopLadder.Create("acpi 2m") },
        };
        var ups = new SimulatedUps(_time);
        ups.Set("OB", TimeSpan.FromMinutes(10));
        var budget = await ChooseAsync(ups, configured: null);
        var plan = Planner.Build([.. host.ListGuests().Select(g => (g, policies[g.Uuid]))], budget.Budget, Limits.Default, Estimates.Default);
        // At 5 s the UPS says 65 s: the power ends at 5 + 65 − 30 = 40 s, while the app's tier still runs.
        At(TimeSpan.FromSeconds(2), () => ups.Set("OB", TimeSpan.FromSeconds(65)));

        var (report, executor, start) = await StopAsync(host, ups, plan);

        Assert.InRange(executor.Budget!.Value.TotalSeconds, 39.9, 40.1);
        var dbSteps = _recorder.StepsOf(db.Uuid);
        // The db's tier began after the app was off (8 s), with the new end as its deadline, not the first plan's.
        Assert.True(dbSteps[0].StartedAt - start >= TimeSpan.FromSeconds(8));
        Assert.Equal(["acpi", "destroy"], dbSteps.Select(s => s.Action));
        Assert.True(dbSteps[0].EndedAt!.Value - start <= TimeSpan.FromSeconds(40) - Estimates.DestroyAllowance + VirtualClock.Tick, $"its acpi ended at {dbSteps[0].EndedAt - start}");
        Assert.Equal("destroyed", report.Single(g => g.Uuid == db.Uuid).Outcome);
        Assert.True(host[db.Uuid].OffAt!.Value - start <= TimeSpan.FromSeconds(40) + VirtualClock.Tick);
        Assert.True(plan.Tiers[1].Deadline > TimeSpan.FromMinutes(5));
    }

    private async Task<PowerReading> ChooseAsync(SimulatedUps ups, TimeSpan? configured) =>
        await VirtualClock.RunAsync(_time, () => PowerBudget.ReadAsync(ups, Config(ups), configured, _time, CancellationToken.None), s_limit);

    private static UpsConfig Config(SimulatedUps ups) => new(ups.Name, s_margin, PowerReturn.Default);

    private void At(TimeSpan after, Action change) => _time.CreateTimer(_ => change(), null, after, Timeout.InfiniteTimeSpan);

    private static Plan Plan(SimulatedHost host, string[] ladder, TimeSpan? budget)
    {
        var policy = GuestPolicy.Default with { Stop = StopLadder.Create(ladder) };
        return Planner.Build([.. host.ListGuests().Select(g => (g, policy))], budget, Limits.Default, Estimates.Default);
    }

    /// <summary>The executor with the UPS followed beside it, as StopRun runs them.</summary>
    private async Task<(IReadOnlyList<GuestReport> Report, StopExecutor Executor, DateTimeOffset Start)> StopAsync(SimulatedHost host, SimulatedUps ups, Plan plan)
    {
        var executor = new StopExecutor(new Dictionary<string, IGuestHost> { [host.Uri] = host }, Limits.Default, _recorder, _time);
        var start = _time.GetUtcNow();
        var report = await VirtualClock.RunAsync(
            _time,
            async () =>
            {
                using var stop = new CancellationTokenSource();
                var follower = BatteryFollower.RunAsync(ups, Config(ups), _time, (end, _) => executor.Tighten(end - start), Unreadable, stop.Token);
                try
                {
                    return await executor.RunAsync(plan, start, CancellationToken.None);
                }
                finally
                {
                    await stop.CancelAsync();
                    await follower;
                }
            },
            s_limit);
        return (report, executor, start);
    }

    private void Unreadable(string why)
    {
        lock (_unreadable)
        {
            _unreadable.Add(why);
        }
    }
}
