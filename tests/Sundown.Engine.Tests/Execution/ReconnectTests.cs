using Microsoft.Extensions.Time.Testing;
using Sundown.Core.Config;
using Sundown.Core.Hosts;
using Sundown.Core.Planning;
using Sundown.Core.Policy;
using Sundown.Engine.Execution;
using Sundown.Engine.Hosts;
using Sundown.Engine.Journaling;
using Sundown.Engine.Tests.Simulation;

namespace Sundown.Engine.Tests.Execution;

/// <summary>A stop through a connection that breaks mid-run, as when libvirtd restarts.</summary>
public sealed class ReconnectTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 22, 0, 0, TimeSpan.Zero));
    private readonly MemoryRecorder _recorder = new();
    private readonly List<SimulatedConnection> _connections = [];

    [Theory(Timeout = 60_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_guest_that_went_off_while_the_connection_was_down_is_found_off_not_destroyed(bool closeCallbackFires)
    {
        var world = new SimulatedHost(_time);
        var slow = world.Add("slow", new(AcpiDelay: TimeSpan.FromSeconds(4)));
        var deaf = world.Add("deaf", new(AcpiDelay: null));
        using var host = ReconnectingHost.Open(world.Uri, Connect(world), TimeSpan.FromSeconds(5));
        var policy = GuestPolicy.Default with { Stop = StopLadder.Create("acpi 10s") };
        var plan = Planner.Build([.. host.ListGuests().Select(g => (g, policy))], TimeSpan.FromSeconds(30), Limits.Default, Estimates.Default);
        var executor = new StopExecutor(new Dictionary<string, IGuestHost> { [host.Uri] = host }, Limits.Default, _recorder, _time);
        // The connection breaks at 2 s, before "slow" goes off at 4 s: its STOPPED event is lost.
        _time.CreateTimer(_ => _connections[0].Break(closeCallbackFires), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);

        var report = await VirtualClock.RunAsync(_time, () => executor.RunAsync(plan, _time.GetUtcNow(), CancellationToken.None), TimeSpan.FromMinutes(5));

        Assert.Equal("shutdown", report.Single(g => g.Uuid == slow.Uuid).Outcome);
        Assert.Equal("destroyed", report.Single(g => g.Uuid == deaf.Uuid).Outcome);
        Assert.Equal(1, host.Reconnects);
        if (closeCallbackFires)
        {
            // Told at once, the executor saw the re-read state at once, not at the timeout.
            var acpi = _recorder.StepsOf(slow.Uuid).Single();
            Assert.True(acpi.EndedAt - acpi.StartedAt < TimeSpan.FromSeconds(5), $"noticed after {acpi.EndedAt - acpi.StartedAt}");
        }
    }

    private Func<string, IGuestHost> Connect(SimulatedHost world) => _ =>
    {
        var connection = new SimulatedConnection(world);
        _connections.Add(connection);
        return connection;
    };
}
