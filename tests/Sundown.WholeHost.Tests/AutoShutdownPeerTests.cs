namespace Sundown.WholeHost.Tests;

/// <summary>
/// libvirt 11.3's own daemon-side auto-shutdown (qemu.conf's <c>auto_shutdown_*</c>, Debian 13) as
/// the peer of Sundown and libvirt-guests: the same five guests as <see cref="HostShutdownTests"/>,
/// libvirt-guests disabled, Sundown not installed, a real <c>systemctl poweroff</c>, then the next
/// boot. libvirtd acts on logind's PrepareForShutdown under a delay inhibitor, which logind ends
/// after InhibitDelayMaxSec (5 s): what it has not done by then is done by PID 1 stopping the
/// guests' machine scopes.
/// </summary>
[Collection(WholeHost.Collection)]
public sealed class AutoShutdownPeerTests
{
    private const string Fast = "fast";
    private const string Slow = "slow ünï 'q' $(x)";
    private const string Deaf = "deaf";
    private const string Paused = "paused";
    private const string SavedOne = "saved one";

    /// <summary>HostShutdownTests' fleet, the same guests in the same order, so that the rows line up.</summary>
    private static readonly string[] s_fleet =
    [
        $"{Fast}\tdelay=1",
        $"{Slow}\tdelay=6",
        $"{Deaf}\tignore_acpi",
        $"{Paused}\tpaused delay=2",
        $"{SavedOne}\tdelay=2",
    ];

    /// <summary>auto_shutdown_wait: the ACPI timeout the other contenders get.</summary>
    private const int WaitSeconds = 10;

    [Theory(Timeout = 600_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Libvirt_auto_shutdown_is_cut_short_by_logind_and_autostart_once_brings_every_guest_back(bool trySave)
    {
        await WholeHost.RequireAsync(HostRelease.Trixie);
        await using var host = await WholeHost.CreateAsync(HostRelease.Trixie);
        ConfigureAutoShutdown(host, trySave);
        await host.OfflineAsync("systemctl", "disable", "libvirt-guests.service");
        await host.BootAsync();
        Assert.NotEqual("active", (await host.RunAsync(["systemctl", "is-active", "libvirt-guests.service"])).Output.Trim());
        Assert.NotEqual(0, (await host.RunAsync(["systemctl", "cat", "sundown.service"])).ExitCode);
        await host.UpAsync(s_fleet);

        var powerOff = await host.PowerOffAsync();

        var journal = new HostShutdownJournal(await host.LastBootJournalAsync());
        var fates = Fates(host);
        string evidence = Evidence(host, journal);
        // logind waited its InhibitDelayMaxSec for libvirtd's delay lock, then went on without it.
        var cut = journal.Find("but inhibitor timeout is reached");
        Assert.True(cut is not null, $"logind did not cut libvirtd's delay lock short\n{evidence}");
        Assert.Contains("libvirtd", journal.Line(cut.Value.Index));
        Assert.True(powerOff >= TimeSpan.FromSeconds(5), $"the poweroff took {powerOff}, less than logind's 5 s delay");
        if (trySave)
        {
            // The saves run one at a time, each guest suspended first: within the 5 s some are
            // saved, in the fleet's order, the rest die with their machine scopes.
            int saved = fates.TakeWhile(f => f.Fate == GuestFate.Saved).Count();
            Assert.True(saved >= 1, $"no guest was saved\n{evidence}");
            Assert.All(fates.Skip(saved), f => Assert.True(f.Fate == GuestFate.KilledByHost, $"'{f.Guest}' was {f.Fate}, neither saved nor killed\n{evidence}"));
        }
        else
        {
            // Shutdown requests go to every guest at once: the ones that power off within the 5 s
            // do; the paused one cannot be asked ("domain is not running") and the deaf one does
            // not listen, and PID 1 kills both.
            Assert.True(
                fates.Select(f => f.Fate).SequenceEqual([GuestFate.ShutDown, GuestFate.ShutDown, GuestFate.KilledByHost, GuestFate.KilledByHost, GuestFate.ShutDown]),
                $"fates: {string.Join(", ", fates)}\n{evidence}");
            Assert.Contains(journal.LinesWith("auto-shutdown: unable to request graceful shutdown of 'paused'"), line => line.Contains("domain is not running", StringComparison.Ordinal));
        }

        new ShutdownRecord(trySave ? "libvirt auto-shutdown + save" : "libvirt auto-shutdown", powerOff, null, fates, host.Release).Write();

        // The next boot: auto_shutdown_restore (on by default) marked every guest it acted on
        // autostart-once, the killed ones too, and libvirtd starts them all.
        await host.BootAsync();
        var running = await WaitForRunningAsync(host, s_fleet.Length);
        Assert.Equal(s_fleet.Select(line => line.Split('\t')[0]).Order(StringComparer.Ordinal), running.Order(StringComparer.Ordinal));
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

    private static List<(string Guest, GuestFate Fate)> Fates(WholeHost host) =>
        [.. s_fleet.Select(line => line.Split('\t')[0]).Select(name => (name, GuestFates.Read(host.QemuLog(name), out _)))];

    /// <summary>What a failure shows: each guest's QEMU log's last words and what logind and libvirtd said.</summary>
    private static string Evidence(WholeHost host, HostShutdownJournal journal)
    {
        var guests = s_fleet.Select(line => line.Split('\t')[0]).Select(name =>
        {
            var fate = GuestFates.Read(host.QemuLog(name), out string evidence);
            return $"'{name}': {fate} ({evidence})";
        });
        var lines = journal.LinesWith("systemd-logind[").Concat(journal.LinesWith("libvirtd["));
        return string.Join('\n', guests.Concat(lines));
    }

    /// <summary>The names of the running guests, once <paramref name="count"/> run or 90 s have passed.</summary>
    private static async Task<string[]> WaitForRunningAsync(WholeHost host, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            string[] running = (await host.CheckedRunAsync("virsh", "list", "--state-running", "--name")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (running.Length >= count || DateTime.UtcNow > deadline)
            {
                return running;
            }

            await Task.Delay(500);
        }
    }
}
