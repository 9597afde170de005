using System.Text.Json;

namespace Sundown.Integration.Tests;

/// <summary>
/// <c>snapshots = 2</c> on real QEMU guests with a disk: three stops and starts leave each
/// guest exactly its two newest Sundown snapshots and a backing chain of the base and two
/// overlays; an operator's own snapshot is never deleted; a guest whose disk cannot be
/// snapshotted is skipped and still shut down.
/// </summary>
/// <remarks>
/// "A backing chain no longer than that": the images <c>qemu-img info --backing-chain -U</c>
/// lists for the disk, from the top overlay down to the base, are at most 1 + N + the operator's
/// own disk-only snapshots of it (each of those adds an overlay too, which Sundown never merges).
/// </remarks>
[Collection(nameof(FleetCollection))]
public sealed class SnapshotsOnFleetTests : IAsyncLifetime
{
    private const string Prefix = "snapfleet ";
    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-snap-state-").FullName;
    private readonly string _configDir = Directory.CreateTempSubdirectory("sundown-snap-config-").FullName;
    private Dictionary<string, Fleet.FleetGuest> _guests = [];

    public async ValueTask InitializeAsync()
    {
        await Fleet.RequireAsync();
        await Fleet.RequireNoForeignGuestsAsync();
        await RemoveLeftoversAsync();
        await Fleet.DownAsync();
        var guests = await Fleet.UpAsync(
            $"{Prefix}quiet\tshutoff delay=1",
            $"{Prefix}operator\tshutoff delay=1",
            $"{Prefix}readonly\tshutoff delay=1");
        _guests = guests.ToDictionary(g => g.Name[Prefix.Length..]);
        await FleetDisks.AttachAsync(_guests["quiet"].Uuid);
        await FleetDisks.AttachAsync(_guests["operator"].Uuid);
        await FleetDisks.AttachAsync(_guests["readonly"].Uuid, format: "raw", readOnly: true);
        await StartAllAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var guest in _guests.Values)
        {
            await FleetDisks.RemoveAsync(guest.Uuid);
        }

