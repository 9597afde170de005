using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Model;
using Sundown.Engine.Journaling;
using Sundown.Engine.Reports;
using Sundown.Engine.Stopping;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Stopping;

/// <summary>Whole stops with the journal, on the simulated host and the real clock (its guests are quick).</summary>
public sealed class StopRunTests : IDisposable
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-stoprun-").FullName;
    private readonly SimulatedHost _world = new(TimeProvider.System);

    public void Dispose() => Directory.Delete(_stateDir, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task An_interrupted_stop_is_finished_by_the_next_one_which_stops_every_guest_still_up()
    {
        var quick = _world.Add("quick", new(AcpiDelay: TimeSpan.FromMilliseconds(50)));
        var deaf = _world.Add("deaf", new(AcpiDelay: null));
        var config = ConfigParser.Parse("[defaults]\nstop = [\"acpi 2s\"]\n", "t.toml");
        var request = new StopRequest(config, [_world.Uri], TimeSpan.FromSeconds(30), null, _stateDir);
        using var interrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(700));

        var first = await StopRun.RunAsync(request, Open, TimeProvider.System, null, interrupt.Token);
        Assert.Equal(ExitCodes.Interrupted, first.ExitCode);
        Assert.Equal(GuestState.Running, _world[deaf.Uuid].Info.State);

        var second = await StopRun.RunAsync(request, Open, TimeProvider.System, null, CancellationToken.None);

        Assert.True(second.Continued);
        Assert.Equal(ExitCodes.SomeForced, second.ExitCode);
        Assert.Equal(GuestState.Shutoff, _world[deaf.Uuid].Info.State);
        var outcomes = second.Report.Guests.ToDictionary(g => g.Name, g => g.Outcome);
        Assert.Equal("shutdown", outcomes["quick"]);
        Assert.Equal("destroyed", outcomes["deaf"]);
        using var journal = Sundown.Engine.Journaling.Journal.Open(_stateDir);
        Assert.Single(journal.ListRuns());
        Assert.Equal(new[] { quick.Uuid, deaf.Uuid }.Order(StringComparer.Ordinal), journal.RestoreList().Select(g => g.Uuid).Order(StringComparer.Ordinal));
    }

    private IGuestHost Open(string uri) => new SimulatedConnection(_world);
}
