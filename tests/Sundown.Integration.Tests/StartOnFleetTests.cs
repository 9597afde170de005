using System.Text.Json;

namespace Sundown.Integration.Tests;

/// <summary><c>sundown stop</c> then <c>sundown start</c> on real QEMU guests: exactly what ran comes back.</summary>
[Collection(nameof(FleetCollection))]
public sealed class StartOnFleetTests : IAsyncLifetime
{
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-fleet-state-").FullName;
    private readonly string _configDir = Directory.CreateTempSubdirectory("sundown-fleet-config-").FullName;
    private Dictionary<string, Fleet.FleetGuest> _guests = [];

    public async ValueTask InitializeAsync()
    {
        await Fleet.RequireAsync();
        await Fleet.RequireNoForeignGuestsAsync();
        await Fleet.DownAsync();
        var guests = await Fleet.UpAsync(
            "start fast\tdelay=1",
            "start deaf saved\tignore_acpi",
            "start paused\tpaused",
            "start paused unsaveable\tpaused delay=1",
            "start cold\tshutoff");
        _guests = guests.ToDictionary(g => g.Name);
    }

    public async ValueTask DisposeAsync()
    {
        await Fleet.DownAsync();
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_configDir, recursive: true);
    }

    [Fact(Timeout = 300_000)]
    public async Task Stop_then_start_brings_back_what_ran_saved_guests_resumed_not_rebooted_paused_ones_paused()
    {
        string config = Path.Combine(_configDir, "sundown.toml");
        await File.WriteAllTextAsync(config, """
            budget = "60s"
            [defaults]
            stop = ["acpi 5s", "save", "destroy"]
            [[guest]]
            match = "start paused unsaveable"
            stop = ["acpi 10s", "destroy"]
            """);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var stop = await Fleet.SundownAsync("stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");
        Assert.True(stop.ExitCode == 0, $"stop exit {stop.ExitCode}: {stop.Error}");

        var start = await Fleet.SundownAsync("start", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");
        var again = await Fleet.SundownAsync("start", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");

        Assert.True(start.ExitCode == 0, $"start exit {start.ExitCode}: {start.Error}");
        using var report = JsonDocument.Parse(start.Output);
        var outcomes = report.RootElement.GetProperty("guests").EnumerateArray()
            .ToDictionary(g => g.GetProperty("name").GetString()!, g => g.GetProperty("outcome").GetString());
        Assert.Equal(new Dictionary<string, string?>
        {
            ["start fast"] = "started",
            ["start deaf saved"] = "restored",
            ["start paused"] = "restored",
            ["start paused unsaveable"] = "started",
        }, outcomes);
        var states = await StatesAsync();
        Assert.Equal("running", states["start fast"]);
        Assert.Equal("running", states["start deaf saved"]);
        Assert.Equal("paused", states["start paused"]);
        Assert.Equal("paused", states["start paused unsaveable"]);
        Assert.Equal("shutoff", states["start cold"]);
        // Resumed from its image, the deaf guest did not boot again: one "guest: up" in its serial log.
        Assert.Equal(1, await BootsAsync("start deaf saved"));
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("Nothing to restore", again.Error + again.Output, StringComparison.Ordinal);
    }

    private async Task<int> BootsAsync(string name)
    {
        string log = await File.ReadAllTextAsync(_guests[name].LogPath);
        return log.Split('\n').Count(line => line.Contains("guest: up", StringComparison.Ordinal));
    }

    private static async Task<Dictionary<string, string>> StatesAsync()
    {
        var list = await Fleet.SundownAsync("list", "-c", Fleet.Uri, "--json");
        using var json = JsonDocument.Parse(list.Output);
        return json.RootElement.EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()!, g => g.GetProperty("state").GetString()!);
    }
}
