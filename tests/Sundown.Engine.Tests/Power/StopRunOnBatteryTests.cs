using System.Collections.Concurrent;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Planning;
using Sundown.Core.Ups;
using Sundown.Engine.Execution;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;
using Sundown.Engine.Stopping;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Power;

/// <summary>
/// Whole stops with <see cref="StopRequest.Ups"/> on the simulated host and the real clock: the
/// tightening reaches the observer, the journal's run budget and the report; a UPS that cannot be
/// read mid-stop is one "ups" fault. Each takes the 5 s of a reading or two.
/// </summary>
public sealed class StopRunOnBatteryTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-battery-").FullName;
    private readonly SimulatedHost _world = new(TimeProvider.System) { DestroyTime = TimeSpan.FromSeconds(0.5) };
    private readonly SimulatedUps _ups = new(TimeProvider.System);

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task A_stop_whose_battery_turns_out_shorter_is_tightened_said_journaled_and_reported()
    {
        var deaf = _world.Add("deaf", new(AcpiDelay: null));
        _ups.Set("OB", TimeSpan.FromMinutes(5));
        // From the start on, the battery says 36 s: the first reading (5 s in) puts the end at 5 + 36 − 30 = 11 s.
        var request = Request(TimeSpan.FromMinutes(4));
        var observer = new Observer { OnPlanned = () => _ups.Set("OB", TimeSpan.FromSeconds(36)) };

        var result = await StopRun.RunAsync(request, _ => new SimulatedConnection(_world), TimeProvider.System, observer, CancellationToken.None);

        // The real clock: the reading due 5 s in may come a few seconds late on a busy machine, and
        // the end it finds is that much later.
        var (budget, message) = Assert.Single(observer.Tightenings);
        Assert.InRange(budget.TotalSeconds, 10, 15);
        Assert.Contains("on battery", message, StringComparison.Ordinal);
        Assert.Equal("destroyed", Assert.Single(result.Report.Guests).Outcome);
        Assert.True(_world[deaf.Uuid].OffAt!.Value - result.Report.StartedAt < TimeSpan.FromSeconds(17), $"off {_world[deaf.Uuid].OffAt - result.Report.StartedAt} after the start");
        // The run's budget as the journal keeps it and the report says it: the tightened one, not the 4 minutes asked.
        Assert.InRange(result.Report.BudgetSeconds!.Value, 10, 16);
        using var journal = Journal.Open(_stateDir);
        Assert.Equal(result.Report.BudgetSeconds, journal.LoadRun(result.Report.Run)!.BudgetSeconds);
        Assert.Empty(result.Report.Faults);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_ups_that_cannot_be_read_mid_stop_is_one_ups_fault_and_the_plan_stays()
    {
        var deaf = _world.Add("deaf", new(AcpiDelay: null));
        _ups.Set("OB", TimeSpan.FromMinutes(5));
        _ups.Fail("DRIVER-NOT-CONNECTED");
        var observer = new Observer();

        var result = await StopRun.RunAsync(Request(null, "acpi 11s"), _ => new SimulatedConnection(_world), TimeProvider.System, observer, CancellationToken.None);

        var fault = Assert.Single(result.Report.Faults);
        Assert.Equal(FaultKinds.Ups, fault.Kind);
        Assert.Contains("DRIVER-NOT-CONNECTED", fault.Message, StringComparison.Ordinal);
        Assert.Equal(fault, Assert.Single(observer.Faults));
        Assert.Empty(observer.Tightenings);
        Assert.True(_ups.Reads >= 2, $"{_ups.Reads} readings");
        Assert.Equal("destroyed", Assert.Single(result.Report.Guests).Outcome);
        Assert.True(_world[deaf.Uuid].OffAt!.Value - result.Report.StartedAt >= TimeSpan.FromSeconds(11));
    }

    private StopRequest Request(TimeSpan? budget, string ladder = "acpi 60s")
    {
        var config = ConfigParser.Parse(
            $"[defaults]\nstop = [\"{ladder}\"]\n\n[ups]\nname = \"{_ups.Name}\"\nmargin = \"30s\"\n", "t.toml");
        return new StopRequest(config, [_world.Uri], budget, null, _stateDir) { Ups = _ups };
    }

    private sealed class Observer : IStopObserver
    {
        private readonly ConcurrentQueue<Fault> _faults = new();
        private readonly ConcurrentQueue<(TimeSpan, string)> _tightenings = new();

        internal Action? OnPlanned { get; init; }

        internal IReadOnlyList<Fault> Faults => [.. _faults];

        internal IReadOnlyList<(TimeSpan Budget, string Message)> Tightenings => [.. _tightenings];

        public void Planned(Plan plan, DateTimeOffset runStart) => OnPlanned?.Invoke();

        public void Progress(StopProgress progress)
        {
        }

        public void Fault(Fault fault) => _faults.Enqueue(fault);

        public void Tightened(TimeSpan budget, string message) => _tightenings.Enqueue((budget, message));
    }
}
