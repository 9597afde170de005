using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Policy;
using Sundown.Engine.Reports;
using Sundown.Engine.Starting;
using Sundown.Engine.Stopping;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Starting;

/// <summary>Stop, then start, on the simulated host (on the real clock: its guests are quick).</summary>
public sealed class StartRunTests : IDisposable
{
    private static readonly TimeSpan s_quick = TimeSpan.FromMilliseconds(50);
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-start-").FullName;
    private readonly SimulatedHost _world = new(TimeProvider.System);

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task Start_brings_back_exactly_what_ran_saved_ones_resumed_paused_ones_paused()
    {
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        var deaf = _world.Add("deaf", new(AcpiDelay: null, SaveTime: s_quick));
        var paused = _world.Add("paused", new(AcpiDelay: s_quick), GuestState.Paused);
        var cold = _world.Add("cold", new(AcpiDelay: s_quick), GuestState.Shutoff);
        var config = Config("[defaults]\nstop = [\"acpi 1s\", \"save\"]\n");
        await StopAsync(config);

        var start = await StartAsync(config);

        Assert.Equal(ExitCodes.Ok, start.ExitCode);
        var outcomes = start.Report.Guests.ToDictionary(g => g.Name, g => g.Outcome);
        Assert.Equal(new Dictionary<string, string?> { ["web"] = "started", ["deaf"] = "restored", ["paused"] = "restored" }, outcomes);
        Assert.Equal(GuestState.Running, _world[web.Uuid].Info.State);
        Assert.Equal(GuestState.Running, _world[deaf.Uuid].Info.State);
        Assert.Equal(0, _world[deaf.Uuid].Boots);
        Assert.Equal(GuestState.Paused, _world[paused.Uuid].Info.State);
        Assert.Equal(GuestState.Shutoff, _world[cold.Uuid].Info.State);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_restore_list_is_consumed_once_and_a_dry_run_leaves_it()
    {
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        var config = Config("");
        await StopAsync(config);

        var dry = await StartAsync(config, dryRun: true);
        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        Assert.Equal("started", Assert.Single(dry.Report.Guests).Outcome);
        var first = await StartAsync(config);
        var second = await StartAsync(config);

        Assert.Equal("started", Assert.Single(first.Report.Guests).Outcome);
        Assert.Empty(second.Report.Guests);
        Assert.Equal(ExitCodes.Ok, second.ExitCode);
        Assert.Equal(1, _world[web.Uuid].Boots);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_guest_already_running_is_left_alone_and_a_vanished_one_is_reported()
    {
        var autostarted = _world.Add("autostarted", new(AcpiDelay: s_quick));
        var vanished = _world.Add("vanished", new(AcpiDelay: s_quick));
        var config = Config("");
        await StopAsync(config);
        _world.Start(autostarted.Uuid);
        _world.Undefine(vanished.Uuid);

        var start = await StartAsync(config);

        Assert.Equal(ExitCodes.Ok, start.ExitCode);
        var byName = start.Report.Guests.ToDictionary(g => g.Name);
        Assert.Equal("skipped", byName["autostarted"].Outcome);
        Assert.Contains("already running", byName["autostarted"].Steps.Single().Error, StringComparison.Ordinal);
        Assert.Equal("skipped", byName["vanished"].Outcome);
        Assert.Contains("definition is gone", byName["vanished"].Steps.Single().Error, StringComparison.Ordinal);
        Assert.Equal(1, _world[autostarted.Uuid].Boots);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_start_that_fails_with_a_passing_error_is_tried_again_and_a_lasting_one_is_reported()
    {
        var flaky = _world.Add("flaky", new(AcpiDelay: s_quick));
        var broken = _world.Add("broken", new(AcpiDelay: s_quick));
        var config = Config("");
        await StopAsync(config);
        _world[flaky.Uuid].StartFailures = 1;
        _world[broken.Uuid].StartFailures = 10;

        var start = await StartAsync(config);

        Assert.Equal(ExitCodes.SomeFailed, start.ExitCode);
        Assert.Equal("started", start.Report.Guests.Single(g => g.Uuid == flaky.Uuid).Outcome);
        var failed = start.Report.Guests.Single(g => g.Uuid == broken.Uuid);
        Assert.Equal("failed", failed.Outcome);
        Assert.Contains("Resource temporarily unavailable", failed.Steps.Single().Error, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Tiers_start_in_ascending_order_with_the_start_delay_between_them()
    {
        var db = _world.Add("db", new(AcpiDelay: s_quick));
        var app = _world.Add("app", new(AcpiDelay: s_quick));
        var config = Config("[[guest]]\nmatch = \"db\"\norder = 10\nstart_delay = \"1s\"\n[[guest]]\nmatch = \"app\"\norder = 20\n");
        await StopAsync(config);

        var start = await StartAsync(config);

        var dbStarted = start.Report.Guests.Single(g => g.Uuid == db.Uuid).Steps.Single().StartedAt;
        var appStarted = start.Report.Guests.Single(g => g.Uuid == app.Uuid).Steps.Single().StartedAt;
        // The journal keeps milliseconds and timers may fire a tick early: allow a few of them.
        // Without the delay, the app would start a few milliseconds after the database.
        Assert.True(appStarted - dbStarted >= TimeSpan.FromSeconds(0.95), $"app started {appStarted - dbStarted} after db");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_manual_stop_then_a_reboots_stop_bring_back_both_lists()
    {
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        var db = _world.Add("db", new(AcpiDelay: s_quick));
        var config = Config("");
        // By hand: only web. Then the reboot's stop finds web off and stops db.
        await StopRun.RunAsync(new StopRequest(config, [_world.Uri], TimeSpan.FromMinutes(1), ["web"], _stateDir), Open, TimeProvider.System, null, CancellationToken.None);
        await StopAsync(config);

        var start = await StartAsync(config);

        Assert.Equal(ExitCodes.Ok, start.ExitCode);
        Assert.Equal(["db", "web"], start.Report.Guests.Select(g => g.Name).Order(StringComparer.Ordinal));
        Assert.Equal(GuestState.Running, _world[web.Uuid].Info.State);
        Assert.Equal(GuestState.Running, _world[db.Uuid].Info.State);
    }

    [Fact(Timeout = 60_000)]
    public async Task Start_of_one_host_consumes_only_that_hosts_entries()
    {
        var other = new SimulatedHost(TimeProvider.System, "sim:///other");
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        var far = other.Add("far", new(AcpiDelay: s_quick));
        var config = Config("");
        IGuestHost OpenBoth(string uri) => new SimulatedConnection(uri == other.Uri ? other : _world);
        await StopRun.RunAsync(new StopRequest(config, [_world.Uri, other.Uri], TimeSpan.FromMinutes(1), null, _stateDir), OpenBoth, TimeProvider.System, null, CancellationToken.None);

        var first = await StartRun.RunAsync(new StartRequest(config, [_world.Uri], false, _stateDir), OpenBoth, TimeProvider.System, null, CancellationToken.None);

        Assert.Equal(["web"], first.Report.Guests.Select(g => g.Name));
        Assert.Equal(GuestState.Shutoff, other[far.Uuid].Info.State);
        var second = await StartRun.RunAsync(new StartRequest(config, [other.Uri], false, _stateDir), OpenBoth, TimeProvider.System, null, CancellationToken.None);
        Assert.Equal(["far"], second.Report.Guests.Select(g => g.Name));
        Assert.Equal(GuestState.Running, other[far.Uuid].Info.State);
        Assert.Equal(1, _world[web.Uuid].Boots);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_host_that_cannot_be_reached_at_start_is_a_fault_with_exit_4_and_its_entries_wait()
    {
        var other = new SimulatedHost(TimeProvider.System, "sim:///other");
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        var far = other.Add("far", new(AcpiDelay: s_quick));
        var config = Config("");
        IGuestHost OpenBoth(string uri) => new SimulatedConnection(uri == other.Uri ? other : _world);
        await StopRun.RunAsync(new StopRequest(config, [_world.Uri, other.Uri], TimeSpan.FromMinutes(1), null, _stateDir), OpenBoth, TimeProvider.System, null, CancellationToken.None);
        var faults = new List<Fault>();

        var start = await StartRun.RunAsync(
            new StartRequest(config, [_world.Uri, other.Uri], false, _stateDir),
            uri => uri == other.Uri ? throw new HostException(HostErrorKind.ConnectionLost, "Connection refused") : OpenBoth(uri),
            TimeProvider.System, null, CancellationToken.None, faults.Add);

        Assert.Equal(ExitCodes.SomeFailed, start.ExitCode);
        Assert.Equal(["web"], start.Report.Guests.Select(g => g.Name));
        var fault = Assert.Single(start.Report.Faults);
        Assert.Equal((FaultKinds.Host, other.Uri), (fault.Kind, fault.Subject));
        Assert.Equal([fault], faults);
        var later = await StartRun.RunAsync(new StartRequest(config, [other.Uri], false, _stateDir), OpenBoth, TimeProvider.System, null, CancellationToken.None);
        Assert.Equal(["far"], later.Report.Guests.Select(g => g.Name));
        Assert.Equal(GuestState.Running, other[far.Uuid].Info.State);
        Assert.Equal(GuestState.Running, _world[web.Uuid].Info.State);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_interrupted_start_leaves_the_guests_it_did_not_reach_on_the_restore_list()
    {
        var db = _world.Add("db", new(AcpiDelay: s_quick));
        var app = _world.Add("app", new(AcpiDelay: s_quick));
        var config = Config("[[guest]]\nmatch = \"db\"\norder = 10\nstart_delay = \"30s\"\n[[guest]]\nmatch = \"app\"\norder = 20\n");
        await StopAsync(config);
        // Interrupted during db's start delay: app is never reached.
        using var interrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        var start = await StartRun.RunAsync(new StartRequest(config, [_world.Uri], false, _stateDir), Open, TimeProvider.System, null, interrupt.Token);

        Assert.Equal(ExitCodes.Interrupted, start.ExitCode);
        Assert.Equal(GuestState.Running, _world[db.Uuid].Info.State);
        Assert.Equal(GuestState.Shutoff, _world[app.Uuid].Info.State);
        var next = await StartAsync(config);
        Assert.Equal(["app"], next.Report.Guests.Select(g => g.Name));
        Assert.Equal(GuestState.Running, _world[app.Uuid].Info.State);
    }

    private async Task StopAsync(SundownConfig config)
    {
        var stop = await StopRun.RunAsync(new StopRequest(config, [_world.Uri], TimeSpan.FromMinutes(1), null, _stateDir), Open, TimeProvider.System, null, CancellationToken.None);
        Assert.All(_world.Guests, g => Assert.Equal(GuestState.Shutoff, g.Info.State));
        Assert.NotEqual(ExitCodes.SomeFailed, stop.ExitCode);
    }

    private Task<StartResult> StartAsync(SundownConfig config, bool dryRun = false) =>
        StartRun.RunAsync(new StartRequest(config, [_world.Uri], dryRun, _stateDir), Open, TimeProvider.System, null, CancellationToken.None);

    private IGuestHost Open(string uri) => new SimulatedConnection(_world);

    private static SundownConfig Config(string toml) => ConfigParser.Parse(toml, "test.toml");
}
