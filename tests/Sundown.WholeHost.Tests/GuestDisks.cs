using Sundown.Testing;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// What a guest's disk held once the host was down, read from outside with <c>fleet.sh
/// disk-check</c>: its filesystem's state and its last record, beside the last record the guest
/// had reported synced before the poweroff was asked for.
/// </summary>
/// <param name="Clean">disk-check's verdict: unmounted cleanly, fsck finds nothing, the records are one sequence.</param>
/// <param name="LastOnDisk">The last whole record on the disk (after its journal is replayed, for a dirty one).</param>
/// <param name="SyncedBefore">The last record the guest printed as synced before the poweroff request.</param>
internal sealed record DiskCheck(string Guest, bool Clean, long LastOnDisk, long SyncedBefore)
{
    /// <summary>Records the guest had synced before the stop began that the disk no longer holds.</summary>
    internal long Lost => Math.Max(0, SyncedBefore - LastOnDisk);

    internal string State => Clean ? "clean" : "dirty";
}

internal static class GuestDisks
{
    /// <summary>The last record each guest has printed as synced ("guest: synced N"), by name; 0 when none yet.</summary>
    internal static Dictionary<string, long> LastSynced(IReadOnlyDictionary<string, FleetScript.UpGuest> guests) =>
        guests.Values.ToDictionary(g => g.Name, g => FleetScript.LastSynced(File.ReadAllText(g.SerialLog)));

    /// <summary>
    /// Waits until every running guest has synced a few records (a check of a disk nobody wrote to
    /// proves nothing); a paused one writes nothing more until it is resumed.
    /// </summary>
    internal static async Task WaitForRecordsAsync(IReadOnlyDictionary<string, FleetScript.UpGuest> guests, params string[] paused)
    {
        const int AtLeast = 3;
        foreach (var guest in guests.Values.Where(g => !paused.Contains(g.Name)))
        {
            await HostShutdownTests.WaitForAsync(guest.SerialLog, log => FleetScript.LastSynced(log) >= AtLeast, $"'{guest.Name}' did not sync {AtLeast} records");
        }
    }

    /// <summary>Checks each guest's disk in <paramref name="host"/>'s root (the host may be down: nothing runs inside).</summary>
    internal static async Task<List<DiskCheck>> CheckAsync(WholeHost host, IReadOnlyDictionary<string, FleetScript.UpGuest> guests, IEnumerable<string> names, IReadOnlyDictionary<string, long> syncedBefore)
    {
        var checks = new List<DiskCheck>();
        foreach (string name in names)
        {
            checks.Add(await CheckOneAsync(host.InRoot(FleetScript.DiskPath(guests[name].Uuid)), name, syncedBefore[name]));
        }

        return checks;
    }

    internal static async Task<DiskCheck> CheckOneAsync(string disk, string name, long syncedBefore)
    {
        var result = await ProcessRunner.RunAsync(FleetScript.Path, ["disk-check", disk], timeout: TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, $"fleet.sh disk-check {disk} ('{name}'): exit {result.ExitCode}\n{result.Error}");
        var verdict = FleetScript.ParseDiskCheck(result.Output);
        return new DiskCheck(name, verdict.Clean, verdict.Last, syncedBefore);
    }

    /// <summary>A guest that was shut down has a clean filesystem and every record it had synced before the stop.</summary>
    internal static void AssertSafe(DiskCheck check)
    {
        Assert.True(check.Clean, $"'{check.Guest}': its filesystem is dirty after its shutdown (fleet.sh disk-check says why on stderr)");
        Assert.True(check.Lost == 0, $"'{check.Guest}': the disk ends at record {check.LastOnDisk}, but it had synced {check.SyncedBefore} before the stop began");
    }
}