        await Fleet.DownAsync();
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_configDir, recursive: true);
    }

    [Fact(Timeout = 600_000)]
    public async Task Three_stops_and_starts_keep_each_guest_its_two_newest_snapshots_and_a_chain_of_three_images()
    {
        string config = Path.Combine(_configDir, "sundown.toml");
        await File.WriteAllTextAsync(config, """
            budget = "90s"
            [defaults]
            stop = ["acpi 20s", "destroy"]
            snapshots = 2
            """);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var runs = new List<long>();
        for (int i = 1; i <= 3; i++)
        {
            if (i == 2)
            {
                // The operator's own, between Sundown's: it must outlive every pruning.
                await FleetDisks.VirshAsync("snapshot-create-as", _guests["operator"].Uuid, "operator-keep", "--disk-only", "--atomic");
            }

            var started = DateTimeOffset.UtcNow;
            var stop = await Fleet.SundownAsync("stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");
            var took = DateTimeOffset.UtcNow - started;
            Assert.True(stop.ExitCode == 0, $"stop {i} exit {stop.ExitCode}: {stop.Error}\n{stop.Output}");
            using var report = JsonDocument.Parse(stop.Output);
            runs.Add(report.RootElement.GetProperty("run").GetInt64());
            var byName = report.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()![Prefix.Length..]);
            Assert.All(byName.Values, g => Assert.Equal("shutdown", g.GetProperty("outcome").GetString()));
            foreach (string name in new[] { "quiet", "operator" })
            {
                var snapshot = byName[name].GetProperty("steps")[0];
                Assert.Equal("snapshot", snapshot.GetProperty("action").GetString());
                Assert.True(snapshot.GetProperty("result").GetString() == "ok", $"stop {i}, {name}: {snapshot}");
                // No agent channel in the fleet's guests: said to be crash-consistent.
                Assert.Contains("crash-consistent", snapshot.GetProperty("error").GetString(), StringComparison.Ordinal);
            }

            var skipped = byName["readonly"].GetProperty("steps")[0];
            Assert.Equal(("snapshot", "skipped"), (skipped.GetProperty("action").GetString(), skipped.GetProperty("result").GetString()));
            Assert.Contains("no writable file-backed disk", skipped.GetProperty("error").GetString(), StringComparison.Ordinal);
            // In time: well inside the budget (the guests go 1 s after the button).
            Assert.True(took < TimeSpan.FromSeconds(45), $"stop {i} took {took}");

            var start = await Fleet.SundownAsync("start", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");
            Assert.True(start.ExitCode == 0, $"start {i} exit {start.ExitCode}: {start.Error}");
            await WaitForBootsAsync(i + 1);
        }

        // Exactly the two newest runs' snapshots, by name, oldest first.
        var quiet = await FleetDisks.SnapshotsAsync(_guests["quiet"].Uuid);
        Assert.Equal(2, quiet.Count);
        Assert.EndsWith($"-r{runs[1]}", quiet[0], StringComparison.Ordinal);
        Assert.EndsWith($"-r{runs[2]}", quiet[1], StringComparison.Ordinal);
        Assert.All(quiet, name => Assert.StartsWith("sundown-", name, StringComparison.Ordinal));
        var operatorSnapshots = await FleetDisks.SnapshotsAsync(_guests["operator"].Uuid);
        Assert.Contains("operator-keep", operatorSnapshots);
        Assert.Equal(2, operatorSnapshots.Count(n => n.StartsWith("sundown-", StringComparison.Ordinal)));
        Assert.Equal(3, operatorSnapshots.Count);
        Assert.Empty(await FleetDisks.SnapshotsAsync(_guests["readonly"].Uuid));

        // The chains, read from outside: base + 2 overlays; the operator's adds its own.
        var chain = await FleetDisks.ChainAsync(_guests["quiet"].Uuid);
        Assert.True(chain.Count == 3, $"chain of {chain.Count}: {string.Join(" ← ", chain)}");
        Assert.EndsWith("/disk.qcow2", chain[^1], StringComparison.Ordinal);
        Assert.EndsWith($"-r{runs[2]}", chain[0], StringComparison.Ordinal);
        var operatorChain = await FleetDisks.ChainAsync(_guests["operator"].Uuid);
        Assert.True(operatorChain.Count <= 4, $"chain of {operatorChain.Count}: {string.Join(" ← ", operatorChain)}");
        Assert.Contains(operatorChain, image => image.EndsWith(".operator-keep", StringComparison.Ordinal));

        // The journal learned the snapshot's time: the next plan gives it a measured estimate.
        var plan = await Fleet.SundownAsync("plan", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir);
        Assert.Contains("snapshot (up to ", plan.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("snapshot (up to 3.0s", plan.Output, StringComparison.Ordinal);

        // doctor: nothing to say while the chains are what snapshots = 2 keeps; with snapshots = 0,
        // Sundown's snapshots are left behind and the quiet guest's chain of 3 is longer than 0 + 2.
        Assert.Empty(await SnapshotFindingsAsync(config));
        string zero = Path.Combine(_configDir, "zero.toml");
        await File.WriteAllTextAsync(zero, "[defaults]\nsnapshots = 0\n");
        File.SetUnixFileMode(zero, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var findings = await SnapshotFindingsAsync(zero);
        Assert.Contains(("quiet", "snapshots-left-behind"), findings);
        Assert.Contains(("operator", "snapshots-left-behind"), findings);
        Assert.Contains(("quiet", "snapshot-chain-long"), findings);
        Assert.DoesNotContain(findings, f => f.Guest == "readonly");
    }

    private async Task<List<(string Guest, string Code)>> SnapshotFindingsAsync(string config)
    {
        var doctor = await Fleet.SundownAsync("doctor", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");
        using var json = JsonDocument.Parse(doctor.Output);
        var names = _guests.ToDictionary(g => g.Value.Uuid, g => g.Key);
        return [.. json.RootElement.GetProperty("findings").EnumerateArray()
            .Where(f => f.GetProperty("code").GetString()!.StartsWith("snapshot", StringComparison.Ordinal))
            .Where(f => f.TryGetProperty("uuid", out var uuid) && uuid.ValueKind == JsonValueKind.String && names.ContainsKey(uuid.GetString()!))
            .Select(f => (names[f.GetProperty("uuid").GetString()!], f.GetProperty("code").GetString()!))];
    }

    private async Task StartAllAsync()
    {
        foreach (var guest in _guests.Values)
        {
            await FleetDisks.VirshAsync("start", guest.Uuid);
        }

        await WaitForBootsAsync(1);
    }

    /// <summary>Until every guest's serial log shows <paramref name="boots"/> boots: only then does it hear the power button.</summary>
    private async Task WaitForBootsAsync(int boots)
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(2);
        foreach (var guest in _guests.Values)
        {
            while (Boots(guest) < boots)
            {
                Assert.True(DateTimeOffset.UtcNow < until, $"{guest.Name} did not boot {boots} times");
                await Task.Delay(200);
            }
        }
    }

    private static int Boots(Fleet.FleetGuest guest) =>
        File.Exists(guest.LogPath) ? File.ReadAllText(guest.LogPath).Split('\n').Count(l => l.Contains("guest: up", StringComparison.Ordinal)) : 0;

    /// <summary>Guests of an earlier run of this test that died before its cleanup: fleet.sh down cannot undefine them while their snapshots exist.</summary>
    private static async Task RemoveLeftoversAsync()
    {
        var names = await FleetDisks.VirshAsync("list", "--all", "--name");
        foreach (string name in names.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            string uuid = (await FleetDisks.VirshAsync("domuuid", name)).Trim();
            await FleetDisks.RemoveAsync(uuid);
        }
    }
}
