using System.Text.Json;

namespace Sundown.Integration.Tests;

/// <summary>
/// <c>snapshots = 2</c> on the fleet's real disk guests (ext4, a writer of synced records):
/// three stops and starts leave every guest that shut down a clean filesystem holding every
/// record it had synced before the stop (read from the top of its chain), and at the end
/// exactly its two newest Sundown snapshots and a backing chain of the base and two overlays;
/// the guest with an agent is quiesced through it, the one whose agent hangs is never quiesced
/// (given up on at its step's end, or skipped or crash-consistent once libvirt knows its agent
/// hangs) and still stops in time; an operator's own snapshot is never deleted; a guest whose disk cannot be
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

    /// <summary>The guests with a disk of their own (the fleet's <c>disk</c> option).</summary>
    private static readonly string[] s_disks = ["quiet", "agent", "hang", "operator"];

    private readonly string _stateDir = Directory.CreateTempSubdirectory("sundown-snap-state-").FullName;
    private readonly string _configDir = Directory.CreateTempSubdirectory("sundown-snap-config-").FullName;
    private Dictionary<string, Fleet.FleetGuest> _guests = [];

    public async ValueTask InitializeAsync()
    {
        await Fleet.RequireAsync();
        await Fleet.RequireNoForeignGuestsAsync();
        // Also guests of an earlier run that died before its cleanup, snapshots and all.
        await Fleet.DownAsync();
        var guests = await Fleet.UpAsync(
            $"{Prefix}quiet\tdisk delay=1",
            $"{Prefix}agent\tdisk agent delay=1",
            $"{Prefix}hang\tdisk agent_hang delay=1",
            $"{Prefix}operator\tdisk delay=1",
            $"{Prefix}readonly\tshutoff delay=1");
        _guests = guests.ToDictionary(g => g.Name[Prefix.Length..]);
        await FleetDisks.AttachReadOnlyAsync(_guests["readonly"].Uuid);
        await FleetDisks.VirshAsync("start", _guests["readonly"].Uuid);
        await WaitForBootsAsync(1);
    }

    public async ValueTask DisposeAsync()
    {
        await Fleet.DownAsync();
        Directory.Delete(_stateDir, recursive: true);
        Directory.Delete(_configDir, recursive: true);
    }

    [Fact(Timeout = 600_000)]
    public async Task Three_stops_and_starts_keep_each_disk_guest_its_records_its_two_newest_snapshots_and_a_chain_of_three_images()
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
        var onDisk = s_disks.ToDictionary(name => name, _ => 0L);
        for (int i = 1; i <= 3; i++)
        {
            if (i == 2)
            {
                // The operator's own, between Sundown's: it must outlive every pruning.
                await FleetDisks.VirshAsync("snapshot-create-as", _guests["operator"].Uuid, "operator-keep", "--disk-only", "--atomic");
            }

            // Each writer has synced records since its last stop (the first: since its boot).
            foreach (string name in s_disks)
            {
                await WaitForAsync(() => Fleet.LastSynced(_guests[name]) > onDisk[name], $"stop {i}: {name}'s writer synced nothing past {onDisk[name]}");
            }

            var syncedBefore = s_disks.ToDictionary(name => name, name => Fleet.LastSynced(_guests[name]));
            var started = DateTimeOffset.UtcNow;
            var stop = await Fleet.SundownAsync("stop", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");
            var took = DateTimeOffset.UtcNow - started;
            Assert.True(stop.ExitCode == 0, $"stop {i} exit {stop.ExitCode}: {stop.Error}\n{stop.Output}");
            TestContext.Current.TestOutputHelper?.WriteLine($"stop {i} ({took.TotalSeconds:0.0}s): {stop.Output}");
            using var report = JsonDocument.Parse(stop.Output);
            runs.Add(report.RootElement.GetProperty("run").GetInt64());
            var byName = report.RootElement.GetProperty("guests").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()![Prefix.Length..]);
            Assert.All(byName, g => Assert.True(g.Value.GetProperty("outcome").GetString() == "shutdown", $"stop {i}, {g.Key}: {g.Value}"));
            // In time: well inside the budget (the guests go 1 s after the button), the hanging agent's too.
            Assert.True(took < TimeSpan.FromSeconds(45), $"stop {i} took {took}");

            foreach (string name in new[] { "quiet", "operator" })
            {
                var (result, note) = SnapshotStep(byName[name]);
                Assert.True(result == "ok", $"stop {i}, {name}: {result}: {note}");
                // No agent channel: said to be crash-consistent.
                Assert.Contains("crash-consistent: no guest agent channel", note, StringComparison.Ordinal);
            }

            var (agentResult, agentNote) = SnapshotStep(byName["agent"]);
            Assert.True(agentResult == "ok", $"stop {i}, agent: {agentResult}: {agentNote}");
            Assert.Contains("quiesced through the guest agent", agentNote, StringComparison.Ordinal);
            Assert.DoesNotContain("crash-consistent", agentNote, StringComparison.Ordinal);

            var (hangResult, hangNote) = SnapshotStep(byName["hang"]);
            // Its quiesce waits for libvirt's 5 s "Guest agent is not responding", longer than the
            // step's time (its estimate: 2.7-3.0 s here): given up on at the step's end (timeout).
            // Once libvirt has seen the agent hang it may answer "not available for now" sooner:
            // then the quiesced snapshot failed, and it is skipped, or made crash-consistent when
            // half the step's time is left. Never quiesced; and the power button follows (waiting
            // out libvirt's agent call) and the guest still shuts down well in time.
            var hangStep = byName["hang"].GetProperty("steps")[0];
            Assert.True(
                (hangResult == "timeout" && hangNote.Contains("given up on", StringComparison.Ordinal))
                || (hangResult == "skipped" && hangNote.Contains("quiesced snapshot failed", StringComparison.Ordinal))
                || (hangResult == "ok" && hangNote.Contains("crash-consistent", StringComparison.Ordinal)),
                $"stop {i}, hang: {hangResult}: {hangNote}");
            Assert.DoesNotContain("quiesced through the guest agent", hangNote, StringComparison.Ordinal);
            var hangStepTook = hangStep.GetProperty("endedAt").GetDateTimeOffset() - hangStep.GetProperty("startedAt").GetDateTimeOffset();
            // Held to its estimate: 3 s at first, then learned from the journal (a timeout counts as
            // at least its length: 6 s), which outlasts libvirt's 5 s agent wait.
            Assert.True(hangStepTook < TimeSpan.FromSeconds(7.5), $"stop {i}: the hanging agent's snapshot step took {hangStepTook}");
            Assert.Equal("acpi", byName["hang"].GetProperty("steps")[1].GetProperty("action").GetString());
            Assert.True(byName["hang"].GetProperty("seconds").GetDouble() < 20, $"stop {i}: the hanging agent's guest took {byName["hang"].GetProperty("seconds")} s");

            var (skipped, skipNote) = SnapshotStep(byName["readonly"]);
            Assert.Equal("skipped", skipped);
            Assert.Contains("no writable file-backed disk", skipNote, StringComparison.Ordinal);

            // What each guest finds at its next boot: a clean filesystem, every record it had synced.
            foreach (string name in s_disks)
            {
                var check = await FleetDisks.DiskCheckAsync(_guests[name].Uuid);
                Assert.True(check.Clean, $"stop {i}: {name} has no clean filesystem");
                Assert.True(check.Last >= syncedBefore[name], $"stop {i}: {name}'s last record on the disk {check.Last}, synced before the stop {syncedBefore[name]}");
                onDisk[name] = check.Last;
            }

            var start = await Fleet.SundownAsync("start", "-c", Fleet.Uri, "--config", config, "--state-dir", _stateDir, "--json");
            Assert.True(start.ExitCode == 0, $"start {i} exit {start.ExitCode}: {start.Error}");
            await WaitForBootsAsync(i + 1);
        }

        // Exactly the two newest runs' snapshots, by name, oldest first.
        foreach (string name in new[] { "quiet", "agent" })
        {
            var snapshots = await FleetDisks.SnapshotsAsync(_guests[name].Uuid);
            Assert.True(snapshots.Count == 2, $"{name}: {string.Join(", ", snapshots)}");
            Assert.EndsWith($"-r{runs[1]}", snapshots[0], StringComparison.Ordinal);
            Assert.EndsWith($"-r{runs[2]}", snapshots[1], StringComparison.Ordinal);
            Assert.All(snapshots, s => Assert.StartsWith("sundown-", s, StringComparison.Ordinal));

            // The chains, read from outside: base + 2 overlays, the newest on top.
            var chain = await FleetDisks.ChainAsync(_guests[name].Uuid);
            Assert.True(chain.Count == 3, $"{name}: chain of {chain.Count}: {string.Join(" ← ", chain)}");
            Assert.EndsWith("/disk.qcow2", chain[^1], StringComparison.Ordinal);
            Assert.EndsWith($"-r{runs[2]}", chain[0], StringComparison.Ordinal);
            Assert.EndsWith($"-r{runs[1]}", chain[1], StringComparison.Ordinal);
        }

        var operatorSnapshots = await FleetDisks.SnapshotsAsync(_guests["operator"].Uuid);
        Assert.Contains("operator-keep", operatorSnapshots);
        Assert.Equal(
            [$"-r{runs[1]}", $"-r{runs[2]}"],
            operatorSnapshots.Where(n => n.StartsWith("sundown-", StringComparison.Ordinal)).Select(n => n[n.LastIndexOf("-r", StringComparison.Ordinal)..]));
        Assert.Equal(3, operatorSnapshots.Count);
        var operatorChain = await FleetDisks.ChainAsync(_guests["operator"].Uuid);
        Assert.True(operatorChain.Count <= 4, $"chain of {operatorChain.Count}: {string.Join(" ← ", operatorChain)}");
        Assert.Contains(operatorChain, image => image.EndsWith(".operator-keep", StringComparison.Ordinal));

        // The hanging agent's guest: only crash-consistent snapshots of Sundown's, if any, at most
        // the 2 it keeps, and an overlay for each on its base.
        var hangSnapshots = await FleetDisks.SnapshotsAsync(_guests["hang"].Uuid);
        Assert.True(hangSnapshots.Count <= 2 && hangSnapshots.All(n => n.StartsWith("sundown-", StringComparison.Ordinal)), $"hang: snapshots {string.Join(", ", hangSnapshots)}");
        var hangChain = await FleetDisks.ChainAsync(_guests["hang"].Uuid);
        Assert.True(hangChain.Count == 1 + hangSnapshots.Count && hangChain[^1].EndsWith("/disk.qcow2", StringComparison.Ordinal), $"hang: chain {string.Join(" ← ", hangChain)}");

        Assert.Empty(await FleetDisks.SnapshotsAsync(_guests["readonly"].Uuid));

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
        Assert.Contains(("agent", "snapshots-left-behind"), findings);
        Assert.Contains(("operator", "snapshots-left-behind"), findings);
        Assert.Contains(("quiet", "snapshot-chain-long"), findings);
        Assert.DoesNotContain(findings, f => f.Guest == "readonly");
    }

    /// <summary>The guest's first step, its snapshot: its result and its note.</summary>
    private static (string Result, string Note) SnapshotStep(JsonElement guest)
    {
        var step = guest.GetProperty("steps")[0];
        Assert.Equal("snapshot", step.GetProperty("action").GetString());
        return (step.GetProperty("result").GetString()!, step.TryGetProperty("error", out var note) ? note.GetString() ?? "" : "");
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

    /// <summary>
    /// Until every guest's serial log shows <paramref name="boots"/> boots (only then does it hear
    /// the power button), the agent guest's agent answers and the hanging one's has hung: a
    /// quiesce must meet the agent the guest is meant to have.
    /// </summary>
    private async Task WaitForBootsAsync(int boots)
    {
        foreach (var guest in _guests.Values)
        {
            await WaitForAsync(() => Count(guest, "guest: up") >= boots, $"{guest.Name} did not boot {boots} times");
        }

        await WaitForAsync(() => Count(_guests["hang"], "guest: agent hung") >= boots, "the hanging agent did not hang");
        await WaitForAsync(async () => (await Fleet.VirshAsync("qemu-agent-command", _guests["agent"].Uuid, "--timeout", "2", """{"execute":"guest-ping"}""")).ExitCode == 0, "the agent did not answer a guest-ping");
    }

    private static int Count(Fleet.FleetGuest guest, string line) =>
        File.Exists(guest.LogPath) ? File.ReadAllText(guest.LogPath).Split('\n').Count(l => l.Contains(line, StringComparison.Ordinal)) : 0;

    private static Task WaitForAsync(Func<bool> condition, string failure) => WaitForAsync(() => Task.FromResult(condition()), failure);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string failure)
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < until, failure);
            await Task.Delay(200);
        }
    }
}
