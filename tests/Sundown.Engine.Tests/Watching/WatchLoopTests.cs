using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Ups;
using Sundown.Engine.Journaling;
using Sundown.Engine.Tests.Simulation;
using Sundown.Engine.Watching;

namespace Sundown.Engine.Tests.Watching;

/// <summary>
/// <c>sundown watch</c> on the simulated host and virtual time, with a UPS of the test's own that
/// plays a power cut: when the stop begins, what the power's return does, and what an unreadable
/// UPS or a SIGTERM changes.
/// </summary>
[Collection(nameof(AloneCollection))]
public sealed class WatchLoopTests : IDisposable
{
    private static readonly TimeSpan s_margin = TimeSpan.FromSeconds(60);

    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-watch-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero));
    private readonly SimulatedHost _world;
    private readonly ConcurrentQueue<(WatchEvent Event, TimeSpan At)> _events = new();
    private readonly DateTimeOffset _began;

    public WatchLoopTests()
    {
        _world = new SimulatedHost(_time);
        _began = _time.GetUtcNow();
    }

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact(Timeout = 120_000)]
    public async Task A_power_cut_whose_runtime_falls_begins_the_stop_at_the_trigger_and_every_guest_is_off_before_runtime_reaches_the_margin()
    {
        // The fleet's worst case is the deaf guest's acpi 40s and its destroy: more than the 30 s
        // at which the UPS reports LB, so NUT's own shutdown would come too late.
        var slow = _world.Add("slow", new(AcpiDelay: TimeSpan.FromSeconds(20)));
        var deaf = _world.Add("deaf", new(AcpiDelay: null));
        var quick = _world.Add("quick", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        // On line for 10 s, then on battery from 300 s of runtime, falling one second a second.
        static double Runtime(TimeSpan t) => 300 - (t.TotalSeconds - 10);
        var ups = new ScriptedUps(_time, t => t < TimeSpan.FromSeconds(10) ? ScriptedUps.OnLine() : ScriptedUps.OnBattery(Runtime(t)));

        await WatchAsync(Config("nothing"), ups, until: TimeSpan.FromSeconds(330));

        var firstStep = _world.CallLog.First(c => c.Call == nameof(IGuestHost.Shutdown)).At - _began;
        double runtimeAtStop = Runtime(firstStep);
        // Not before the trigger for a worst case of at least the acpi 40s, nor more than two
        // readings (the one that reached it and the one that confirms it, and a tick) after the
        // trigger for one of at most 45 s.
        Assert.InRange(runtimeAtStop, WatchTrigger.TriggerRuntime(TimeSpan.FromSeconds(40), s_margin, WatchTrigger.PollInterval).TotalSeconds - 4.5,
            WatchTrigger.TriggerRuntime(TimeSpan.FromSeconds(45), s_margin, WatchTrigger.PollInterval).TotalSeconds);
        Assert.True(runtimeAtStop > 30, $"the stop began at runtime {runtimeAtStop}, after LB");
        // Every guest off (safely or at its deadline) before the battery is down to the margin.
        var marginReached = _began + TimeSpan.FromSeconds(10 + 300 - s_margin.TotalSeconds);
        Assert.All(_world.Guests, g => Assert.True(g.Info.State == GuestState.Shutoff && g.OffAt <= marginReached, $"{g.Info.Name}: {g.Info.State} at {g.OffAt - _began}"));
        Assert.Equal("shutdown", _world[slow.Uuid].OffBy);
        Assert.Equal("shutdown", _world[quick.Uuid].OffBy);
        Assert.Equal(GuestState.Shutoff, _world[deaf.Uuid].Info.State);
        // Said at the right priorities: on battery (warning), the trigger point (info), the trigger (crit), the result (notice).
        var severities = _events.Select(e => e.Event.Severity).ToList();
        Assert.Contains(WatchSeverity.Warning, severities);
        Assert.Contains(_events, e => e.Event.Severity == WatchSeverity.Info && e.Event.Message.Contains("worst case", StringComparison.Ordinal));
        Assert.Single(_events, e => e.Event.Severity == WatchSeverity.Critical);
        Assert.Contains(_events, e => e.Event.Severity == WatchSeverity.Notice && e.Event.Message.Contains("ended with exit status 3", StringComparison.Ordinal));
        // Through the same engine as `sundown stop`: one journaled run, with its restore list.
        using var journal = Journal.Open(_stateDir);
        var run = Assert.Single(journal.ListRuns());
        Assert.Equal(RunKind.Stop, run.Kind);
        Assert.Equal(3, journal.RestoreList().Count);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_blip_that_ends_before_the_trigger_takes_no_step()
    {
        _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        _world.Add("db", new(AcpiDelay: null));
        // On battery for 20 s with plenty of runtime, then the power is back.
        var ups = new ScriptedUps(_time, t => t >= TimeSpan.FromSeconds(10) && t < TimeSpan.FromSeconds(30) ? ScriptedUps.OnBattery(600 - t.TotalSeconds) : ScriptedUps.OnLine());

        await WatchAsync(Config("start 10s"), ups, until: TimeSpan.FromSeconds(60));

        Assert.All(_world.Guests, g => Assert.Equal(GuestState.Running, g.Info.State));
        Assert.DoesNotContain(_world.CallLog, c => c.Call is nameof(IGuestHost.Shutdown) or nameof(IGuestHost.Destroy) or nameof(IGuestHost.ManagedSave) or nameof(IGuestHost.Start));
        Assert.DoesNotContain(_events, e => e.Event.Severity == WatchSeverity.Critical);
        Assert.Contains(_events, e => e.Event.Severity == WatchSeverity.Notice && e.Event.Message.Contains("nothing was done", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(_stateDir, Journal.FileName)) && Journal.Open(_stateDir).ListRuns().Count > 0);
    }

    [Fact(Timeout = 120_000)]
    public async Task Power_back_after_the_stop_starts_the_guests_again_once_it_held()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        var db = _world.Add("db", new(AcpiDelay: TimeSpan.FromSeconds(3)));
        // On battery below the trigger at once; the power is back at 60 s, lost again at 70 s for
        // 5 s (the hold restarts), back for good at 75 s.
        var ups = new ScriptedUps(_time, t => t.TotalSeconds switch
        {
            < 60 => ScriptedUps.OnBattery(100 - t.TotalSeconds),
            >= 70 and < 75 => ScriptedUps.OnBattery(40),
            _ => ScriptedUps.OnLine(),
        });

        await WatchAsync(Config("start 30s"), ups, until: TimeSpan.FromSeconds(150));

        Assert.Equal(GuestState.Running, _world[web.Uuid].Info.State);
        Assert.Equal(GuestState.Running, _world[db.Uuid].Info.State);
        var starts = _world.CallLog.Where(c => c.Call == nameof(IGuestHost.Start)).Select(c => c.At - _began).ToList();
        Assert.Equal(2, starts.Count);
        // Not before the power held 30 s from its last return.
        Assert.All(starts, at => Assert.True(at >= TimeSpan.FromSeconds(105), $"started at {at}"));
        Assert.Contains(_events, e => e.Event.Message.Contains("hold restarts", StringComparison.Ordinal));
        Assert.Contains(_events, e => e.Event.Severity == WatchSeverity.Notice && e.Event.Message.Contains("start on power return ended with exit status 0", StringComparison.Ordinal));
        using var journal = Journal.Open(_stateDir);
        Assert.Empty(journal.RestoreList());
    }

    [Fact(Timeout = 120_000)]
    public async Task With_on_power_return_nothing_the_guests_stay_off_after_the_power_is_back()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        var ups = new ScriptedUps(_time, t => t < TimeSpan.FromSeconds(30) ? ScriptedUps.OnBattery(80 - t.TotalSeconds) : ScriptedUps.OnLine());

        await WatchAsync(Config("nothing"), ups, until: TimeSpan.FromSeconds(120));

        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        Assert.DoesNotContain(_world.CallLog, c => c.Call == nameof(IGuestHost.Start));
        Assert.Contains(_events, e => e.Event.Message.Contains("stay off until `sundown start`", StringComparison.Ordinal));
        // The restore list waits for `sundown start` or the next boot.
        using var journal = Journal.Open(_stateDir);
        Assert.Single(journal.RestoreList());
    }

    [Fact(Timeout = 120_000)]
    public async Task An_unreadable_ups_is_said_at_err_once_a_minute_and_at_notice_when_it_answers_again_and_watch_goes_on()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        // No answer from 10 s to 100 s; then on line.
        var ups = new ScriptedUps(_time, t => t >= TimeSpan.FromSeconds(10) && t < TimeSpan.FromSeconds(100) ? null : ScriptedUps.OnLine());

        await WatchAsync(Config("nothing"), ups, until: TimeSpan.FromSeconds(120));

        var errors = _events.Where(e => e.Event.Severity == WatchSeverity.Error).ToList();
        // At 10 s and again a minute later, not at every reading of the 90 s.
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Contains("DRIVER-NOT-CONNECTED", e.Event.Message, StringComparison.Ordinal));
        Assert.True(errors[1].At - errors[0].At >= TimeSpan.FromMinutes(1));
        var again = Assert.Single(_events, e => e.Event.Severity == WatchSeverity.Notice && e.Event.Message.Contains("answers again", StringComparison.Ordinal));
        Assert.InRange(again.At, TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(103));
        Assert.Equal(GuestState.Running, _world[web.Uuid].Info.State);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_ups_that_goes_silent_on_battery_is_counted_down_and_the_stop_still_begins_in_time()
    {
        var deaf = _world.Add("deaf", new(AcpiDelay: null));
        // On battery from the start with 200 s, falling a second a second; silent from 20 s on (a
        // upsd across a switch that the cut took down).
        var ups = new ScriptedUps(_time, t => t < TimeSpan.FromSeconds(20) ? ScriptedUps.OnBattery(200 - t.TotalSeconds) : null);

        await WatchAsync(Config("nothing"), ups, until: TimeSpan.FromSeconds(220));

        var stopAt = Assert.Single(_events, e => e.Event.Severity == WatchSeverity.Critical).At;
        var trigger = WatchTrigger.TriggerRuntime(TimeSpan.FromSeconds(40), s_margin, WatchTrigger.PollInterval).TotalSeconds;
        // Begun when the battery, counted down from its last word, reached the trigger point (two
        // readings and a tick after it at most), and the deaf guest is off before the margin.
        Assert.InRange(200 - stopAt.TotalSeconds, trigger - 4.5, trigger + 1);
        Assert.Equal(GuestState.Shutoff, _world[deaf.Uuid].Info.State);
        Assert.True(_world[deaf.Uuid].OffAt - _began <= TimeSpan.FromSeconds(200) - s_margin, $"off at {_world[deaf.Uuid].OffAt - _began}");
        Assert.Contains(_events, e => e.Event.Severity == WatchSeverity.Error && e.Event.Message.Contains("counting that down", StringComparison.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    public async Task Sigterm_while_its_stop_runs_does_not_interrupt_it_and_watch_ends_after_it()
    {
        var slow = _world.Add("slow", new(AcpiDelay: TimeSpan.FromSeconds(15)));
        var ups = new ScriptedUps(_time, t => ScriptedUps.OnBattery(90 - t.TotalSeconds));
        using var sigterm = new CancellationTokenSource();

        // SIGTERM the moment the stop is triggered.
        var ended = await WatchAsync(Config("nothing"), ups, until: TimeSpan.FromMinutes(5), sigterm, onEvent: e =>
        {
            if (e.Severity == WatchSeverity.Critical)
            {
                sigterm.Cancel();
            }
        });

        Assert.Equal("shutdown", _world[slow.Uuid].OffBy);
        Assert.InRange(ended, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(20));
        using var journal = Journal.Open(_stateDir);
        Assert.NotNull(Assert.Single(journal.ListRuns()).FinishedAt);
    }

    [Fact(Timeout = 120_000)]
    public async Task Sigterm_while_it_only_follows_ends_watch_at_once_and_removes_its_status_file()
    {
        _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        string statusFile = Path.Combine(_stateDir, "run", "watch.json");
        WatchStatus? seen = null;
        var ups = new ScriptedUps(_time, t =>
        {
            if (t >= TimeSpan.FromSeconds(6))
            {
                seen ??= WatchStatusFile.Read(statusFile);
            }

            return ScriptedUps.OnBattery(1200);
        });
        using var sigterm = new CancellationTokenSource();
        _ = _time.CreateTimer(_ => sigterm.Cancel(), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);

        var ended = await WatchAsync(Config("nothing"), ups, until: TimeSpan.FromMinutes(5), sigterm, statusFile: statusFile);

        Assert.InRange(ended, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10.5));
        Assert.NotNull(seen);
        Assert.Equal(WatchPhase.OnBattery, seen.Phase);
        Assert.Equal(TimeSpan.FromSeconds(1200), seen.Runtime);
        Assert.NotNull(seen.WorstCase);
        Assert.Equal(WatchTrigger.TriggerRuntime(seen.WorstCase.Value, s_margin, WatchTrigger.PollInterval).TotalSeconds, seen.TriggerRuntime!.Value.TotalSeconds, precision: 1);
        Assert.Equal(Environment.ProcessId, seen.Pid);
        Assert.False(File.Exists(statusFile));
        Assert.All(_world.Guests, g => Assert.Equal(GuestState.Running, g.Info.State));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_shutdown_announced_by_logind_begins_the_stop_at_once_with_the_configs_budget_without_any_ups()
    {
        var quick = _world.Add("quick", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        var deaf = _world.Add("deaf", new(AcpiDelay: null));
        var shutdowns = new ShutdownAnnouncements();
        // PrepareForShutdown(true) at 3 s: a poweroff requested.
        _ = _time.CreateTimer(_ => shutdowns.Announce(true), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);

        await WatchAsync(LogindOnlyConfig(), null, until: TimeSpan.FromSeconds(90), shutdowns: shutdowns);

        var first = _world.CallLog.First(c => c.Call == nameof(IGuestHost.Shutdown)).At - _began;
        Assert.InRange(first, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3.5));
        Assert.Equal("shutdown", _world[quick.Uuid].OffBy);
        // The deaf guest at its own deadline, the config's acpi 20s, within the config's 30 s budget.
        Assert.Equal(GuestState.Shutoff, _world[deaf.Uuid].Info.State);
        Assert.InRange((_world[deaf.Uuid].OffAt - _began)!.Value, TimeSpan.FromSeconds(23), TimeSpan.FromSeconds(33));
        Assert.Contains(_events, e => e.Event.Severity == WatchSeverity.Info && e.Event.Message.Contains("no [ups]", StringComparison.Ordinal));
        Assert.Contains(_events, e => e.Event.Severity == WatchSeverity.Notice && e.Event.Message.Contains("the guests' stop begins now, with the config's budget, 30s", StringComparison.Ordinal));
        using var journal = Journal.Open(_stateDir);
        var run = Assert.Single(journal.ListRuns());
        Assert.Equal((RunKind.Stop, 3), (run.Kind, run.ExitCode));
        Assert.Equal(2, journal.RestoreList().Count);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_shutdown_cancelled_while_its_stop_runs_starts_the_guests_again_once_the_stop_ended()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        var db = _world.Add("db", new(AcpiDelay: TimeSpan.FromSeconds(8)));
        var shutdowns = new ShutdownAnnouncements();
        // Requested at 3 s; at 8 s logind's shutdown job failed (PrepareForShutdown(false)): the host stays up.
        _ = _time.CreateTimer(_ => shutdowns.Announce(true), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        _ = _time.CreateTimer(_ => shutdowns.Announce(false), null, TimeSpan.FromSeconds(8), Timeout.InfiniteTimeSpan);

        await WatchAsync(LogindOnlyConfig(), null, until: TimeSpan.FromSeconds(60), shutdowns: shutdowns);

        Assert.Equal(GuestState.Running, _world[web.Uuid].Info.State);
        Assert.Equal(GuestState.Running, _world[db.Uuid].Info.State);
        // Each started once, after the stop had brought the slower one down (at 11 s).
        var starts = _world.CallLog.Where(c => c.Call == nameof(IGuestHost.Start)).Select(c => c.At - _began).ToList();
        Assert.Equal(2, starts.Count);
        Assert.All(starts, at => Assert.True(at >= TimeSpan.FromSeconds(11), $"started at {at}"));
        Assert.Contains(_events, e => e.Event.Message.Contains("start after the cancelled shutdown ended with exit status 0", StringComparison.Ordinal));
        using var journal = Journal.Open(_stateDir);
        Assert.Equal([RunKind.Stop, RunKind.Start], journal.ListRuns().OrderBy(r => r.Id).Select(r => r.Kind));
        Assert.Empty(journal.RestoreList());
    }

    [Fact(Timeout = 120_000)]
    public async Task A_shutdown_announced_after_the_ups_stop_begins_nothing_and_the_power_return_starts_nothing()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        // Below the trigger at once, so watch stops the guest for the battery; the power is back at
        // 30 s, and upsmon's shutdown (already requested at 20 s) goes on: nothing may start.
        var ups = new ScriptedUps(_time, t => t < TimeSpan.FromSeconds(30) ? ScriptedUps.OnBattery(80 - t.TotalSeconds) : ScriptedUps.OnLine());
        var shutdowns = new ShutdownAnnouncements();
        _ = _time.CreateTimer(_ => shutdowns.Announce(true), null, TimeSpan.FromSeconds(20), Timeout.InfiniteTimeSpan);

        await WatchAsync(Config("start 5s"), ups, until: TimeSpan.FromSeconds(90), shutdowns: shutdowns);

        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        Assert.DoesNotContain(_world.CallLog, c => c.Call == nameof(IGuestHost.Start));
        Assert.Single(_world.CallLog, c => c.Call == nameof(IGuestHost.Shutdown));
        Assert.Contains(_events, e => e.Event.Message.Contains("the guests were stopped already (for the UPS)", StringComparison.Ordinal));
        Assert.Contains(_events, e => e.Event.Message.Contains("the UPS's power return starts nothing", StringComparison.Ordinal));
        using var journal = Journal.Open(_stateDir);
        Assert.Single(journal.ListRuns());
    }

    [Fact(Timeout = 120_000)]
    public async Task A_shutdown_cancelled_after_the_ups_stop_starts_nothing_and_on_power_return_still_decides()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        // Stopped for the battery at once; a shutdown requested at 20 s and cancelled at 25 s,
        // still on battery: the guest stays off (it would start on a battery at its trigger).
        var ups = new ScriptedUps(_time, _ => ScriptedUps.OnBattery(80 - _time.GetUtcNow().Subtract(_began).TotalSeconds));
        var shutdowns = new ShutdownAnnouncements();
        _ = _time.CreateTimer(_ => shutdowns.Announce(true), null, TimeSpan.FromSeconds(20), Timeout.InfiniteTimeSpan);
        _ = _time.CreateTimer(_ => shutdowns.Announce(false), null, TimeSpan.FromSeconds(25), Timeout.InfiniteTimeSpan);

        await WatchAsync(Config("start 5s"), ups, until: TimeSpan.FromSeconds(40), shutdowns: shutdowns);

        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        Assert.DoesNotContain(_world.CallLog, c => c.Call == nameof(IGuestHost.Start));
        Assert.Contains(_events, e => e.Event.Message.Contains("the guests were not stopped by watch for it (the UPS's on_power_return decides), so nothing is started", StringComparison.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_primary_with_fsd_sets_it_once_before_its_own_stop_and_triggers_early_enough_for_the_racks_slowest_secondary()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        // On line for 10 s, then on battery from 400 s of runtime, falling one second a second.
        static double Runtime(TimeSpan t) => 400 - (t.TotalSeconds - 10);
        var ups = new ScriptedUps(_time, t => t < TimeSpan.FromSeconds(10) ? ScriptedUps.OnLine() : ScriptedUps.OnBattery(Runtime(t)));
        var fsd = new ForcedShutdowns(_time, _world);

        await WatchAsync(RackConfig(fsd: true, secondaryNeeds: "3m"), ups, until: TimeSpan.FromSeconds(330), configure: r => r with { SetForcedShutdown = fsd.SetAsync });

        var set = Assert.Single(fsd.Calls);
        var firstStep = _world.CallLog.First(c => c.Call == nameof(IGuestHost.Shutdown)).At - _began;
        Assert.False(set.GuestsStopping, "FSD was set after the guests' stop began");
        Assert.True(set.At - _began <= firstStep, $"FSD at {set.At - _began}, the first step at {firstStep}");
        // At the trigger for db1's 3m (two readings and a tick after it at most), where this host's
        // own plan (acpi 40s and a destroy, under 45 s) would have waited until below this.
        double runtimeAtFsd = Runtime(set.At - _began);
        var rackTrigger = WatchTrigger.TriggerRuntime(TimeSpan.FromMinutes(3), s_margin, WatchTrigger.PollInterval).TotalSeconds;
        Assert.InRange(runtimeAtFsd, rackTrigger - 4.5, rackTrigger);
        Assert.True(runtimeAtFsd > WatchTrigger.TriggerRuntime(TimeSpan.FromSeconds(45), s_margin, WatchTrigger.PollInterval).TotalSeconds + 60);
        Assert.Equal("shutdown", _world[web.Uuid].OffBy);
        Assert.Contains(_events, e => e.Event.Severity == WatchSeverity.Info && e.Event.Message.Contains("the rack's slowest host (db1) needs 3m: FSD is set and the guests' stop begins when battery.runtime is 4m49s or less", StringComparison.Ordinal));
        var said = Assert.Single(_events, e => e.Event.Message.StartsWith("setting FSD", StringComparison.Ordinal));
        Assert.Equal(WatchSeverity.Critical, said.Event.Severity);
        Assert.Contains("setting FSD on the UPS sundown@127.0.0.1:3493: the whole rack goes down now (the rack's slowest host, db1, needs 3m)", said.Event.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_events, e => e.Event.Severity == WatchSeverity.Error);
        using var journal = Journal.Open(_stateDir);
        Assert.Single(journal.ListRuns());
    }

    [Fact(Timeout = 120_000)]
    public async Task A_secondary_quicker_than_the_primary_leaves_the_trigger_at_its_own_worst_case_and_fsd_is_still_set_for_its_guests()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        static double Runtime(TimeSpan t) => 300 - t.TotalSeconds;
        var ups = new ScriptedUps(_time, t => ScriptedUps.OnBattery(Runtime(t)));
        var fsd = new ForcedShutdowns(_time, _world);

        await WatchAsync(RackConfig(fsd: true, secondaryNeeds: "10s"), ups, until: TimeSpan.FromSeconds(250), configure: r => r with { SetForcedShutdown = fsd.SetAsync });

        var set = Assert.Single(fsd.Calls);
        Assert.False(set.GuestsStopping);
        Assert.True(Runtime(set.At - _began) <= WatchTrigger.TriggerRuntime(TimeSpan.FromSeconds(45), s_margin, WatchTrigger.PollInterval).TotalSeconds, $"FSD at runtime {Runtime(set.At - _began)}");
        Assert.Equal("shutdown", _world[web.Uuid].OffBy);
        Assert.Contains(_events, e => e.Event.Severity == WatchSeverity.Info && e.Event.Message.Contains(": FSD is set and the guests' stop begins", StringComparison.Ordinal) && !e.Event.Message.Contains("db1", StringComparison.Ordinal));
        Assert.Contains(_events, e => e.Event.Severity == WatchSeverity.Critical && e.Event.Message.Contains("(this host's guests need it)", StringComparison.Ordinal));
    }

    [Theory(Timeout = 120_000)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task Without_fsd_or_without_a_way_to_set_it_watch_sets_no_fsd_and_counts_only_its_own_worst_case(bool fsdInConfig, bool withDelegate)
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        static double Runtime(TimeSpan t) => 400 - t.TotalSeconds;
        var ups = new ScriptedUps(_time, t => ScriptedUps.OnBattery(Runtime(t)));
        var fsd = new ForcedShutdowns(_time, _world);
        // fsd = true needs the credentials the config parser insists on; without, the primary only lists its rack.
        var config = RackConfig(fsd: fsdInConfig, secondaryNeeds: "3m");

        await WatchAsync(config, ups, until: TimeSpan.FromSeconds(350), configure: r => withDelegate ? r with { SetForcedShutdown = fsd.SetAsync } : r);

        Assert.Empty(fsd.Calls);
        var firstStep = _world.CallLog.First(c => c.Call == nameof(IGuestHost.Shutdown)).At - _began;
        Assert.True(Runtime(firstStep) <= WatchTrigger.TriggerRuntime(TimeSpan.FromSeconds(45), s_margin, WatchTrigger.PollInterval).TotalSeconds, $"the stop began at runtime {Runtime(firstStep)}");
        Assert.Equal("shutdown", _world[web.Uuid].OffBy);
        Assert.DoesNotContain(_events, e => e.Event.Message.Contains("FSD", StringComparison.Ordinal));
        Assert.Single(_events, e => e.Event.Severity == WatchSeverity.Critical);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_reading_that_already_says_fsd_begins_the_stop_without_setting_it_again()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        // On battery with plenty left; at 10 s another primary's upsmon (or an operator) set FSD.
        var ups = new ScriptedUps(_time, t => t < TimeSpan.FromSeconds(10)
            ? ScriptedUps.OnBattery(1200 - t.TotalSeconds)
            : new UpsReading(["OB", "FSD"], TimeSpan.FromSeconds(1200 - t.TotalSeconds), TimeSpan.FromSeconds(30), 90));
        var fsd = new ForcedShutdowns(_time, _world);

        await WatchAsync(RackConfig(fsd: true, secondaryNeeds: "3m"), ups, until: TimeSpan.FromSeconds(60), configure: r => r with { SetForcedShutdown = fsd.SetAsync });

        Assert.Empty(fsd.Calls);
        var stop = Assert.Single(_events, e => e.Event.Severity == WatchSeverity.Critical);
        Assert.Contains("the UPS reports a forced shutdown (FSD)", stop.Event.Message, StringComparison.Ordinal);
        Assert.InRange(stop.At, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(12.5));
        Assert.DoesNotContain(_events, e => e.Event.Message.StartsWith("setting FSD", StringComparison.Ordinal));
        Assert.Equal("shutdown", _world[web.Uuid].OffBy);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_stop_begun_on_the_safe_side_because_the_ups_reports_no_runtime_sets_no_fsd()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        // A cheap UPS: on battery, no battery.runtime. The guests' stop begins at once (nothing
        // tells how long the battery lasts), but FSD, which upsd keeps, would take the rack down
        // for what may be a blip.
        var ups = new ScriptedUps(_time, _ => new UpsReading(["OB"], null, null, 90));
        var fsd = new ForcedShutdowns(_time, _world);

        await WatchAsync(RackConfig(fsd: true, secondaryNeeds: "3m"), ups, until: TimeSpan.FromSeconds(60), configure: r => r with { SetForcedShutdown = fsd.SetAsync });

        Assert.Empty(fsd.Calls);
        Assert.Single(_events, e => e.Event.Severity == WatchSeverity.Critical);
        var notSet = Assert.Single(_events, e => e.Event.Message.StartsWith("FSD is not set", StringComparison.Ordinal));
        Assert.Contains("the UPS reports no battery.runtime", notSet.Event.Message, StringComparison.Ordinal);
        Assert.Equal("shutdown", _world[web.Uuid].OffBy);
    }

    [Fact(Timeout = 120_000)]
    public async Task Fsd_refused_by_upsd_is_said_at_err_and_the_guests_stop_still_runs()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        var ups = new ScriptedUps(_time, t => ScriptedUps.OnBattery(300 - t.TotalSeconds));
        var fsd = new ForcedShutdowns(_time, _world, new UpsException(UpsErrorKind.Refused, "upsd at 127.0.0.1:3493 answered ERR ACCESS-DENIED to FSD sundown", "ACCESS-DENIED"));

        await WatchAsync(RackConfig(fsd: true, secondaryNeeds: "3m"), ups, until: TimeSpan.FromSeconds(120), configure: r => r with { SetForcedShutdown = fsd.SetAsync });

        Assert.Single(fsd.Calls);
        var error = Assert.Single(_events, e => e.Event.Severity == WatchSeverity.Error);
        Assert.StartsWith("cannot set FSD on the UPS sundown@127.0.0.1:3493: upsd at 127.0.0.1:3493 answered ERR ACCESS-DENIED to FSD sundown; each host's watch still stops its own guests", error.Event.Message, StringComparison.Ordinal);
        Assert.Equal("shutdown", _world[web.Uuid].OffBy);
        var ended = Assert.Single(_events, e => e.Event.Severity == WatchSeverity.Notice && e.Event.Message.Contains("the guests' stop (run", StringComparison.Ordinal));
        Assert.True(error.At <= ended.At);
        using var journal = Journal.Open(_stateDir);
        Assert.NotNull(Assert.Single(journal.ListRuns()).FinishedAt);
    }

    [Fact(Timeout = 120_000)]
    public async Task The_status_file_carries_the_logins_state_as_it_is_at_each_write()
    {
        _world.Add("web", new(AcpiDelay: TimeSpan.FromSeconds(2)));
        string statusFile = Path.Combine(_stateDir, "run", "watch.json");
        WatchStatus? early = null, later = null;
        string? json = null;
        var ups = new ScriptedUps(_time, t =>
        {
            if (t >= TimeSpan.FromSeconds(2))
            {
                early ??= WatchStatusFile.Read(statusFile);
            }

            if (t >= TimeSpan.FromSeconds(10))
            {
                later ??= WatchStatusFile.Read(statusFile);
                json ??= File.ReadAllText(statusFile);
            }

            return ScriptedUps.OnLine();
        });
        var config = ConfigParser.Parse(
            """
            [ups]
            name = "sundown@127.0.0.1:3493"
            role = "secondary"
            user = "upssecondary"
            password = "pw"
            """,
            "watch.toml");
        string Login() => _time.GetUtcNow() - _began < TimeSpan.FromSeconds(5) ? "logging in" : "held as upssecondary since 01:00:05 UTC";

        await WatchAsync(config, ups, until: TimeSpan.FromSeconds(12), statusFile: statusFile, configure: r => r with { LoginState = Login });

        Assert.Equal("logging in", early!.Login);
        Assert.Equal("held as upssecondary since 01:00:05 UTC", later!.Login);
        using var document = System.Text.Json.JsonDocument.Parse(json!);
        Assert.Equal("held as upssecondary since 01:00:05 UTC", document.RootElement.GetProperty("login").GetString());
    }

    [Fact(Timeout = 120_000)]
    public async Task Without_a_login_the_status_files_login_is_null()
    {
        string statusFile = Path.Combine(_stateDir, "run", "watch.json");
        string? json = null;
        var ups = new ScriptedUps(_time, t =>
        {
            if (t >= TimeSpan.FromSeconds(2))
            {
                json ??= File.ReadAllText(statusFile);
            }

            return ScriptedUps.OnLine();
        });

        await WatchAsync(Config("nothing"), ups, until: TimeSpan.FromSeconds(5), statusFile: statusFile);

        using var document = System.Text.Json.JsonDocument.Parse(json!);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, document.RootElement.GetProperty("login").ValueKind);
    }

    /// <summary>Runs watch on virtual time until <paramref name="until"/> or the SIGTERM; returns when it ended.</summary>
    /// <param name="ups">Null: a config without [ups].</param>
    private async Task<TimeSpan> WatchAsync(
        SundownConfig config, ScriptedUps? ups, TimeSpan until, CancellationTokenSource? sigterm = null, Action<WatchEvent>? onEvent = null, string? statusFile = null,
        ShutdownAnnouncements? shutdowns = null, Func<WatchRequest, WatchRequest>? configure = null)
    {
        using var end = new CancellationTokenSource(until, _time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(end.Token, sigterm?.Token ?? CancellationToken.None);
        var request = new WatchRequest(config, config.Ups, [_world.Uri], _stateDir, statusFile) { Shutdowns = shutdowns };
        request = configure?.Invoke(request) ?? request;
        await VirtualClock.RunAsync(
            _time,
            async () =>
            {
                await WatchLoop.RunAsync(request, ups, Open, Open, _time, (e, at) =>
                {
                    _events.Enqueue((e, at - _began));
                    onEvent?.Invoke(e);
                }, null, either.Token);
                return true;
            },
            until + TimeSpan.FromMinutes(5));
        foreach (var (e, at) in _events)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"[{at.TotalSeconds,6:0.0}s] {e.Severity}: {e.Message}");
        }

        return _time.GetUtcNow() - _began;
    }

    private IGuestHost Open(string uri) => new SimulatedConnection(_world);

    private static SundownConfig LogindOnlyConfig() => ConfigParser.Parse(
        """
        budget = "30s"
        [defaults]
        stop = ["acpi 20s", "destroy"]
        """,
        "watch.toml");

    private static SundownConfig Config(string onPowerReturn) => ConfigParser.Parse(
        $"""
        [defaults]
        stop = ["acpi 40s", "destroy"]

        [ups]
        name = "sundown@127.0.0.1:3493"
        margin = "60s"
        on_power_return = "{onPowerReturn}"
        """,
        "watch.toml");

    /// <summary>
    /// A rack's primary, with one secondary, db1, whose plan needs <paramref name="secondaryNeeds"/>;
    /// this host's own plan is acpi 40s and a destroy.
    /// </summary>
    private static SundownConfig RackConfig(bool fsd, string secondaryNeeds) => ConfigParser.Parse(
        $"""
        [defaults]
        stop = ["acpi 40s", "destroy"]

        [ups]
        name = "sundown@127.0.0.1:3493"
        margin = "60s"
        on_power_return = "nothing"
        role = "primary"
        {(fsd ? "user = \"upsprimary\"\npassword = \"pw\"\nfsd = true" : "")}

        [[ups.secondary]]
        host = "db1"
        needs = "{secondaryNeeds}"
        margin = "30s"
        """,
        "watch.toml");

    /// <summary>Stands in for NutUps.SetForcedShutdownAsync: notes each call, when, and whether the guests' stop had begun; throws what it is given.</summary>
    private sealed class ForcedShutdowns(TimeProvider time, SimulatedHost world, UpsException? refusal = null)
    {
        private readonly ConcurrentQueue<(DateTimeOffset At, bool GuestsStopping)> _calls = new();

        internal IReadOnlyList<(DateTimeOffset At, bool GuestsStopping)> Calls => [.. _calls];

        internal Task SetAsync(CancellationToken cancellation)
        {
            _calls.Enqueue((time.GetUtcNow(), world.CallLog.Any(c => c.Call is nameof(IGuestHost.Shutdown) or nameof(IGuestHost.Destroy) or nameof(IGuestHost.ManagedSave))));
            return refusal is null ? Task.CompletedTask : Task.FromException(refusal);
        }
    }
}
