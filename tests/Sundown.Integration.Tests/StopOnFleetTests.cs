using System.Diagnostics;
using System.Text.Json;
using Sundown.Engine.Journaling;
using Sundown.Testing;

namespace Sundown.Integration.Tests;

/// <summary><c>sundown stop</c>, the published binary, on real QEMU guests that behave differently.</summary>
[Collection(nameof(FleetCollection))]
public sealed class StopOnFleetTests : IAsyncLifetime
{
    private const string Deaf = "stop deaf (ignores ACPI)";
    private const string Paused = "stop paused one";
    private const string Transient = "stop transient";

    private static readonly string[] s_fleet =
    [
        "stop fast\tdelay=1",
        "stop it's \"quoted\"\tdelay=3",
        "stop ünïcødé slow\tdelay=6",
        $"{Deaf}\tignore_acpi",
        $"{Paused}\tpaused delay=2",
        $"{Transient}\ttransient delay=2",
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
    public async Task Stop_shuts_down_the_graceful_destroys_the_deaf_at_its_timeout_and_takes_no_longer_than_the_slowest()
    {
        string config = Config("budget = \"30s\"\n[defaults]\nstop = [\"acpi 10s\", \"destroy\"]\n");
        var plan = await Fleet.SundownAsync("plan", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");
        Assert.True(plan.ExitCode == 0, plan.Error);

        var clock = Stopwatch.StartNew();
        var stop = await Fleet.SundownAsync("stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");
        clock.Stop();

        Assert.True(stop.ExitCode == 3, $"exit {stop.ExitCode}: {stop.Error}");
        using var report = JsonDocument.Parse(stop.Output);
        var guests = report.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()!);
        Assert.Equal(_guests.Select(g => g.Name).Order(StringComparer.Ordinal), guests.Keys.Order(StringComparer.Ordinal));
        Assert.All(guests, pair => Assert.Equal(pair.Key == Deaf ? "destroyed" : "shutdown", pair.Value.GetProperty("outcome").GetString()));
        // The deaf guest waited out its 10 s, no more; the paused one was resumed and powered off
        // after its own 2 s, without waiting for a timeout.
        Assert.InRange(guests[Deaf].GetProperty("seconds").GetDouble(), 9.5, 12);
        Assert.Equal(["resume", "acpi"], Actions(guests[Paused]));
        Assert.True(guests[Paused].GetProperty("seconds").GetDouble() < 8, "the paused guest waited for a timeout");
        // The slowest single guest is the deaf one (its 10 s timeout): the whole stop is within 2 s of it.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12) + StartupAllowance, $"the stop took {clock.Elapsed}");
        await AssertAllOffAsync();
        AssertPlanPredictedTheSteps(plan.Output, report);
    }

    [Fact(Timeout = 300_000)]
    public async Task With_save_in_the_ladder_the_deaf_guest_is_saved_and_its_image_exists()
    {
        string config = Config("budget = \"60s\"\n[defaults]\nstop = [\"acpi 5s\", \"save\", \"destroy\"]\n");

        var stop = await Fleet.SundownAsync("stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");

        Assert.True(stop.ExitCode == 0, $"exit {stop.ExitCode}: {stop.Error}");
        using var report = JsonDocument.Parse(stop.Output);
        var deaf = report.RootElement.GetProperty("guests").EnumerateArray().Single(g => g.GetProperty("name").GetString() == Deaf);
        Assert.Equal("saved", deaf.GetProperty("outcome").GetString());
        Assert.Equal(["acpi", "save"], Actions(deaf));
        var list = await Fleet.SundownAsync("list", "-c", Fleet.Uri, "--json");
        using var listed = JsonDocument.Parse(list.Output);
        Assert.True(listed.RootElement.EnumerateArray().Single(g => g.GetProperty("name").GetString() == Deaf).GetProperty("managedSave").GetBoolean());
        // The paused guest's ladder allows a save: it is saved as it is, never woken.
        var paused = report.RootElement.GetProperty("guests").EnumerateArray().Single(g => g.GetProperty("name").GetString() == Paused);
        Assert.Equal("saved", paused.GetProperty("outcome").GetString());
        Assert.Equal(["save"], Actions(paused));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_stop_killed_mid_run_is_completed_by_the_next_and_the_restore_list_survives()
    {
        string config = Config("budget = \"60s\"\n[defaults]\nstop = [\"acpi 10s\", \"destroy\"]\n");
        var running = _guests.Select(g => g.Uuid).ToHashSet();

        using (var first = Process.Start(new ProcessStartInfo(Fleet.SundownBinary, ["stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!)
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(first.HasExited, "the first stop ended before it could be killed");
            first.Kill();
            await first.WaitForExitAsync();
        }

        var second = await Fleet.SundownAsync("stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");

        Assert.True(second.ExitCode is 0 or 3, $"exit {second.ExitCode}: {second.Error}");
        await AssertAllOffAsync();
        using var journal = Journal.Open(_stateDir);
        var runs = journal.ListRuns();
        var run = Assert.Single(runs);
        Assert.NotNull(run.FinishedAt);
        Assert.Equal(running, journal.RestoreList().Select(g => g.Uuid).ToHashSet());
        Assert.DoesNotContain(journal.LoadRun(run.Id)!.Guests, g => g.Outcome is null);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_libvirtd_restart_mid_stop_is_survived_and_every_guest_ends_as_its_ladder_says()
    {
        string config = Config("budget = \"60s\"\n[defaults]\nstop = [\"acpi 10s\", \"destroy\"]\n");
        var stop = Fleet.SundownAsync("stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");

        await Task.Delay(TimeSpan.FromSeconds(2));
        var kill = await ProcessRunner.RunAsync("pkill", ["-x", "libvirtd"]);
        Assert.True(kill.ExitCode == 0, "libvirtd was not running");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var restart = await ProcessRunner.RunAsync(Fleet.Script, ["setup"], timeout: TimeSpan.FromMinutes(5));
        Assert.True(restart.ExitCode == 0, restart.Error);
        var result = await stop;

        Assert.True(result.ExitCode == 3, $"exit {result.ExitCode}: {result.Error}");
        using var report = JsonDocument.Parse(result.Output);
        Assert.All(report.RootElement.GetProperty("guests").EnumerateArray(), guest =>
            Assert.Equal(guest.GetProperty("name").GetString() == Deaf ? "destroyed" : "shutdown", guest.GetProperty("outcome").GetString()));
        await AssertAllOffAsync();
    }

    // The binary's own start (connect, list, journal) on a loaded 2-core machine.
    private static TimeSpan StartupAllowance => TimeSpan.FromSeconds(1.5);

    private static string[] Actions(JsonElement guest) =>
        [.. guest.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("action").GetString()!)];

    /// <summary>What stop did to each guest is the plan's ladder for it, up to where the guest went off.</summary>
    private static void AssertPlanPredictedTheSteps(string planJson, JsonDocument report)
    {
        using var plan = JsonDocument.Parse(planJson);
        var predicted = plan.RootElement.GetProperty("tiers").EnumerateArray()
            .SelectMany(t => t.GetProperty("guests").EnumerateArray())
            .ToDictionary(g => g.GetProperty("uuid").GetString()!, g => g.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("action").GetString()!).ToArray());
        foreach (var guest in report.RootElement.GetProperty("guests").EnumerateArray())
        {
            string[] done = Actions(guest);
            string[] expected = predicted[guest.GetProperty("uuid").GetString()!];
            Assert.Equal(expected.Take(done.Length), done);
        }
    }

    private static async Task AssertAllOffAsync()
    {
        var list = await Fleet.SundownAsync("list", "-c", Fleet.Uri, "--json");
        using var json = JsonDocument.Parse(list.Output);
        Assert.All(json.RootElement.EnumerateArray().Where(g => g.GetProperty("name").GetString()!.StartsWith("stop ", StringComparison.Ordinal)),
            g => Assert.Equal("shutoff", g.GetProperty("state").GetString()));
    }

    private string Config(string toml)
    {
        string path = Path.Combine(_configDir, "sundown.toml");
        File.WriteAllText(path, toml);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }
}
