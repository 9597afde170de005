using System.Diagnostics;
using System.Globalization;
using Sundown.Core.Config;
using Sundown.Core.Hooks;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Execution;
using Sundown.Engine.Hooks;
using Sundown.Engine.Reports;
using Sundown.Engine.Starting;
using Sundown.Engine.Stopping;
using Sundown.Engine.Tests.Execution;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Hooks;

/// <summary>Whole stops and starts with hooks: the simulated host on the real clock, real hook processes, the journal on disk.</summary>
public sealed class HooksInRunsTests : IDisposable
{
    private static readonly TimeSpan s_quick = TimeSpan.FromMilliseconds(50);
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-hookruns-").FullName;
    private readonly string _out = Directory.CreateTempSubdirectory("sundown-hookout-").FullName;
    private readonly SimulatedHost _world = new(TimeProvider.System);
    private readonly string _script;

    public HooksInRunsTests()
    {
        // Writes its whole environment, NUL-separated, to OUT/HOOK.UUID (the run's: OUT/HOOK.run).
        _script = Path.Combine(_out, "record-env");
        File.WriteAllText(_script, "#!/bin/sh\necho \"hook $SUNDOWN_HOOK says hello\"\nexec /usr/bin/env -0 > \"$1/$SUNDOWN_HOOK.${SUNDOWN_UUID:-run}\"\n");
        File.SetUnixFileMode(_script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose()
    {
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_out, recursive: true);
    }

    [Fact(Timeout = 90_000)]
    public async Task A_hanging_pre_stop_is_killed_within_its_share_and_the_guest_is_still_stopped_in_time_with_every_hooks_environment_right()
    {
        var quick = _world.Add("quick", new(AcpiDelay: s_quick));
        var deaf = _world.Add("deaf", new(AcpiDelay: null));
        var budget = TimeSpan.FromSeconds(12);
        var config = Config($"""
            [defaults]
            stop = ["acpi 6s", "destroy"]
            pre_stop = ["{_script}", "{_out}"]
            post_stop = ["{_script}", "{_out}"]

            [[guest]]
            match = "deaf"
            pre_stop = ["/bin/sleep", "600"]

            [hooks]
            pre_stop = ["{_script}", "{_out}"]
            post_stop = ["{_script}", "{_out}"]
            """);
        var watch = Stopwatch.StartNew();

        var stop = await StopRun.RunAsync(new StopRequest(config, [_world.Uri], budget, null, _stateDir), Open, TimeProvider.System, null, CancellationToken.None);

        // In time: the budget and the destroys' grace, whatever the hooks did.
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, budget + Core.Planning.Estimates.DestroyGrace);
        Assert.Equal(ExitCodes.SomeForced, stop.ExitCode);
        Assert.Equal(GuestState.Shutoff, _world[quick.Uuid].Info.State);
        Assert.Equal(GuestState.Shutoff, _world[deaf.Uuid].Info.State);
        var outcomes = stop.Report.Guests.ToDictionary(g => g.Name, g => g.Outcome);
        Assert.Equal("shutdown", outcomes["quick"]);
        Assert.Equal("destroyed", outcomes["deaf"]);

        // The hanging one: killed within its quarter of the graceful time, and the deaf guest still got its acpi step.
        var hung = Assert.Single(stop.Report.Hooks, h => h.Guest == "deaf" && h.Kind == HookKind.PreStop);
        Assert.Equal(HookResults.Timeout, hung.Result);
        Assert.InRange(hung.EndedAt - hung.StartedAt, TimeSpan.FromSeconds(0.5), (budget * RunHooks.PreStopShare) + TimeSpan.FromSeconds(1));
        var deafSteps = stop.Report.Guests.Single(g => g.Name == "deaf").Steps;
        Assert.Equal(["acpi", "destroy"], deafSteps.Select(s => s.Action));
        Assert.Contains(stop.Report.Faults, f => f.Kind == FaultKinds.Hook && f.Subject == "deaf" && f.Message.Contains("pre_stop", StringComparison.Ordinal));

        var quickPre = Environment("pre_stop", quick.Uuid);
        Assert.Equal(["LANG", "PATH", "SUNDOWN_DEADLINE", "SUNDOWN_GUEST", "SUNDOWN_HOOK", "SUNDOWN_RUN", "SUNDOWN_URI", "SUNDOWN_UUID"], quickPre.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("quick", quickPre["SUNDOWN_GUEST"]);
        Assert.Equal(_world.Uri, quickPre["SUNDOWN_URI"]);
        Assert.Equal(stop.Report.Run.ToString(CultureInfo.InvariantCulture), quickPre["SUNDOWN_RUN"]);
        var deadline = DateTimeOffset.Parse(quickPre["SUNDOWN_DEADLINE"], CultureInfo.InvariantCulture);
        Assert.InRange(deadline, stop.Report.StartedAt, stop.Report.StartedAt + budget + TimeSpan.FromSeconds(1));
        Assert.Equal("shutdown", Environment("post_stop", quick.Uuid)["SUNDOWN_OUTCOME"]);
        Assert.Equal("destroyed", Environment("post_stop", deaf.Uuid)["SUNDOWN_OUTCOME"]);
        Assert.False(File.Exists(Path.Combine(_out, $"pre_stop.{deaf.Uuid}")));

        var runPre = Environment("pre_stop", "run");
        Assert.Equal(["LANG", "PATH", "SUNDOWN_DEADLINE", "SUNDOWN_HOOK", "SUNDOWN_KIND", "SUNDOWN_RUN"], runPre.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("stop", runPre["SUNDOWN_KIND"]);
        Assert.Equal("shutdown=1 destroyed=1", Environment("post_stop", "run")["SUNDOWN_OUTCOME"]);

        // Journaled, output and all, and read back as report reads it.
        var report = RunHistory.Load(_stateDir, null)!;
        Assert.Equal(6, report.Hooks.Length);
        Assert.Equal(HookResults.Timeout, report.Hooks.Single(h => h.Guest == "deaf" && h.Kind == HookKind.PreStop).Result);
        var runPost = report.Hooks.Single(h => h.Guest is null && h.Kind == HookKind.PostStop);
        Assert.Equal((HookResults.Ok, 0, "hook post_stop says hello\n"), (runPost.Result, runPost.ExitCode, runPost.Output));
        Assert.Equal([_script, _out], runPost.Argv);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_failing_or_missing_hook_changes_no_outcome_and_is_a_fault()
    {
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        var config = Config("""
            [defaults]
            stop = ["acpi 5s", "destroy"]
            pre_stop = ["/nonexistent/pre"]
            post_stop = ["/bin/sh", "-c", "echo failing >&2; exit 7"]
            """);

        var stop = await StopRun.RunAsync(new StopRequest(config, [_world.Uri], TimeSpan.FromSeconds(30), null, _stateDir), Open, TimeProvider.System, null, CancellationToken.None);

        Assert.Equal(ExitCodes.Ok, stop.ExitCode);
        Assert.Equal("shutdown", Assert.Single(stop.Report.Guests).Outcome);
        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        var hooks = RunHistory.Load(_stateDir, null)!.Hooks;
        Assert.Equal((HookResults.Error, "/nonexistent/pre not found"), hooks.Where(h => h.Kind == HookKind.PreStop).Select(h => (h.Result, h.Error)).Single());
        Assert.Equal((HookResults.Failed, 7, "failing\n"), hooks.Where(h => h.Kind == HookKind.PostStop).Select(h => (h.Result, h.ExitCode, h.Output)).Single());
        Assert.Equal(2, stop.Report.Faults.Count(f => f.Kind == FaultKinds.Hook && f.Subject == "web"));
    }

    [Fact(Timeout = 60_000)]
    public async Task Start_runs_each_started_guests_post_start_and_the_runs_and_a_dry_run_runs_none()
    {
        var web = _world.Add("web", new(AcpiDelay: s_quick));
        var config = Config($"""
            [defaults]
            post_start = ["{_script}", "{_out}"]

            [hooks]
            post_start = ["{_script}", "{_out}"]
            """);
        await StopRun.RunAsync(new StopRequest(config, [_world.Uri], TimeSpan.FromSeconds(30), null, _stateDir), Open, TimeProvider.System, null, CancellationToken.None);

        var dry = await StartAsync(config, dryRun: true);
        Assert.Empty(Directory.GetFiles(_out, "post_start.*"));
        Assert.Empty(dry.Report.Hooks);
        var start = await StartAsync(config);

        Assert.Equal(GuestState.Running, _world[web.Uuid].Info.State);
        var guest = Environment("post_start", web.Uuid);
        Assert.Equal(("web", "started", "post_start"), (guest["SUNDOWN_GUEST"], guest["SUNDOWN_OUTCOME"], guest["SUNDOWN_HOOK"]));
        var run = Environment("post_start", "run");
        Assert.Equal(("start", "started=1"), (run["SUNDOWN_KIND"], run["SUNDOWN_OUTCOME"]));
        Assert.Equal(2, start.Report.Hooks.Count(h => h.Succeeded));
        Assert.Equal(2, RunHistory.Load(_stateDir, start.Report.Run)!.Hooks.Length);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_tightening_cuts_a_hanging_pre_stop_short_and_the_guest_is_destroyed_by_the_new_end()
    {
        var deaf = _world.Add("deaf", new(AcpiDelay: null));
        var policy = GuestPolicy.Default with
        {
            Stop = StopLadder.Create("acpi 60s", "destroy"),
            Hooks = HookSet.Empty.With(HookKind.PreStop, HookCommand.TryCreate(["/bin/sleep", "600"], out _)!),
        };
        var plan = Planner.Build([(deaf, policy)], TimeSpan.FromMinutes(4), Limits.Default, Estimates.Default);
        var hooks = new RunHooks(null, 0, TimeProvider.System, null);
        var executor = new StopExecutor(new Dictionary<string, IGuestHost> { [_world.Uri] = new SimulatedConnection(_world) }, Limits.Default, new MemoryRecorder(), TimeProvider.System) { Hooks = hooks };
        var start = DateTimeOffset.UtcNow;

        var stopping = executor.RunAsync(plan, start, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(executor.Tighten(TimeSpan.FromSeconds(8)));
        var report = await stopping;

        // Untightened, the pre_stop alone would have had a quarter of the acpi's minute.
        var offAt = _world[deaf.Uuid].OffAt!.Value - start;
        Assert.InRange(offAt, TimeSpan.Zero, TimeSpan.FromSeconds(8) + Estimates.DestroyGrace);
        Assert.Equal("destroyed", Assert.Single(report).Outcome);
        var hung = Assert.Single(hooks.Results);
        Assert.Equal(HookResults.Timeout, hung.Result);
        Assert.StartsWith("cut short", hung.Error, StringComparison.Ordinal);
        Assert.InRange(hung.EndedAt - start, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_interrupt_kills_a_hanging_pre_stop_at_once()
    {
        _world.Add("deaf", new(AcpiDelay: null));
        var config = Config("""
            [defaults]
            stop = ["acpi 60s", "destroy"]
            pre_stop = ["/bin/sleep", "600"]
            """);
        using var interrupt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();

        var stop = await StopRun.RunAsync(new StopRequest(config, [_world.Uri], TimeSpan.FromMinutes(4), null, _stateDir), Open, TimeProvider.System, null, interrupt.Token);

        var hung = Assert.Single(stop.Report.Hooks, h => h.Kind == HookKind.PreStop);
        Assert.Equal(HookResults.Timeout, hung.Result);
        Assert.InRange(hung.EndedAt - hung.StartedAt, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4));
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_pre_stop_gets_its_share_of_the_graceful_step_not_of_the_snapshot_and_little_before_a_destroy_alone()
    {
        var snapshotted = _world.Add("snapshotted", new(AcpiDelay: s_quick));
        var doomed = _world.Add("doomed", new(AcpiDelay: s_quick));
        var config = Config("""
            [defaults]
            stop = ["acpi 20s", "destroy"]
            snapshots = 1
            pre_stop = ["/bin/sleep", "600"]

            [[guest]]
            match = "doomed"
            stop = ["destroy"]
            snapshots = 0
            """);

        var stop = await StopRun.RunAsync(new StopRequest(config, [_world.Uri], TimeSpan.FromSeconds(40), null, _stateDir), Open, TimeProvider.System, null, CancellationToken.None);

        var took = stop.Report.Hooks.Where(h => h.Kind == HookKind.PreStop).ToDictionary(h => h.Guest!, h => h.EndedAt - h.StartedAt);
        // A quarter of the time to the acpi step's end (about 34 s), less the grace: not of the snapshot's end (about 14 s).
        Assert.InRange(took["snapshotted"], TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(10));
        // Only the destroy: at most RunHooks.NoGracefulLimit, not a quarter of the 40 s to the deadline.
        Assert.InRange(took["doomed"], TimeSpan.Zero, RunHooks.NoGracefulLimit);
        Assert.Equal("shutdown", stop.Report.Guests.Single(g => g.Uuid == snapshotted.Uuid).Outcome);
        Assert.Equal("destroyed", stop.Report.Guests.Single(g => g.Uuid == doomed.Uuid).Outcome);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_throwing_fault_sink_or_progress_line_does_not_reach_the_stop()
    {
        var hooks = new RunHooks(null, 0, TimeProvider.System, _ => throw new InvalidOperationException("the fault sink broke"))
        {
            Ended = _ => throw new InvalidOperationException("the console broke"),
        };
        var set = HookSet.Empty.With(HookKind.PreStop, HookCommand.TryCreate(["/nonexistent/pre"], out _)!);

        await hooks.RunHookAsync(HookKind.PreStop, set, "stop", DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10), null);

        Assert.Equal(HookResults.Error, Assert.Single(hooks.Results).Result);
    }

    private Dictionary<string, string> Environment(string hook, string uuid)
    {
        string text = File.ReadAllText(Path.Combine(_out, $"{hook}.{uuid}"));
        // PWD is the recording script's own (/bin/sh exports it), not the hook's environment (HookRunnerTests checks that with env itself).
        return text.Split('\0', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('=', 2)).Where(p => p[0] != "PWD").ToDictionary(p => p[0], p => p[1]);
    }

    private Task<StartResult> StartAsync(SundownConfig config, bool dryRun = false) =>
        StartRun.RunAsync(new StartRequest(config, [_world.Uri], dryRun, _stateDir), Open, TimeProvider.System, null, CancellationToken.None);

    private IGuestHost Open(string uri) => new SimulatedConnection(_world);

    private static SundownConfig Config(string toml) => ConfigParser.Parse(toml, "test.toml");
}
