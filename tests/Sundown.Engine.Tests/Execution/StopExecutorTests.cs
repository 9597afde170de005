using Microsoft.Extensions.Time.Testing;
using Sundown.Core.Config;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Execution;

/// <summary>The executor on a simulated host with virtual time: each behaviour, one guest at a time.</summary>
public sealed class StopExecutorTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromHours(2);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 22, 0, 0, TimeSpan.Zero));
    private readonly MemoryRecorder _recorder = new();

    [Fact(Timeout = 60_000)]
    public async Task A_guest_that_hears_acpi_shuts_down_when_it_says_and_is_not_forced()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(4)));

        var report = await StopAsync(host, ["acpi 10s"], budget: TimeSpan.FromSeconds(30));

        Assert.Equal("shutdown", Single(report, guest).Outcome);
        Assert.Equal(["acpi"], _recorder.StepsOf(guest.Uuid).Select(s => s.Action));
        Assert.InRange(OffAfter(host, guest), 4.0, 4.2);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_step_the_journal_could_not_record_still_runs_and_the_guest_is_not_forced_off()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(4)));
        _recorder.FailingStepStarts = 1;

        var report = await StopAsync(host, ["acpi 10s"], budget: TimeSpan.FromSeconds(30));

        // Its acpi went unrecorded, and nothing tried to end a step the journal never had.
        Assert.Equal("shutdown", Single(report, guest).Outcome);
        Assert.Equal(GuestOutcome.Shutdown, _recorder.Outcomes[guest.Uuid]);
        Assert.Empty(_recorder.StepsOf(guest.Uuid));
        Assert.Equal(["acpi"], Single(report, guest).Steps.Select(s => s.Action));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_guest_that_ignores_acpi_is_destroyed_when_its_timeout_ends()
    {
        var host = new SimulatedHost(_time);
        var deaf = host.Add("deaf", new(AcpiDelay: null));

        var report = await StopAsync(host, ["acpi 10s"], budget: TimeSpan.FromSeconds(30));

        Assert.Equal("destroyed", Single(report, deaf).Outcome);
        Assert.Equal([StepResult.Timeout, StepResult.Ok], _recorder.StepsOf(deaf.Uuid).Select(s => s.Result));
        // Its timeout, then the destroy's own time (QEMU's SIGTERM and exit).
        Assert.InRange(OffAfter(host, deaf), 10.0 + host.DestroyTime.TotalSeconds, 10.2 + host.DestroyTime.TotalSeconds);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_deaf_guest_with_save_in_its_ladder_is_saved()
    {
        var host = new SimulatedHost(_time);
        var deaf = host.Add("deaf", new(AcpiDelay: null, SaveTime: TimeSpan.FromSeconds(2)));

        var report = await StopAsync(host, ["acpi 5s", "save"], budget: TimeSpan.FromSeconds(60));

        Assert.Equal("saved", Single(report, deaf).Outcome);
        Assert.True(host[deaf.Uuid].Info.ManagedSave);
        Assert.InRange(OffAfter(host, deaf), 7.0, 7.3);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_failed_save_goes_to_destroy_at_once()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("full disk", new(AcpiDelay: null, SaveFails: true));

        var report = await StopAsync(host, ["save", "acpi 30s"], budget: TimeSpan.FromMinutes(5));

        var steps = _recorder.StepsOf(guest.Uuid);
        Assert.Equal(["save", "acpi", "destroy"], steps.Select(s => s.Action));
        Assert.Equal(StepResult.Error, steps[0].Result);
        // At once: within a tick or two of virtual time, not after the 30 s of the step it skipped to.
        Assert.True(steps[1].StartedAt - steps[0].StartedAt <= TimeSpan.FromSeconds(0.5));
        Assert.Equal("destroyed", Single(report, guest).Outcome);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_paused_guest_is_saved_without_waiting_out_an_acpi_timeout()
    {
        var host = new SimulatedHost(_time);
        var paused = host.Add("paused", new(AcpiDelay: TimeSpan.FromSeconds(1), SaveTime: TimeSpan.FromSeconds(1)), GuestState.Paused);

        var report = await StopAsync(host, ["acpi 60s", "save"], budget: TimeSpan.FromMinutes(5));

        Assert.Equal("saved", Single(report, paused).Outcome);
        Assert.Equal(["save"], _recorder.StepsOf(paused.Uuid).Select(s => s.Action));
        Assert.InRange(OffAfter(host, paused), 1.0, 1.2);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_paused_guest_without_save_is_resumed_then_shut_down()
    {
        var host = new SimulatedHost(_time);
        var paused = host.Add("paused", new(AcpiDelay: TimeSpan.FromSeconds(2)), GuestState.Paused);

        var report = await StopAsync(host, ["acpi 60s"], budget: null);

        Assert.Equal("shutdown", Single(report, paused).Outcome);
        Assert.Equal(["resume", "acpi"], _recorder.StepsOf(paused.Uuid).Select(s => s.Action));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_guest_that_went_off_or_was_undefined_meanwhile_is_done_not_failed()
    {
        var host = new SimulatedHost(_time);
        var gone = host.Add("gone", new(AcpiDelay: null), persistent: false);
        var plan = Plan(host, ["acpi 30s"], null);
        host.Undefine(gone.Uuid);

        var report = await RunAsync(host, plan);

        Assert.Equal("already-off", Single(report, gone).Outcome);
        Assert.Empty(_recorder.StepsOf(gone.Uuid));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_interrupt_stops_issuing_steps_and_reports_the_rest_skipped()
    {
        var host = new SimulatedHost(_time);
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        var plan = Plan(host, ["acpi 60s"], null);
        using var interrupt = new CancellationTokenSource();
        _time.CreateTimer(_ => interrupt.Cancel(), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);

        var report = await VirtualClock.RunAsync(_time, () => Executor(host).RunAsync(plan, _time.GetUtcNow(), interrupt.Token), s_limit);

        Assert.Equal("skipped", Single(report, deaf).Outcome);
        Assert.Equal(["acpi"], _recorder.StepsOf(deaf.Uuid).Select(s => s.Action));
        Assert.Equal(GuestState.Running, host[deaf.Uuid].Info.State);
    }

    [Fact(Timeout = 60_000)]
    public async Task Tiers_stop_in_reverse_order_each_after_the_last_is_off()
    {
        var host = new SimulatedHost(_time);
        var app = host.Add("app", new(AcpiDelay: TimeSpan.FromSeconds(3)));
        var db = host.Add("db", new(AcpiDelay: TimeSpan.FromSeconds(1)));
        var policies = new Dictionary<string, GuestPolicy>
        {
            [app.Uuid] = GuestPolicy.Default with { Order = 20 },
            [db.Uuid] = GuestPolicy.Default with { Order = 10 },
        };
        var plan = Planner.Build([.. host.ListGuests().Select(g => (g, policies[g.Uuid]))], null, Limits.Default, Estimates.Default);

        await RunAsync(host, plan);

        Assert.True(_recorder.StepsOf(db.Uuid)[0].StartedAt >= host[app.Uuid].OffAt);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_guest_queued_behind_the_shutdowns_limit_still_gets_its_own_wait()
    {
        var host = new SimulatedHost(_time);
        var deaf = host.Add("a deaf", new(AcpiDelay: null));
        var polite = host.Add("b polite", new(AcpiDelay: TimeSpan.FromSeconds(1)));
        var policy = GuestPolicy.Default with { Stop = StopLadder.Create("acpi 10s") };
        var limits = Limits.Default with { Shutdowns = 1 };
        var plan = Planner.Build([.. host.ListGuests().Select(g => (g, policy))], TimeSpan.FromSeconds(60), limits, Estimates.Default);
        var executor = new StopExecutor(new Dictionary<string, Sundown.Core.Hosts.IGuestHost> { [host.Uri] = host }, limits, _recorder, _time);

        var report = await VirtualClock.RunAsync(_time, () => executor.RunAsync(plan, _time.GetUtcNow(), CancellationToken.None), s_limit);

        // The polite guest waited 10 s for the slot the deaf one held, then was asked and went.
        Assert.Equal("destroyed", Single(report, deaf).Outcome);
        Assert.Equal("shutdown", Single(report, polite).Outcome);
        Assert.InRange(OffAfter(host, polite), 0.9, 1.3);
    }

    private async Task<IReadOnlyList<GuestReport>> StopAsync(SimulatedHost host, string[] ladder, TimeSpan? budget) =>
        await RunAsync(host, Plan(host, ladder, budget));

    private Plan Plan(SimulatedHost host, string[] ladder, TimeSpan? budget)
    {
        var policy = GuestPolicy.Default with { Stop = StopLadder.Create(ladder) };
        return Planner.Build([.. host.ListGuests().Select(g => (g, policy))], budget, Limits.Default, Estimates.Default);
    }

    private async Task<IReadOnlyList<GuestReport>> RunAsync(SimulatedHost host, Plan plan)
    {
        var start = _time.GetUtcNow();
        return await VirtualClock.RunAsync(_time, () => Executor(host).RunAsync(plan, start, CancellationToken.None), s_limit);
    }

    private StopExecutor Executor(SimulatedHost host) =>
        new(new Dictionary<string, Sundown.Core.Hosts.IGuestHost> { [host.Uri] = host }, Limits.Default, _recorder, _time);

    private double OffAfter(SimulatedHost host, Guest guest) =>
        (host.Guests.Single(g => g.Info.Uuid == guest.Uuid).OffAt!.Value - _recorder.StepsOf(guest.Uuid)[0].StartedAt).TotalSeconds;

    private static GuestReport Single(IReadOnlyList<GuestReport> report, Guest guest) => report.Single(g => g.Uuid == guest.Uuid);
}
