using Sundown.Engine.Journaling;
using Sundown.Testing;
using static Sundown.WholeHost.Tests.HostShutdownTests;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// The stop at shutdown degrades and never refuses: a real poweroff with a fault around Sundown
/// (a typo in its config, a read-only state directory) still ends every guest safely before the
/// host goes down, says so at priority err, and the next boot brings the guests back.
/// </summary>
[Collection(WholeHost.Collection)]
public sealed class HostShutdownFaultTests
{
    private const string Fast = "fast";
    private const string Deaf = "deaf";
    private const string Paused = "paused";

    private static readonly string[] s_fleet = [$"{Fast}\tdelay=1", $"{Deaf}\tignore_acpi", $"{Paused}\tpaused delay=2"];

    /// <summary>The deaf guest's ACPI timeout in the good config; the built-in defaults would wait 2 minutes.</summary>
    private const int AcpiTimeoutSeconds = 8;

    private static readonly string s_goodConfig = $"""
        budget = "60s"
        [defaults]
        stop = ["acpi {AcpiTimeoutSeconds}s", "destroy"]
        """;

    [Fact(Timeout = 600_000)]
    public async Task Poweroff_with_a_typo_in_the_config_stops_every_guest_by_the_last_good_config_and_the_next_boot_restores_them()
    {
        await WholeHost.RequireAsync();
        await using var host = await WholeHost.CreateAsync();
        await InstallSundownAsync(host, s_goodConfig, watch: false);
        await host.BootAsync();
        // The unit's start at boot parsed the config: its copy is what the stop falls back to.
        Assert.True(File.Exists(Path.Combine(host.StateDirectory, "last-good.toml")), "the boot's start kept no copy of the config that parsed");
        var guests = await host.UpAsync(s_fleet);
        // An operator's edit gone wrong, found only when the host goes down.
        host.WriteFile("/etc/sundown/sundown.toml", "budget = \"60s\"\n[defaults]\nstop = [\"acpi soon\", \"destroy\"]\n");
        var timeout = await StopTimeoutAsync(host);

        await host.PowerOffAsync();

        var stop = LastRun(host, RunKind.Stop);
        Assert.NotNull(stop.FinishedAt);
        Assert.Equal(new Dictionary<string, GuestOutcome?>
        {
            [Fast] = GuestOutcome.Shutdown,
            [Deaf] = GuestOutcome.Destroyed,
            [Paused] = GuestOutcome.Shutdown,
        }, stop.Guests.ToDictionary(g => g.Name, g => g.Outcome));
        // The last good config's ladder, not the built-in defaults' two minutes.
        Assert.Equal(["acpi", "destroy"], Actions(stop, guests[Deaf]));
        Assert.InRange(stop.Guests.Single(g => g.Name == Deaf).Seconds!.Value, AcpiTimeoutSeconds - 0.5, AcpiTimeoutSeconds + 3);
        AssertNoGuestKilledByTheHost(host);
        var errors = new HostShutdownJournal(await host.LastBootJournalAsync("err"));
        Assert.NotEmpty(errors.LinesWith("fault (config)"));
        var journal = new HostShutdownJournal(await host.LastBootJournalAsync());
        journal.AssertStoppedWithin("sundown.service", timeout);
        // Without sundown watch: sundown.service's own stop did everything, once systemd stopped it.
        Assert.Empty(journal.LinesWith("sundown watch:"));
        Assert.NotEmpty(journal.LinesWith("Stopping sundown.service"));

        // The config is still broken at the next boot: the unit's start falls back the same way.
        await host.BootAsync();
        await AssertRestoredAsync(host, guests);
    }

    [Fact(Timeout = 600_000)]
    public async Task Poweroff_with_a_read_only_state_directory_stops_every_guest_and_the_next_boot_restores_them()
    {
        await WholeHost.RequireAsync();
        await using var host = await WholeHost.CreateAsync();
        await InstallSundownAsync(host, s_goodConfig, watch: false);
        await host.BootAsync();
        var guests = await host.UpAsync(s_fleet);
        // Read-only for root too: a bind mount of the directory onto itself, remounted ro. It is
        // gone at the next boot, as a disk remounted read-only after errors would be repaired.
        await host.CheckedRunAsync("mount", "--bind", "/var/lib/sundown", "/var/lib/sundown");
        await host.CheckedRunAsync("mount", "-o", "remount,bind,ro", "/var/lib/sundown");
        var timeout = await StopTimeoutAsync(host);

        await host.PowerOffAsync();

        // Nothing could be journaled: the guests' own logs say what became of them.
        Assert.Null(TryLastRun(host, RunKind.Stop));
        AssertNoGuestKilledByTheHost(host);
        Assert.Equal(GuestFate.ForcedOff, GuestFates.Read(host.QemuLog(Deaf), out _));
        Assert.Equal(GuestFate.ShutDown, GuestFates.Read(host.QemuLog(Fast), out _));
        Assert.Equal(GuestFate.ShutDown, GuestFates.Read(host.QemuLog(Paused), out _));
        var errors = new HostShutdownJournal(await host.LastBootJournalAsync("err"));
        Assert.NotEmpty(errors.LinesWith("fault (journal)"));
        new HostShutdownJournal(await host.LastBootJournalAsync()).AssertStoppedWithin("sundown.service", timeout);

        // The restore list was kept in the guests' own libvirt metadata: the boot brings them back.
        await host.BootAsync();
        await AssertRestoredAsync(host, guests);
    }

    private static void AssertNoGuestKilledByTheHost(WholeHost host)
    {
        foreach (string name in s_fleet.Select(line => line.Split('\t')[0]))
        {
            var fate = GuestFates.Read(host.QemuLog(name), out string why);
            Assert.True(fate != GuestFate.KilledByHost, $"'{name}' was killed by the host going down: {why}");
        }
    }

    /// <summary>The boot's start brought back every guest, the paused one paused.</summary>
    private static async Task AssertRestoredAsync(WholeHost host, IReadOnlyDictionary<string, FleetScript.UpGuest> guests)
    {
        var start = LastRun(host, RunKind.Start);
        Assert.Equal(
            guests.Keys.Order(StringComparer.Ordinal),
            start.Guests.Where(g => g.Outcome == GuestOutcome.Started).Select(g => g.Name).Order(StringComparer.Ordinal));
        foreach (var guest in guests.Values)
        {
            string state = (await host.CheckedRunAsync("virsh", "domstate", guest.Uuid)).Trim();
            Assert.True(state == (guest.Name == Paused ? "paused" : "running"), $"'{guest.Name}' is {state} after the boot");
        }
    }

    private static RunRecord? TryLastRun(WholeHost host, RunKind kind)
    {
        using var journal = Journal.Open(host.StateDirectory);
        return journal.LastRun(kind);
    }
}
