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
/// The snapshot step before the first stop step (policy key <c>snapshots</c>) on the simulated
/// host with virtual time: made and pruned, skipped when it would not fit, and never holding up
/// the stop when it fails or hangs.
/// </summary>
public sealed class SnapshotStepTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromHours(2);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    private readonly MemoryRecorder _recorder = new();

    [Fact(Timeout = 60_000)]
    public async Task A_snapshot_is_made_before_the_first_stop_step_and_named_and_marked_as_sundowns()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));

        var report = await StopAsync(host, keep: 2, budget: TimeSpan.FromSeconds(60), run: 7);

        var steps = Single(report, guest).Steps;
        Assert.Equal(["snapshot", "acpi"], steps.Select(s => s.Action));
        Assert.Equal("ok", steps[0].Result);
        Assert.Equal("shutdown", Single(report, guest).Outcome);
        var made = Assert.Single(host.DiskOf(guest.Uuid).Snapshots);
        Assert.Equal("sundown-20261202T120000Z-r7", made.Name);
        Assert.True(SnapshotRule.IsSundowns(made));
        Assert.Contains("run 7", made.Description);
        // No agent channel: not quiesced, and said so.
        Assert.Equal([(made.Name, false)], host.DiskOf(guest.Uuid).Creates);
        Assert.Contains("crash-consistent", steps[0].Error);
        // The acpi step began once the snapshot was there (0.2 s), not later.
        Assert.InRange((steps[1].StartedAt - steps[0].StartedAt).TotalSeconds, 0.2, 0.4);
    }

    [Fact(Timeout = 60_000)]
    public async Task Three_stops_keep_the_newest_two_of_sundowns_snapshots_and_never_the_operators()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("db", new(AcpiDelay: TimeSpan.FromSeconds(1)));
        var disk = host.DiskOf(guest.Uuid);
        disk.Snapshots.Add(new SnapshotInfo("before-upgrade", _time.GetUtcNow().AddDays(-30), "mine", DiskOnly: true));
        // Looks like ours by name, but is not marked: never touched.
        disk.Snapshots.Add(new SnapshotInfo("sundown-20200101T000000Z", _time.GetUtcNow().AddDays(-29), "an operator's copy", DiskOnly: true));

        for (int run = 1; run <= 3; run++)
        {
            await StopAsync(host, keep: 2, budget: TimeSpan.FromSeconds(60), run: run);
            _time.Advance(TimeSpan.FromHours(1));
            host.Start(guest.Uuid);
        }

        var left = disk.Snapshots.Select(s => s.Name).ToList();
        Assert.Contains("before-upgrade", left);
        Assert.Contains("sundown-20200101T000000Z", left);
        var ours = disk.Snapshots.Where(SnapshotRule.IsSundowns).OrderBy(s => s.CreatedAt).Select(s => s.Name).ToList();
        Assert.Equal(2, ours.Count);
        Assert.StartsWith("sundown-20261202T13", ours[0]);
        Assert.EndsWith("-r2", ours[0]);
        Assert.EndsWith("-r3", ours[1]);
        Assert.Single(disk.Deleted);
        Assert.EndsWith("-r1", disk.Deleted[0]);
        Assert.Contains("deleted sundown-", LastSnapshotError(guest));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_guest_with_an_agent_channel_is_quiesced_and_one_whose_agent_does_not_answer_gets_a_crash_consistent_snapshot()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("agent gone", new(AcpiDelay: TimeSpan.FromSeconds(1), AgentDelay: TimeSpan.FromSeconds(1)));
        var disk = host.DiskOf(guest.Uuid);
        disk.AgentAnswers = false;
        disk.QuiesceTime = TimeSpan.FromSeconds(1);

        var report = await StopAsync(host, keep: 1, budget: TimeSpan.FromSeconds(60), run: 1, estimate: TimeSpan.FromSeconds(4));

        var snapshot = Single(report, guest).Steps[0];
        Assert.Equal("snapshot", snapshot.Action);
        Assert.Equal("ok", snapshot.Result);
        Assert.Contains("crash-consistent", snapshot.Error);
        Assert.Contains("agent", snapshot.Error);
        Assert.Equal([true, false], disk.Creates.Select(c => c.Quiesce));
        Assert.Contains("crash-consistent", Assert.Single(disk.Snapshots).Description);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_paused_guest_with_an_agent_channel_gets_a_crash_consistent_snapshot_without_asking_its_agent()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("paused", new(AcpiDelay: TimeSpan.FromSeconds(1), AgentDelay: TimeSpan.FromSeconds(1)), GuestState.Paused);

        var report = await StopAsync(host, keep: 1, budget: TimeSpan.FromSeconds(60), run: 1, estimate: TimeSpan.FromSeconds(4));

        var snapshot = Single(report, guest).Steps[0];
        Assert.Equal(("snapshot", "ok"), (snapshot.Action, snapshot.Result));
        var disk = host.DiskOf(guest.Uuid);
        Assert.Equal([false], disk.Creates.Select(c => c.Quiesce));
        Assert.Single(disk.Snapshots);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_quiesced_snapshot_whose_thaw_fails_is_there_and_reported_ok_without_a_second_try()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("thaw fails", new(AcpiDelay: TimeSpan.FromSeconds(1), AgentDelay: TimeSpan.FromSeconds(1)));
        var disk = host.DiskOf(guest.Uuid);
        disk.ThawFails = true;

        var report = await StopAsync(host, keep: 1, budget: TimeSpan.FromSeconds(60), run: 1, estimate: TimeSpan.FromSeconds(4));

        var snapshot = Single(report, guest).Steps[0];
        Assert.Equal("ok", snapshot.Result);
        Assert.Contains("thaw", snapshot.Error);
        Assert.Equal([true], disk.Creates.Select(c => c.Quiesce));
        Assert.Equal("sundown-20261202T120000Z-r1", Assert.Single(disk.Snapshots).Name);
        Assert.Equal("shutdown", Single(report, guest).Outcome);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_quiesce_that_fails_with_no_time_for_a_second_try_is_skipped_and_not_retried()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("agent gone", new(AcpiDelay: TimeSpan.FromSeconds(1), AgentDelay: TimeSpan.FromSeconds(1)));
        var disk = host.DiskOf(guest.Uuid);
        disk.AgentAnswers = false;
        disk.QuiesceTime = TimeSpan.FromSeconds(2.5);

        var report = await StopAsync(host, keep: 1, budget: TimeSpan.FromSeconds(60), run: 1, estimate: TimeSpan.FromSeconds(3));

        var snapshot = Single(report, guest).Steps[0];
        Assert.Equal("skipped", snapshot.Result);
        Assert.Single(disk.Creates);
        Assert.Empty(disk.Snapshots);
        Assert.Equal("shutdown", Single(report, guest).Outcome);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_snapshot_that_hangs_is_given_up_at_its_estimate_and_the_guest_still_shuts_down_in_time()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("slow disk", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        host.DiskOf(guest.Uuid).SnapshotTime = TimeSpan.FromMinutes(10);

        var report = await StopAsync(host, keep: 2, budget: TimeSpan.FromSeconds(30), run: 1, estimate: TimeSpan.FromSeconds(3));

        var steps = Single(report, guest).Steps;
        Assert.Equal("timeout", steps[0].Result);
        Assert.InRange((steps[0].EndedAt!.Value - steps[0].StartedAt).TotalSeconds, 2.9, 3.2);
        Assert.Equal("acpi", steps[1].Action);
        Assert.Equal("shutdown", Single(report, guest).Outcome);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_snapshot_that_fails_goes_on_to_the_stop_at_once()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("full", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        host.DiskOf(guest.Uuid).Fails = "unsupported configuration: source for disk 'vda' is not a regular file";

        var report = await StopAsync(host, keep: 2, budget: TimeSpan.FromSeconds(30), run: 1);

        var steps = Single(report, guest).Steps;
        Assert.Equal("error", steps[0].Result);
        Assert.Contains("not a regular file", steps[0].Error);
        Assert.InRange((steps[1].StartedAt - steps[0].StartedAt).TotalSeconds, 0.2, 0.4);
        Assert.Equal("shutdown", Single(report, guest).Outcome);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_guest_without_a_disk_is_skipped_with_the_reason()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("diskless", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        host.DiskOf(guest.Uuid).HasDisk = false;

        var report = await StopAsync(host, keep: 2, budget: TimeSpan.FromSeconds(30), run: 1);

        var snapshot = Single(report, guest).Steps[0];
        Assert.Equal(("snapshot", "skipped"), (snapshot.Action, snapshot.Result));
        Assert.Contains("no writable file-backed disk", snapshot.Error);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_snapshot_that_would_not_fit_before_the_graceful_steps_time_is_skipped_without_a_call()
    {
        var host = new SimulatedHost(_time);
        // A tier behind it that holds the start of this one: the deaf guest of order 20 stops first.
        var deaf = host.Add("app deaf", new(AcpiDelay: null));
        var db = host.Add("db", new(AcpiDelay: TimeSpan.FromSeconds(1)));
        var policies = new Dictionary<string, GuestPolicy>
        {
            [deaf.Uuid] = GuestPolicy.Default with { Stop = StopLadder.Create("acpi 20s", "destroy"), Order = 20 },
            [db.Uuid] = GuestPolicy.Default with { Stop = StopLadder.Create("acpi 10s", "destroy"), Order = 10, Snapshots = 2 },
        };
        var estimates = Estimates.Default with { Snapshot = TimeSpan.FromSeconds(5) };
        // 20 s for the first tier's plan; the second tier's room is 10 s of acpi + 5 s of snapshot.
        var plan = Planner.Build([.. host.ListGuests().Select(g => (g, policies[g.Uuid]))], TimeSpan.FromSeconds(40), Limits.Default, estimates);
        Assert.Equal([StepKind.Snapshot, StepKind.Acpi, StepKind.Destroy], plan.Guests.Single(g => g.Guest.Uuid == db.Uuid).Steps.Select(s => s.Kind));

        // The deaf guest's destroy takes 1.5 s past its 20 s: the second tier starts at 21.5 s,
        // with 40 - 1 (destroy) - 10 (acpi) = 29 s as the snapshot's end: 5 s still fit.
        var report = await RunAsync(host, plan, run: 1);
        Assert.Equal("ok", Single(report, db).Steps[0].Result);

        // A slower destroy (10 s) starts the tier at 30 s: past 29 - 5 = 24 s, skipped, no call made.
        var host2 = new SimulatedHost(_time) { DestroyTime = TimeSpan.FromSeconds(10) };
        var deaf2 = host2.Add("app deaf", new(AcpiDelay: null));
        var db2 = host2.Add("db", new(AcpiDelay: TimeSpan.FromSeconds(1)));
        policies[deaf2.Uuid] = policies[deaf.Uuid];
        policies[db2.Uuid] = policies[db.Uuid];
        var plan2 = Planner.Build([.. host2.ListGuests().Select(g => (g, policies[g.Uuid]))], TimeSpan.FromSeconds(40), Limits.Default, estimates);
        var report2 = await RunAsync(host2, plan2, run: 2);
        var skipped = Single(report2, db2).Steps[0];
        Assert.Equal(("snapshot", "skipped"), (skipped.Action, skipped.Result));
        Assert.Contains("no time left", skipped.Error);
        Assert.Empty(host2.DiskOf(db2.Uuid).Creates);
        Assert.Equal("shutdown", Single(report2, db2).Outcome);
    }

    [Fact(Timeout = 60_000)]
    public async Task Pruning_stops_after_as_long_again_as_the_snapshot_took_and_leaves_the_rest_for_the_next_stop()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("many", new(AcpiDelay: TimeSpan.FromSeconds(1)));
        var disk = host.DiskOf(guest.Uuid);
        for (int i = 0; i < 6; i++)
        {
            var at = _time.GetUtcNow().AddDays(-10 + i);
            disk.Snapshots.Add(new SnapshotInfo(SnapshotRule.NameFor(at, i), at, SnapshotRule.DescriptionFor(i, false), DiskOnly: true));
        }

        disk.DeleteTime = TimeSpan.FromSeconds(1);
        disk.SnapshotTime = TimeSpan.FromSeconds(1.5);

        // 5 s for the step: 1.5 s of snapshot, then deletes of 1 s each for as long again as the
        // snapshot took (1.5 s), not for the 3.5 s left: one finishes, the second is cut.
        var report = await StopAsync(host, keep: 1, budget: TimeSpan.FromSeconds(60), run: 9, estimate: TimeSpan.FromSeconds(5));

        var snapshot = Single(report, guest).Steps[0];
        Assert.Equal("ok", snapshot.Result);
        Assert.InRange((snapshot.EndedAt!.Value - snapshot.StartedAt).TotalSeconds, 2.9, 3.2);
        Assert.Contains("left for the next stop", snapshot.Error);
        Assert.InRange(disk.Deleted.Count, 1, 2);
        // Oldest first.
        Assert.EndsWith("-r0", disk.Deleted[0]);
        Assert.Equal("shutdown", Single(report, guest).Outcome);
    }

    [Fact(Timeout = 60_000)]
    public async Task Snapshots_zero_makes_no_snapshot_step_and_no_call()
    {
        var host = new SimulatedHost(_time);
        var guest = host.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(1)));

        var report = await StopAsync(host, keep: 0, budget: TimeSpan.FromSeconds(30), run: 1);

        Assert.Equal(["acpi"], Single(report, guest).Steps.Select(s => s.Action));
        Assert.DoesNotContain(host.CallLog, c => c.Call == nameof(SimulatedHost.CreateDiskSnapshot));
    }

    private string? LastSnapshotError(Guest guest) => _lastReport?.Single(g => g.Uuid == guest.Uuid).Steps.Single(s => s.Action == "snapshot").Error;

    private IReadOnlyList<GuestReport>? _lastReport;

    private async Task<IReadOnlyList<GuestReport>> StopAsync(SimulatedHost host, int keep, TimeSpan? budget, long run, TimeSpan? estimate = null)
    {
        var policy = GuestPolicy.Default with { Stop = StopLadder.Create("acpi 10s", "destroy"), Snapshots = keep };
        var estimates = Estimates.Default with { Snapshot = estimate ?? Estimates.DefaultSnapshot };
        var plan = Planner.Build([.. host.ListGuests().Select(g => (g, policy))], budget, Limits.Default, estimates);
        return _lastReport = await RunAsync(host, plan, run);
    }

    private async Task<IReadOnlyList<GuestReport>> RunAsync(SimulatedHost host, Plan plan, long run)
    {
        var start = _time.GetUtcNow();
        var executor = new StopExecutor(new Dictionary<string, IGuestHost> { [host.Uri] = host }, Limits.Default, _recorder, _time) { RunNumber = run };
        return await VirtualClock.RunAsync(_time, () => executor.RunAsync(plan, start, CancellationToken.None), s_limit);
    }

    private static GuestReport Single(IReadOnlyList<GuestReport> report, Guest guest) => report.Single(g => g.Uuid == guest.Uuid);
}
