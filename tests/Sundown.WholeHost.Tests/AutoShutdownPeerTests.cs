using Sundown.Testing;
using static Sundown.WholeHost.Tests.HostShutdownTests;

namespace Sundown.WholeHost.Tests;

/// <summary>
/// libvirt 11.3's own daemon-side auto-shutdown (qemu.conf's <c>auto_shutdown_*</c>, Debian 13) as
/// the peer of Sundown and libvirt-guests: the same five guests as <see cref="HostShutdownTests"/> (its <see cref="HostShutdownTests.StandardFleet"/>),
/// libvirt-guests disabled, Sundown not installed, a real <c>systemctl poweroff</c>, then the next
/// boot. libvirtd acts on logind's PrepareForShutdown under a delay inhibitor, which logind ends
/// after InhibitDelayMaxSec (5 s): what it has not done by then is done by PID 1 stopping the
/// guests' machine scopes.
/// </summary>
[Collection(WholeHost.Collection)]
public sealed class AutoShutdownPeerTests
{
    /// <summary>auto_shutdown_wait: the ACPI timeout the other contenders get.</summary>
    private const int WaitSeconds = 10;

    [Theory(Timeout = 600_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Libvirt_auto_shutdown_does_what_it_can_before_logind_ends_its_delay_lock_and_autostart_once_brings_every_guest_back(bool trySave)
    {
        await WholeHost.RequireAsync(HostRelease.Trixie);
        await using var host = await WholeHost.CreateAsync(HostRelease.Trixie);
        ConfigureAutoShutdown(host, trySave);
        await host.OfflineAsync("systemctl", "disable", "libvirt-guests.service");
        await host.BootAsync();
        Assert.NotEqual("active", (await host.RunAsync(["systemctl", "is-active", "libvirt-guests.service"])).Output.Trim());
        Assert.NotEqual(0, (await host.RunAsync(["systemctl", "cat", "sundown.service"])).ExitCode);
        var guests = await host.UpAsync(StandardFleet);
        await GuestDisks.WaitForRecordsAsync(guests, paused: Paused);
        var synced = GuestDisks.LastSynced(guests);

        var powerOff = await host.PowerOffAsync();
        var disks = await GuestDisks.CheckAsync(host, guests, Names, synced);

        var journal = new HostShutdownJournal(await host.LastBootJournalAsync());
        var fates = GuestFates.AtPowerOff(host, journal, Names);
        string evidence = Evidence(host, journal, guests);
        var cut = journal.Find("but inhibitor timeout is reached");
        if (trySave)
        {
            // The saves (each guest suspended, then saved, one at a time) were all done before
            // logind's 5 s, the paused and the deaf guest's too: libvirtd let go of its delay lock.
            Assert.True(fates.All(f => f.Fate == GuestFate.Saved), $"not every guest was saved\n{evidence}");
            Assert.True(cut is null, $"logind cut libvirtd's delay lock short\n{evidence}");
        }
        else
        {
            // logind waited its InhibitDelayMaxSec for libvirtd's delay lock, then went on without it.
            Assert.True(cut is not null, $"logind did not cut libvirtd's delay lock short\n{evidence}");
            Assert.Contains("libvirtd", journal.Line(cut.Value.Index));
            Assert.True(powerOff >= TimeSpan.FromSeconds(5), $"the poweroff took {powerOff}, less than logind's 5 s delay");
            // The paused guest cannot be asked ("domain is not running"), and libvirtd asks no guest
            // after it (its list is in no fixed order); the deaf one does not listen and the slow one
            // needs 6 s: PID 1 kills them with their machine scopes. The two quick ones shut down
            // if they were asked before the paused one, and are killed if not. The slow one, asked,
            // would be off about 1 s after logind's cut: killed, unless the kill comes that late.
            Assert.Contains(journal.LinesWith("auto-shutdown: unable to request graceful shutdown of 'paused'"), line => line.Contains("domain is not running", StringComparison.Ordinal));
            foreach (var (guest, fate) in fates)
            {
                bool asked = File.ReadAllText(guests[guest].SerialLog).Contains("guest: power button", StringComparison.Ordinal);
                var expected = (guest is Fast or SavedOne) && asked ? GuestFate.ShutDown : GuestFate.KilledByHost;
                bool slowJustInTime = guest == Slow && asked && fate == GuestFate.ShutDown;
                Assert.True(fate == expected || slowJustInTime, $"'{guest}' (asked: {asked}) was {fate}, not {expected}\n{evidence}");
            }
        }

        // Whatever shut down did so cleanly; what it saved or PID 1 killed lost no synced record.
        foreach (var disk in disks)
        {
            var fate = fates.Single(f => f.Guest == disk.Guest).Fate;
            if (fate == GuestFate.ShutDown)
            {
                GuestDisks.AssertSafe(disk);
            }

            Assert.True(disk.Lost == 0, $"'{disk.Guest}' ({fate}) lost {disk.Lost} records");
        }

        var record = new ShutdownRecord(trySave ? "libvirt auto-shutdown + save" : "libvirt auto-shutdown", powerOff, null, fates, host.Release);
        record.Write();
        new DataSafetyRecord(record, disks).Write();

        // The next boot: auto_shutdown_restore (on by default) marked every guest it acted on
        // autostart-once, the killed ones too, and libvirtd starts them all: the saved ones from
        // their saved state.
        await host.BootAsync();
        var active = await WaitForActiveAsync(host, StandardFleet.Length);
        Assert.Equal(Names.Order(StringComparer.Ordinal), active.Order(StringComparer.Ordinal));
        foreach (var (guest, fate) in fates)
        {
            string log = host.QemuLog(guest);
            bool restored = log[log.LastIndexOf(": starting up", StringComparison.Ordinal)..].Contains("-incoming", StringComparison.Ordinal);
            Assert.True(restored == (fate == GuestFate.Saved), $"'{guest}' ({fate}) was {(restored ? "restored from a save" : "booted")} at the next boot");
        }
    }

    /// <summary>qemu.conf as the issue's operator wrote it, appended to the host's (which holds host.sh's cgroup line).</summary>
    private static void ConfigureAutoShutdown(WholeHost host, bool trySave)
    {
        string qemuConf = host.InRoot("/etc/libvirt/qemu.conf");
        string settings = $"""

            # AutoShutdownPeerTests: libvirt's own auto-shutdown
            auto_shutdown_try_shutdown = "all"
            auto_shutdown_poweroff = "all"
            auto_shutdown_wait = {WaitSeconds}

            """ + (trySave ? "auto_shutdown_try_save = \"persistent\"\n" : "");
        host.WriteFile("/etc/libvirt/qemu.conf", File.ReadAllText(qemuConf) + settings);
    }

    /// <summary>What a failure shows: how each guest's QEMU ended, whether it saw its power button, what logind and libvirtd said.</summary>
    private static string Evidence(WholeHost host, HostShutdownJournal journal, IReadOnlyDictionary<string, FleetScript.UpGuest> up)
    {
        var guests = Names.Select(name =>
        {
            var fate = GuestFates.Read(host.QemuLog(name), out string evidence);
            bool button = File.ReadAllText(up[name].SerialLog).Contains("guest: power button", StringComparison.Ordinal);
            return $"'{name}': {fate} ({evidence}; power button: {button})";
        });
        var lines = journal.LinesWith("systemd-logind[").Concat(journal.LinesWith("libvirtd[").Where(line => line.Contains("auto-shutdown", StringComparison.Ordinal)));
        return string.Join('\n', guests.Concat(lines));
    }

    /// <summary>The names of the active (running or paused) guests, once <paramref name="count"/> are or 90 s have passed.</summary>
    private static async Task<string[]> WaitForActiveAsync(WholeHost host, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            string[] active = (await host.CheckedRunAsync("virsh", "list", "--name")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (active.Length >= count || DateTime.UtcNow > deadline)
            {
                return active;
            }

            await Task.Delay(500);
        }
    }
}
