using System.Diagnostics;
using System.Text.Json;
using Sundown.Testing;

namespace Sundown.Integration.Tests;

/// <summary>
/// <c>sundown stop</c>, the published binary, on real QEMU guests and a real upsd: a stop begun on
/// battery with a long runtime is tightened when the runtime falls mid-stop.
/// </summary>
[Collection(nameof(FleetCollection))]
public sealed class StopOnBatteryOnFleetTests : IAsyncLifetime
{
    private const string Deaf = "battery deaf (ignores ACPI)";

    private static readonly string[] s_fleet =
    [
        $"{Deaf}\tignore_acpi",
        "battery polite\tdelay=2",
    ];

    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-fleet-state-").FullName;
    private readonly string _configDir = Directory.CreateTempSubdirectory("sundown-fleet-config-").FullName;

    public async ValueTask InitializeAsync()
    {
        await Fleet.RequireAsync();
        await NutServer.RequireAsync();
        await Fleet.RequireNoForeignGuestsAsync();
        await Fleet.DownAsync();
        await Fleet.UpAsync(s_fleet);
    }

    public async ValueTask DisposeAsync()
    {
        await Fleet.DownAsync();
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_configDir, recursive: true);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_runtime_that_falls_mid_stop_destroys_the_deaf_guest_before_the_new_end_not_at_its_acpi_timeout()
    {
        await using var ups = await NutServer.StartAsync("ups.status=OB DISCHRG", "battery.runtime=900");
        // No budget of its own: the battery's 900 s less the margin is it, and the deaf guest would wait out its 60 s of ACPI.
        string config = Config($"[defaults]\nstop = [\"acpi 60s\", \"destroy\"]\n\n[ups]\nname = \"{ups.Name}\"\nmargin = \"30s\"\n");
        var clock = Stopwatch.StartNew();
        var stop = Task.Run(() => Fleet.SundownAsync("stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json"));
        await Task.Delay(TimeSpan.FromSeconds(3));

        // The battery turns out weaker: 45 s left, so the power ends 15 s after the next reading.
        await ups.SetAsync("ups.status=OB DISCHRG", "battery.runtime=45");
        var served = clock.Elapsed;
        var result = await stop;
        clock.Stop();

        Assert.True(result.ExitCode == 3, $"exit {result.ExitCode}: {result.Error}");
        using var report = JsonDocument.Parse(result.Output);
        var guests = report.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()!);
        Assert.Equal("destroyed", guests[Deaf].GetProperty("outcome").GetString());
        Assert.Equal("shutdown", guests["battery polite"].GetProperty("outcome").GetString());
        // The new end: upsd served the new runtime at `served`, the stop reads it within 5 s, and
        // then has 45 − 30 = 15 s. The deaf guest is off by then (a few seconds' allowance for the
        // binary's start and the readings on a busy machine), far from its 60 s of ACPI.
        var startedAt = report.RootElement.GetProperty("startedAt").GetDateTimeOffset();
        var destroyEnded = guests[Deaf].GetProperty("steps").EnumerateArray().Last().GetProperty("endedAt").GetDateTimeOffset();
        var newEnd = served + TimeSpan.FromSeconds(5) + TimeSpan.FromSeconds(15);
        Assert.True(destroyEnded - startedAt < newEnd + TimeSpan.FromSeconds(3), $"destroyed {destroyEnded - startedAt} after the start; the power ended by {newEnd}");
        Assert.True(guests[Deaf].GetProperty("seconds").GetDouble() < 45, $"the deaf guest took {guests[Deaf].GetProperty("seconds").GetDouble()} s");
        // The run's budget is the tightened one, not the 870 s of the first reading.
        Assert.True(report.RootElement.GetProperty("budgetSeconds").GetDouble() < 40, result.Output);
        Assert.Contains("budget tightened to", result.Error, StringComparison.Ordinal);
        Assert.Empty(report.RootElement.GetProperty("faults").EnumerateArray());
    }

    private string Config(string toml)
    {
        string path = Path.Combine(_configDir, "sundown.toml");
        File.WriteAllText(path, toml);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }
}
