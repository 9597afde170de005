using Microsoft.Extensions.Time.Testing;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Execution;

/// <summary>
/// Faults around the guests on the simulated host with virtual time: a frozen libvirtd, a
/// destroy that does not answer, a stuck or failing journal, libvirtd's per-connection limit,
/// a save given up on, a guest already shutting down. The stop always ends within its budget
/// plus <see cref="Estimates.DestroyGrace"/>, and every guest whose calls answer ends off.
/// </summary>
public sealed class StopFaultTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromHours(2);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 22, 0, 0, TimeSpan.Zero));
    private readonly MemoryRecorder _recorder = new();
    private readonly List<Fault> _faults = [];
    private readonly List<StopProgress> _progress = [];

    [Fact(Timeout = 60_000)]
    public async Task Stop_ends_in_its_budget_and_every_guest_ends_off_when_libvirtd_freezes_for_20_s_mid_stop()
    {
        var host = new SimulatedHost(_time);
        var polite = host.Add("polite", new(AcpiDelay: TimeSpan.FromSeconds(1)));
        var late = host.Add("late", new(AcpiDelay: TimeSpan.FromSeconds(8)));
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        var budget = TimeSpan.FromSeconds(30);
        var plan = Plan(host, ["acpi 10s", "destroy"], budget);
        // SIGSTOP at 5 s, SIGCONT at 25 s: "late" goes off at 8 s meanwhile, its event held.
        _time.CreateTimer(_ => host.Freeze(TimeSpan.FromSeconds(20)), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);

        var (report, took) = await RunAsync(host, plan);

        Assert.True(took <= budget + Estimates.DestroyGrace, $"the stop took {took}");
        Assert.All(host.Guests, g => Assert.Equal(GuestState.Shutoff, g.Info.State));
        Assert.Equal("shutdown", Single(report, polite).Outcome);
        Assert.Equal("shutdown", Single(report, late).Outcome);
        Assert.Equal("destroyed", Single(report, deaf).Outcome);
        // The deaf guest's destroy was asked at its time (10 s) and answered after the thaw.
        Near(TimeSpan.FromSeconds(10), CallAt(host, "Destroy", deaf) - Asked(host, deaf), TimeSpan.FromSeconds(0.7));
    }

    [Fact(Timeout = 60_000)]
    public async Task Stop_ends_within_its_budget_and_grace_when_libvirtd_never_answers_again_and_says_who_failed()
    {
        var host = new SimulatedHost(_time);
        var polite = host.Add("polite", new(AcpiDelay: TimeSpan.FromSeconds(1)));
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        var saver = host.Add("saver", new(AcpiDelay: null, SaveTime: TimeSpan.FromSeconds(5)));
        var budget = TimeSpan.FromSeconds(40);
        var plan = Plan(host, ["acpi 10s", "save", "destroy"], budget);
        _time.CreateTimer(_ => host.Freeze(), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);

        var (report, took) = await RunAsync(host, plan);

        Assert.InRange(took, budget - Estimates.DestroyAllowance, budget + Estimates.DestroyGrace + VirtualClock.Tick);
        Assert.Equal("shutdown", Single(report, polite).Outcome);
        Assert.Equal("failed", Single(report, deaf).Outcome);
        Assert.Equal("failed", Single(report, saver).Outcome);
        var destroy = Single(report, deaf).Steps[^1];
        Assert.Equal(("destroy", "timeout"), (destroy.Action, destroy.Result));
        Assert.Contains("did not answer the destroy", destroy.Error, StringComparison.Ordinal);
        host.Thaw();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_host_that_refuses_its_events_is_a_fault_and_its_guests_are_stopped_by_reading_their_state()
    {
        var host = new SimulatedHost(_time) { SubscribeFailure = new HostException(HostErrorKind.Denied, "access denied: domain events") };
        var polite = host.Add("polite", new(AcpiDelay: TimeSpan.FromSeconds(1)));
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        var budget = TimeSpan.FromSeconds(30);
        var plan = Plan(host, ["acpi 10s", "destroy"], budget);

        var (report, took) = await RunAsync(host, plan);

        Assert.True(took <= budget + Estimates.DestroyGrace, $"the stop took {took}");
        Assert.All(host.Guests, g => Assert.Equal(GuestState.Shutoff, g.Info.State));
        // Without events the shutdown is seen when its wait ends and the state is read: still a shutdown.
        Assert.Equal("shutdown", Single(report, polite).Outcome);
        Assert.Equal("destroyed", Single(report, deaf).Outcome);
        var fault = Assert.Single(_faults, f => f.Kind == FaultKinds.Host);
        Assert.Equal(host.Uri, fault.Subject);
        Assert.Contains("access denied: domain events", fault.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_destroy_that_hangs_past_the_deadline_fails_that_guest_and_the_others_are_destroyed()
    {
        var host = new SimulatedHost(_time);
        var stuck = host.Add("stuck", new(AcpiDelay: null, DestroyTime: TimeSpan.FromMinutes(2)));
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        var polite = host.Add("polite", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        var budget = TimeSpan.FromSeconds(20);

        var (report, took) = await RunAsync(host, Plan(host, ["acpi 5s", "destroy"], budget));

        Assert.Equal("failed", Single(report, stuck).Outcome);
        Assert.Equal("destroyed", Single(report, deaf).Outcome);
        Assert.Equal("shutdown", Single(report, polite).Outcome);
        // Asked at 5 s, waited for until the deadline and its grace, then given up on.
        var destroy = _recorder.StepsOf(stuck.Uuid)[^1];
        Assert.Equal(StepResult.Timeout, destroy.Result);
        Near(TimeSpan.FromSeconds(5), destroy.StartedAt - Asked(host, stuck), TimeSpan.FromSeconds(0.3));
        Near(budget + Estimates.DestroyGrace, destroy.EndedAt!.Value - Start, TimeSpan.FromSeconds(0.3));
        Assert.True(took <= budget + Estimates.DestroyGrace, $"the stop took {took}");
    }

    [Fact(Timeout = 60_000)]
    public async Task Steps_are_taken_on_time_when_every_journal_write_hangs_and_the_stall_is_reported_once()
    {
        var host = new SimulatedHost(_time);
        var polite = host.Add("polite", new(AcpiDelay: TimeSpan.FromSeconds(4)));
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        _recorder.Hangs = true;

        var (report, _) = await RunAsync(host, Plan(host, ["acpi 10s", "destroy"], TimeSpan.FromSeconds(30)));

        Assert.Equal("shutdown", Single(report, polite).Outcome);
        Assert.Equal("destroyed", Single(report, deaf).Outcome);
        // The first write is waited for once (StepJournal.WaitAtMost), the rest not at all.
        var firstRead = host.CallLog.First(c => c.Uuid == polite.Uuid).At;
        Assert.True(Asked(host, polite) - firstRead <= StepJournal.WaitAtMost + TimeSpan.FromSeconds(0.3), $"asked {Asked(host, polite) - firstRead} after its first read");
        Assert.InRange(OffAt(host, polite), 4.0, 4.2);
        Assert.InRange(OffAt(host, deaf), 10.0 + host.DestroyTime.TotalSeconds, 10.2 + host.DestroyTime.TotalSeconds);
        var stall = Assert.Single(_faults);
        Assert.Equal(FaultKinds.Journal, stall.Kind);
        Assert.Contains("did not answer", stall.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Steps_are_taken_on_time_when_every_journal_write_throws_and_each_failure_is_reported()
    {
        var host = new SimulatedHost(_time);
        var polite = host.Add("polite", new(AcpiDelay: TimeSpan.FromSeconds(4)));
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        _recorder.Throws = true;

        var (report, _) = await RunAsync(host, Plan(host, ["acpi 10s", "destroy"], TimeSpan.FromSeconds(30)));

        Assert.Equal("shutdown", Single(report, polite).Outcome);
        Assert.Equal("destroyed", Single(report, deaf).Outcome);
        Assert.InRange(OffAt(host, polite), 4.0, 4.2);
        Assert.InRange(OffAt(host, deaf), 10.0 + host.DestroyTime.TotalSeconds, 10.2 + host.DestroyTime.TotalSeconds);
        Assert.Equal(["acpi", "destroy"], Single(report, deaf).Steps.Select(s => s.Action));
        Assert.Equal(FaultKinds.Journal, Assert.Single(_faults).Kind);
        Assert.Contains(_progress, p => p.Uuid == deaf.Uuid && p.Error is { } e && e.StartsWith("journal: ", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_destroy_gets_through_while_four_saves_and_an_agent_call_hang()
    {
        var (host, deaf, agent, savers) = LongCallsFleet();

        var (report, _) = await RunAsync(host, LongCallsPlan(host, deaf), StopExecutor.LongCallsPerHost);

        // Asked at its 5 s timeout, through the slot kept free for short calls: off 1.5 s later.
        Assert.Equal("destroyed", Single(report, deaf).Outcome);
        Assert.InRange(OffAt(host, deaf), 5.0 + host.DestroyTime.TotalSeconds, 5.3 + host.DestroyTime.TotalSeconds);
        Assert.Equal(StopExecutor.LongCallsPerHost, host.MaxConcurrentLongCalls);
        Assert.True(host.MaxConcurrentCalls <= SimulatedHost.MaxClientRequests);
        // Of the five long calls, the one that found no long-call slot was skipped at its time; all were destroyed.
        var waited = savers.Append(agent).Where(g => Single(report, g).Steps[0] is { Result: "skipped" } first && first.Error!.Contains("long-call", StringComparison.Ordinal));
        Assert.Single(waited);
        Assert.All(savers.Append(agent), g => Assert.Equal("destroyed", Single(report, g).Outcome));
        Assert.All(host.Guests, g => Assert.Equal(GuestState.Shutoff, g.Info.State));
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_a_slot_kept_for_short_calls_the_destroy_waits_behind_the_long_ones()
    {
        var (host, deaf, _, _) = LongCallsFleet();

        var (report, _) = await RunAsync(host, LongCallsPlan(host, deaf), longCallsPerHost: SimulatedHost.MaxClientRequests);

        // Five long calls take all five of libvirtd's slots: the destroy (and the aborts) wait
        // behind them past the deadline and its grace, and the guest is left running.
        Assert.Equal(SimulatedHost.MaxClientRequests, host.MaxConcurrentLongCalls);
        Assert.Equal("failed", Single(report, deaf).Outcome);
        Assert.Equal(GuestState.Running, host[deaf.Uuid].Info.State);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_save_still_running_at_its_end_is_aborted_before_the_destroy()
    {
        var host = new SimulatedHost(_time);
        var slow = host.Add("slow", new(AcpiDelay: null, SaveTime: TimeSpan.FromMinutes(10)));

        var (report, _) = await RunAsync(host, Plan(host, ["save", "destroy"], TimeSpan.FromSeconds(30)));

        Assert.Equal("destroyed", Single(report, slow).Outcome);
        Assert.Equal(1, host.AbortedJobs);
        var save = Single(report, slow).Steps[0];
        Assert.Equal(("save", "timeout"), (save.Action, save.Result));
        Assert.EndsWith("aborted", save.Error, StringComparison.Ordinal);
        var calls = host.CallLog.Where(c => c.Uuid == slow.Uuid).Select(c => c.Call).ToList();
        Assert.True(calls.IndexOf("AbortJob") < calls.IndexOf("Destroy"), string.Join(", ", calls));
        Assert.False(host[slow.Uuid].Info.ManagedSave);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_host_without_jobs_refusing_the_abort_still_gets_its_destroy_in_time()
    {
        var host = new SimulatedHost(_time) { SupportsJobs = false };
        var slow = host.Add("slow", new(AcpiDelay: null, SaveTime: TimeSpan.FromMinutes(10)));
        var budget = TimeSpan.FromSeconds(30);

        var (report, _) = await RunAsync(host, Plan(host, ["save", "destroy"], budget));

        Assert.Equal("destroyed", Single(report, slow).Outcome);
        Assert.Contains("cannot abort", Single(report, slow).Steps[0].Error, StringComparison.Ordinal);
        Assert.InRange(OffAt(host, slow), 0, (budget + host.DestroyTime - Estimates.DestroyAllowance).TotalSeconds + 0.2);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_guest_already_shutting_down_is_waited_for_within_its_graceful_time_not_destroyed()
    {
        var host = new SimulatedHost(_time);
        var going = host.Add("going", new(AcpiDelay: null));
        // Someone else pressed its power button: it is in libvirt's "shutdown" state, off in 8 s.
        host.BeginShutdown(going.Uuid, TimeSpan.FromSeconds(8));

        var (report, _) = await RunAsync(host, Plan(host, ["acpi 20s", "destroy"], TimeSpan.FromSeconds(60)));

        // The request is refused (a guest not running), and the guest is waited for all the same.
        Assert.Equal("shutdown", Single(report, going).Outcome);
        Assert.Equal(["acpi"], Single(report, going).Steps.Select(s => s.Action));
        Assert.Equal("ok", Single(report, going).Steps[0].Result);
        // Off when its own shutdown ended, 8 s after the press: not forced.
        Assert.InRange((host[going.Uuid].OffAt!.Value - Start).TotalSeconds, 8.0, 8.2);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_guest_already_shutting_down_that_takes_too_long_is_destroyed_at_its_timeout_not_at_once()
    {
        var host = new SimulatedHost(_time);
        var slow = host.Add("slow", new(AcpiDelay: null));
        host.BeginShutdown(slow.Uuid, TimeSpan.FromMinutes(5));

        var (report, _) = await RunAsync(host, Plan(host, ["acpi 20s", "destroy"], TimeSpan.FromSeconds(60)));

        Assert.Equal("destroyed", Single(report, slow).Outcome);
        Assert.Equal(["timeout", "ok"], Single(report, slow).Steps.Select(s => s.Result));
        Assert.InRange(OffAt(host, slow), 20.0 + host.DestroyTime.TotalSeconds, 20.2 + host.DestroyTime.TotalSeconds);
    }

    private DateTimeOffset Start { get; set; }

    /// <summary>Four slow savers, one guest whose agent request hangs, and a deaf guest that needs a destroy at 5 s.</summary>
    private (SimulatedHost Host, Guest Deaf, Guest Agent, Guest[] Savers) LongCallsFleet()
    {
        var host = new SimulatedHost(_time);
        var savers = Enumerable.Range(0, 4).Select(i => host.Add($"saver{i}", new(AcpiDelay: null, SaveTime: TimeSpan.FromMinutes(10)))).ToArray();
        var agent = host.Add("agent", new(AcpiDelay: null, AgentDelay: TimeSpan.FromSeconds(1), AgentCallTime: TimeSpan.FromMinutes(10)));
        var deaf = host.Add("deaf", new(AcpiDelay: null));
        return (host, deaf, agent, savers);
    }

    private static Plan LongCallsPlan(SimulatedHost host, Guest deaf)
    {
        GuestPolicy Policy(Guest g) => GuestPolicy.Default with
        {
            Stop = g.Name.StartsWith("saver", StringComparison.Ordinal) ? StopLadder.Create("save", "destroy")
                : g.Uuid == deaf.Uuid ? StopLadder.Create("acpi 5s", "destroy")
                : StopLadder.Create("agent 30s", "destroy"),
        };
        // No saves limit: the four saves run at once, as a host's saves=4 lets them.
        return Planner.Build([.. host.ListGuests().Select(g => (g, Policy(g)))], TimeSpan.FromSeconds(60), Limits.Default with { Saves = 0 }, Estimates.Default);
    }

    private Plan Plan(SimulatedHost host, string[] ladder, TimeSpan? budget)
    {
        var policy = GuestPolicy.Default with { Stop = StopLadder.Create(ladder) };
        return Planner.Build([.. host.ListGuests().Select(g => (g, policy))], budget, Limits.Default, Estimates.Default);
    }

    private async Task<(IReadOnlyList<GuestReport> Report, TimeSpan Took)> RunAsync(SimulatedHost host, Plan plan, int longCallsPerHost = StopExecutor.LongCallsPerHost)
    {
        var executor = new StopExecutor(
            new Dictionary<string, IGuestHost> { [host.Uri] = host },
            Limits.Default,
            _recorder,
            _time,
            p =>
            {
                lock (_progress)
                {
                    _progress.Add(p);
                }
            },
            f =>
            {
                lock (_faults)
                {
                    _faults.Add(f);
                }
            },
            longCallsPerHost);
        Start = _time.GetUtcNow();
        var report = await VirtualClock.RunAsync(_time, () => executor.RunAsync(plan, Start, CancellationToken.None), s_limit);
        return (report, _time.GetUtcNow() - Start);
    }

    /// <summary>
    /// Seconds from the guest's first step (its first call other than a state read) to when it
    /// went off. The virtual clock may run a few ticks ahead while a test process warms up
    /// before that call: times within a guest's run are exact, times from the plan's start not.
    /// </summary>
    private static double OffAt(SimulatedHost host, Guest guest) =>
        (host.Guests.Single(g => g.Info.Uuid == guest.Uuid).OffAt!.Value - Asked(host, guest)).TotalSeconds;

    private static DateTimeOffset Asked(SimulatedHost host, Guest guest) =>
        host.CallLog.First(c => c.Uuid == guest.Uuid && c.Call != nameof(SimulatedHost.GetStatus)).At;

    private static DateTimeOffset CallAt(SimulatedHost host, string call, Guest guest) =>
        host.CallLog.First(c => c.Call == call && c.Uuid == guest.Uuid).At;

    private static void Near(TimeSpan expected, TimeSpan actual, TimeSpan tolerance) =>
        Assert.InRange(actual, expected - tolerance, expected + tolerance);

    private static GuestReport Single(IReadOnlyList<GuestReport> report, Guest guest) => report.Single(g => g.Uuid == guest.Uuid);
}
