using System.Globalization;
using System.Text.Json;

namespace Sundown.Integration.Tests;

/// <summary>
/// The <c>agent</c> step on real QEMU guest agents (Debian's qemu-ga in the fleet's guests):
/// <c>sundown stop</c>, the published binary, with <c>stop = ["agent 10s", "acpi 10s", "destroy"]</c>.
/// Every guest has a disk with the writer's records, checked from outside afterwards.
/// </summary>
[Collection(nameof(FleetCollection))]
public sealed class AgentOnFleetTests : IAsyncLifetime
{
    private const string Deaf = "agent deaf 'disk' $(touch PWNED); ü";
    private const string Hung = "agent hung \"agent\"";
    private const string NoChannel = "agent none";
    private const string Destroyed = "agent none, deaf";

    private static readonly string[] s_fleet =
    [
        $"{Deaf}\tignore_acpi agent disk",
        $"{Hung}\tagent_hang disk delay=1",
        $"{NoChannel}\tdisk delay=1",
        $"{Destroyed}\tignore_acpi disk",
    ];

    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-fleet-state-").FullName;
    private readonly string _configDir = Directory.CreateTempSubdirectory("sundown-fleet-config-").FullName;
    private IReadOnlyList<Fleet.FleetGuest> _guests = [];

    public async ValueTask InitializeAsync()
    {
        await Fleet.RequireAsync();
        await Fleet.RequireNoForeignGuestsAsync();
        await Fleet.DownAsync();
        _guests = await Fleet.UpAsync(s_fleet);
    }

    public async ValueTask DisposeAsync()
    {
        await Fleet.DownAsync();
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_configDir, recursive: true);
    }

    [Fact(Timeout = 300_000)]
    public async Task The_agent_step_shuts_down_the_acpi_deaf_guest_a_hung_agent_is_held_to_its_time_and_no_channel_fails_fast()
    {
        string config = Path.Combine(_configDir, "sundown.toml");
        File.WriteAllText(config, "budget = \"60s\"\n[defaults]\nstop = [\"agent 10s\", \"acpi 10s\", \"destroy\"]\n");
        // Give the writers a moment to have records on their disks, then note the last synced
        // of each: everything up to it must be on the disk after the stop.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var syncedBefore = _guests.ToDictionary(g => g.Name, Fleet.LastSynced);
        Assert.All(syncedBefore, pair => Assert.True(pair.Value > 0, $"'{pair.Key}' announced no synced record before the stop"));

        var stop = await Fleet.SundownAsync("stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");

        Assert.True(stop.ExitCode == 3, $"exit {stop.ExitCode} (3: a guest was destroyed): {stop.Error}");
        using var report = JsonDocument.Parse(stop.Output);
        var guests = report.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()!);
        Assert.Equal(_guests.Select(g => g.Name).Order(StringComparer.Ordinal), guests.Keys.Order(StringComparer.Ordinal));

        // The ACPI-deaf guest went off through its agent, by its /sbin/shutdown.
        Assert.Equal("shutdown", guests[Deaf].GetProperty("outcome").GetString());
        Assert.Equal([("agent", "ok")], Steps(guests[Deaf]));
        string deafLog = File.ReadAllText(Log(Deaf));
        Assert.Contains("guest: shutdown -h -P +0", deafLog, StringComparison.Ordinal);
        Assert.Contains("guest: /data synced and read-only", deafLog, StringComparison.Ordinal);
        Assert.DoesNotContain("guest: power button", deafLog, StringComparison.Ordinal);

        // The hung agent was held to its 10 s; the power button took over.
        Assert.Equal("shutdown", guests[Hung].GetProperty("outcome").GetString());
        var hung = Steps(guests[Hung]);
        Assert.Equal(["agent", "acpi"], hung.Select(s => s.Action));
        Assert.Contains(hung[0].Result, new[] { "timeout", "error" });
        Assert.InRange(Seconds(guests[Hung], 0), 0, 11.5);
        Assert.Contains("guest: power button", File.ReadAllText(Log(Hung)), StringComparison.Ordinal);

        // No agent channel: the agent step fails at once and acpi takes over.
        Assert.Equal("shutdown", guests[NoChannel].GetProperty("outcome").GetString());
        Assert.Equal([("agent", "error"), ("acpi", "ok")], Steps(guests[NoChannel]));
        Assert.InRange(Seconds(guests[NoChannel], 0), 0, 2);

        // Deaf and without an agent: destroyed after both graceful steps.
        Assert.Equal("destroyed", guests[Destroyed].GetProperty("outcome").GetString());
        Assert.Equal(["agent", "acpi", "destroy"], Steps(guests[Destroyed]).Select(s => s.Action));

        // Nothing lost: every guest that shut down has a clean filesystem with every record it
        // had announced before the stop began (and those it wrote during it).
        foreach (string name in new[] { Deaf, Hung, NoChannel })
        {
            var check = await Fleet.DiskCheckAsync(Guest(name).Uuid);
            Assert.True(check.Clean, $"'{name}' ended shutdown but its filesystem is not clean");
            Assert.True(check.Last >= syncedBefore[name], $"'{name}': last record on its disk {check.Last}, but it had announced {syncedBefore[name]} before the stop");
            Assert.Contains($"guest: writer stopped after record {check.Last}", File.ReadAllText(Guest(name).LogPath), StringComparison.Ordinal);
        }

        // A destroyed guest's disk: only recorded (a pulled plug; see the test output).
        var destroyed = await Fleet.DiskCheckAsync(Guest(Destroyed).Uuid);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"destroyed guest: {(destroyed.Clean ? "clean" : "dirty")}, last record {destroyed.Last}, announced before the stop {syncedBefore[Destroyed]}");
    }

    private Fleet.FleetGuest Guest(string name) => _guests.Single(g => g.Name == name);

    private string Log(string name) => Guest(name).LogPath;

    private static (string Action, string? Result)[] Steps(JsonElement guest) =>
        [.. guest.GetProperty("steps").EnumerateArray().Select(s => (s.GetProperty("action").GetString()!, s.GetProperty("result").GetString()))];

    private static double Seconds(JsonElement guest, int step)
    {
        var s = guest.GetProperty("steps")[step];
        var started = DateTimeOffset.Parse(s.GetProperty("startedAt").GetString()!, CultureInfo.InvariantCulture);
        var ended = DateTimeOffset.Parse(s.GetProperty("endedAt").GetString()!, CultureInfo.InvariantCulture);
        return (ended - started).TotalSeconds;
    }
}
