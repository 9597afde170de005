using System.Diagnostics;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;
using Sundown.Engine.Stopping;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Stopping;

/// <summary>
/// The stop at shutdown joining the one <c>sundown watch</c> began at logind's announcement: one
/// stop at a time, no guest stopped twice, one run in the journal. Real clock and real flock(2)
/// on the simulated host.
/// </summary>
public sealed class StopJoinTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-stopjoin-").FullName;
    private readonly SimulatedHost _world = new(TimeProvider.System);
    private readonly SundownConfig _config = ConfigParser.Parse("[defaults]\nstop = [\"acpi 2s\", \"destroy\"]\n", "t.toml");

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task The_stop_at_shutdown_waits_for_the_stop_under_way_and_reports_its_run_without_a_second_one()
    {
        var quick = _world.Add("quick", new(AcpiDelay: TimeSpan.FromMilliseconds(300)));
        var deaf = _world.Add("deaf", new(AcpiDelay: null));
        // Watch's stop, begun at the announcement; sundown.service's, half a second later.
        var watch = new StopRequest(_config, [_world.Uri], TimeSpan.FromSeconds(30), null, _stateDir) { AtShutdown = true };
        var first = Task.Run(() => StopRun.RunAsync(watch, Open, TimeProvider.System, null, CancellationToken.None));
        await Task.Delay(500, TestContext.Current.CancellationToken);
        var notices = new Notices();
        var clock = Stopwatch.StartNew();

        var unit = await StopRun.RunAsync(watch, Open, TimeProvider.System, notices, CancellationToken.None);

        var watchResult = await first;
        // It waited for the other (the deaf guest's 2 s and its destroy) rather than acting beside it.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.4), $"returned after {clock.Elapsed}");
        Assert.Equal(watchResult.Report.Run, unit.Report.Run);
        Assert.Equal((ExitCodes.SomeForced, ExitCodes.SomeForced), (watchResult.ExitCode, unit.ExitCode));
        Assert.Equal("destroyed", unit.Report.Guests.Single(g => g.Name == "deaf").Outcome);
        Assert.Single(_world.CallLog, c => c.Call == nameof(IGuestHost.Shutdown) && c.Uuid == quick.Uuid);
        Assert.Single(_world.CallLog, c => c.Call == nameof(IGuestHost.Destroy) && c.Uuid == deaf.Uuid);
        Assert.Contains(notices.Said, n => n.Contains("waiting for it to end", StringComparison.Ordinal));
        Assert.Contains(notices.Said, n => n.Contains($"run {watchResult.Report.Run}", StringComparison.Ordinal) && n.Contains("no new run", StringComparison.Ordinal));
        using var journal = Journal.Open(_stateDir);
        Assert.Single(journal.ListRuns());
        Assert.Equal(2, journal.RestoreList().Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_guest_up_again_after_the_earlier_stop_is_stopped_by_a_run_of_its_own()
    {
        var web = _world.Add("web", new(AcpiDelay: TimeSpan.FromMilliseconds(100)));
        var request = new StopRequest(_config, [_world.Uri], TimeSpan.FromSeconds(30), null, _stateDir) { AtShutdown = true };
        await StopRun.RunAsync(request, Open, TimeProvider.System, null, CancellationToken.None);
        _world.Start(web.Uuid);

        var again = await StopRun.RunAsync(request, Open, TimeProvider.System, null, CancellationToken.None);

        Assert.Equal(GuestState.Shutoff, _world[web.Uuid].Info.State);
        Assert.Equal("shutdown", Assert.Single(again.Report.Guests).Outcome);
        using var journal = Journal.Open(_stateDir);
        Assert.Equal(2, journal.ListRuns().Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_interactive_stop_after_a_finished_one_is_a_run_of_its_own_even_with_nothing_up()
    {
        _world.Add("web", new(AcpiDelay: TimeSpan.FromMilliseconds(100)));
        var request = new StopRequest(_config, [_world.Uri], TimeSpan.FromSeconds(30), null, _stateDir);
        await StopRun.RunAsync(request, Open, TimeProvider.System, null, CancellationToken.None);

        await StopRun.RunAsync(request, Open, TimeProvider.System, null, CancellationToken.None);

        using var journal = Journal.Open(_stateDir);
        Assert.Equal(2, journal.ListRuns().Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_stop_under_way_that_hangs_is_waited_for_until_its_own_deadline_and_grace_then_refused()
    {
        _world.Add("web", new(AcpiDelay: TimeSpan.FromMilliseconds(100)));
        // A stop that began with a 1 s budget and hangs holding the lock (this test's own open
        // file description): its run unfinished in the journal.
        using (var journal = Journal.Open(_stateDir))
        {
            journal.BeginRun(RunKind.Stop, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), null);
        }

        using var held = StateLock.Acquire(_stateDir);
        var request = new StopRequest(_config, [_world.Uri], TimeSpan.FromSeconds(30), null, _stateDir) { AtShutdown = true };
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<StateLockedException>(() => StopRun.RunAsync(request, Open, TimeProvider.System, null, CancellationToken.None));

        // Its budget and the destroys' grace (1 s + 5 s), not this stop's 30 s.
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(5.5), TimeSpan.FromSeconds(9));
        Assert.Equal(GuestState.Running, Assert.Single(_world.Guests).Info.State);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_lock_held_by_something_that_is_not_a_stop_is_refused_at_shutdown_within_two_seconds()
    {
        _world.Add("web", new(AcpiDelay: TimeSpan.FromMilliseconds(100)));
        // No run in the journal: a hung start, a foreign flock(1). Waiting would only spend the guests' time.
        using var held = StateLock.Acquire(_stateDir);
        var request = new StopRequest(_config, [_world.Uri], TimeSpan.FromSeconds(30), null, _stateDir) { AtShutdown = true };
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<StateLockedException>(() => StopRun.RunAsync(request, Open, TimeProvider.System, null, CancellationToken.None));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(4));
        Assert.Equal(GuestState.Running, Assert.Single(_world.Guests).Info.State);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_interactive_stop_is_refused_at_once_while_another_holds_the_lock()
    {
        _world.Add("web", new(AcpiDelay: TimeSpan.FromMilliseconds(100)));
        using var held = StateLock.Acquire(_stateDir);
        var request = new StopRequest(_config, [_world.Uri], TimeSpan.FromSeconds(30), null, _stateDir);
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<StateLockedException>(() => StopRun.RunAsync(request, Open, TimeProvider.System, null, CancellationToken.None));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"refused after {clock.Elapsed}");
    }

    private SimulatedConnection Open(string uri) => new(_world);

    /// <summary>What a stop says through its observer's notices.</summary>
    private sealed class Notices : IStopObserver
    {
        private readonly List<string> _said = [];

        public IReadOnlyList<string> Said
        {
            get
            {
                lock (_said)
                {
                    return [.. _said];
                }
            }
        }

        public void Planned(Core.Planning.Plan plan, DateTimeOffset runStart)
        {
        }

        public void Progress(Sundown.Engine.Execution.StopProgress progress)
        {
        }

        public void Fault(Fault fault)
        {
        }

        public void Notice(string message)
        {
            lock (_said)
            {
                _said.Add(message);
            }
        }
    }
}
