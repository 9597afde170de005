using System.Diagnostics;
using System.Text.Json;
using Sundown.Testing;

namespace Sundown.Integration.Tests;

/// <summary>
/// Nothing on a guest's disk is lost by <c>sundown stop</c>, the published binary: guests with
/// a disk whose writer appends synced records, checked from outside with <c>fleet.sh disk-check</c>.
/// </summary>
[Collection(nameof(FleetCollection))]
public sealed class DataOnFleetTests : IAsyncLifetime
{
    private const string Graceful = "data graceful";
    private const string Saved = "data saved (deaf, agent)";

    private static readonly string[] s_fleet =
    [
        $"{Graceful}\tdisk delay=2",
        $"{Saved}\tignore_acpi agent disk",
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
    public async Task A_shut_down_guest_and_a_saved_one_once_restored_and_shut_down_have_clean_filesystems_and_every_synced_record()
    {
        string config = Path.Combine(_configDir, "sundown.toml");
        File.WriteAllText(config, "budget = \"60s\"\n[defaults]\nstop = [\"acpi 5s\", \"save\", \"destroy\"]\n");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var graceful = _guests.Single(g => g.Name == Graceful);
        var saved = _guests.Single(g => g.Name == Saved);
        long gracefulBefore = Fleet.LastSynced(graceful);
        long savedBefore = Fleet.LastSynced(saved);
        Assert.True(gracefulBefore > 0 && savedBefore > 0, "the writers announced no synced record before the stop");

        var stop = await Fleet.SundownAsync("stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");

        Assert.True(stop.ExitCode == 0, $"exit {stop.ExitCode}: {stop.Error}");
        using var report = JsonDocument.Parse(stop.Output);
        var guests = report.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()!);
        Assert.Equal("shutdown", guests[Graceful].GetProperty("outcome").GetString());
        Assert.Equal("saved", guests[Saved].GetProperty("outcome").GetString());

        var shutDown = await Fleet.DiskCheckAsync(graceful.Uuid);
        Assert.True(shutDown.Clean, "the guest that shut down has no clean filesystem");
        Assert.True(shutDown.Last >= gracefulBefore, $"last record on the disk {shutDown.Last}, announced before the stop {gracefulBefore}");

        // Saved: the filesystem is still mounted in the saved memory (so not clean on the disk
        // yet), but every synced record is already there.
        var whileSaved = await Fleet.DiskCheckAsync(saved.Uuid);
        Assert.True(whileSaved.Last >= savedBefore, $"saved guest: last record on the disk {whileSaved.Last}, announced before the stop {savedBefore}");

        // Restored, it writes on from where it was, and shut down through its agent it leaves a
        // clean filesystem holding every record.
        var start = await Fleet.VirshAsync("start", saved.Uuid);
        Assert.True(start.ExitCode == 0, $"virsh start failed: {start.Error}");
        await WaitForAsync(() => Fleet.LastSynced(saved) > whileSaved.Last, TimeSpan.FromSeconds(30), "the restored guest's writer announced no new record");
        await ShutDownThroughAgentAsync(saved.Uuid);
        var restored = await Fleet.DiskCheckAsync(saved.Uuid);
        Assert.True(restored.Clean, "the saved guest, restored and shut down, has no clean filesystem");
        Assert.True(restored.Last > whileSaved.Last, $"last record {restored.Last}, not past {whileSaved.Last} it had before the restore");
        Assert.True(restored.Last >= Fleet.LastSynced(saved), "a record announced after the restore is missing");
    }

    private static async Task ShutDownThroughAgentAsync(string uuid)
    {
        // Just restored, the agent's channel is new on the host's side: try for a while.
        var clock = Stopwatch.StartNew();
        ProcessRunner.Result shutdown;
        while ((shutdown = await Fleet.VirshAsync("shutdown", "--mode", "agent", uuid)).ExitCode != 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"virsh shutdown --mode agent kept failing: {shutdown.Error}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        await WaitForAsync(async () => (await Fleet.VirshAsync("domstate", uuid)).Output.Trim() == "shut off", TimeSpan.FromSeconds(30), "the restored guest did not shut off through its agent");
    }

    private static Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string failure) =>
        WaitForAsync(() => Task.FromResult(condition()), timeout, failure);

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < timeout, failure);
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
